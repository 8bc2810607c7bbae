"""`shopgraph backup` while checkouts run, and `shopgraph restore` into a fresh
file: every order paid before the backup started is there, paid."""

from __future__ import annotations

import itertools
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.e2e.server import ROOT, running_server, server_env, shopgraph
from tests.e2e.shopping import buy, graphql, product_ids, wait_until
from tests.shop import key_of
from tests.stripe_emulator import TEST_SECRET_KEY

BUYERS = 3
WAIT = 90  # seconds for the paid orders a step waits for; then the test fails instead of hanging


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shopgraph.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_a_backup_taken_while_checkouts_run_restores_every_paid_order(tmp_path, localstripe_url):
    env = server_env(f"sqlite://{tmp_path / 'shop.db'}", STRIPE_SECRET_KEY=TEST_SECRET_KEY,
                     STRIPE_API_BASE=localstripe_url)
    shopgraph("migrate", env=env)
    shopgraph("seed", env=env)
    paid: list[tuple[float, str]] = []  # (when it was answered, the order's global id)
    stop = threading.Event()

    with running_server(env, tmp_path / "server.log") as base:
        products = itertools.cycle(product_ids(base))

        def keep_buying() -> None:
            with httpx.Client() as http:
                while not stop.is_set():
                    result = buy(http, base, localstripe_url, next(products), key=uuid.uuid4().hex)
                    if result["order"] and result["order"]["status"] == "PAID":
                        paid.append((time.monotonic(), result["order"]["id"]))

        with ThreadPoolExecutor(BUYERS) as pool:
            buyers = [pool.submit(keep_buying) for _ in range(BUYERS)]

            def a_buyer_failed() -> None:  # a buyer that died raises its error here, once
                for buyer in buyers:
                    if buyer.done():
                        stop.set()
                        buyer.result()

            try:
                wait_until(lambda: len(paid) >= 6, "6 paid orders before the backup", WAIT, a_buyer_failed)
                started = time.monotonic()
                backup = tmp_path / "backups" / "shop-backup.db"
                backup.parent.mkdir()
                made = _cli("backup", str(backup), env=env)
                # checkouts went on during and after it
                wait_until(lambda: len([p for p in paid if p[0] > started]) >= 3,
                           "3 paid orders after the backup started", WAIT, a_buyer_failed)
            finally:
                stop.set()
            for buyer in buyers:
                buyer.result(timeout=WAIT)
        assert made.returncode == 0, made.stderr
        assert "backed up" in made.stdout

    before = {order_id for when, order_id in paid if when < started}
    assert len(before) >= 6
    fresh = tmp_path / "restored.db"
    restored_env = {**env, "DATABASE_URL": f"sqlite://{fresh}"}
    done = _cli("restore", str(backup), env=restored_env)
    assert done.returncode == 0, done.stderr
    rows = sqlite3.connect(fresh).execute('SELECT id, status FROM "order"').fetchall()
    statuses = dict(rows)
    assert {key_of(o) for o in before} <= set(statuses), "an order paid before the backup is missing"
    assert {statuses[key_of(o)] for o in before} == {"paid"}

    # The restored file serves: the orders read back over the API, PAID.
    with running_server(restored_env, tmp_path / "restored.log") as base, httpx.Client() as http:
        for order_id in sorted(before)[:3]:
            body = graphql(http, base, "query($id: ID!) { order(id: $id) { status } }",
                           {"id": order_id}).json()
            assert body["data"]["order"]["status"] == "PAID", body


def test_restore_refuses_a_database_in_use_and_a_file_that_is_no_backup(tmp_path):
    env = server_env(f"sqlite://{tmp_path / 'shop.db'}")
    shopgraph("migrate", env=env)
    assert _cli("backup", str(tmp_path / "copy.db"), env=env).returncode == 0

    refused = _cli("restore", str(tmp_path / "copy.db"), env=env)
    assert refused.returncode != 0 and "--force" in refused.stderr
    assert _cli("restore", "--force", str(tmp_path / "copy.db"), env=env).returncode == 0

    junk = tmp_path / "junk.db"
    sqlite3.connect(junk).execute("CREATE TABLE notes (x)")
    fresh = {**env, "DATABASE_URL": f"sqlite://{tmp_path / 'fresh.db'}"}
    not_ours = _cli("restore", str(junk), env=fresh)
    assert not_ours.returncode != 0 and "not a shopgraph database" in not_ours.stderr
    assert _cli("backup", str(tmp_path / "x.db"), env={**env, "DATABASE_URL": f"sqlite://{tmp_path / 'none.db'}"}
                ).returncode != 0


def test_postgres_backups_are_pg_dumps_job(tmp_path):
    env = server_env("postgres://postgres@127.0.0.1:5432/shop")
    for command in ("backup", "restore"):
        done = _cli(command, str(tmp_path / "shop.dump"), env=env)
        assert done.returncode != 0
        assert "pg_dump" in done.stderr or "pg_restore" in done.stderr
        assert not (tmp_path / "shop.dump").exists()
