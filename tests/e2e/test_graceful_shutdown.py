"""SIGTERM under load: the server stops accepting, finishes what it accepted,
and leaves every order paid or for the reconciler; nothing is lost.

Stripe is reached through the fault proxy, which holds the answers to a few
confirms for a while just before the signal, so some checkouts are at Stripe,
still waiting, when the server is told to stop."""

from __future__ import annotations

import asyncio
import collections
import itertools
import signal
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from tests.e2e.server import server_env, server_process, shopgraph
from tests.e2e.shopping import ADD, CHECKOUT, DELIVER, SHIP_TO, card_token, product_ids
from tests.fault_proxy import Fault, FaultProxy
from tests.shop import US_ADDRESS, key_of
from tests.stripe_emulator import TEST_SECRET_KEY

BUYERS = 8
CONFIRM = r"/v1/payment_intents/[^/]+/confirm"
HELD = 1.5  # seconds a held confirm's answer is delayed (it is applied at Stripe, then the SDK retries)


@dataclass
class Attempt:
    step: str
    request_id: str
    started: float
    ended: float = 0.0
    status: int | None = None
    error: str | None = None  # the transport error's class, if there was one
    body: dict[str, Any] | None = None


def _post(http: httpx.Client, base: str, step: str, query: str, variables: dict, log: list[Attempt]) -> Attempt:
    attempt = Attempt(step, uuid.uuid4().hex, time.monotonic())
    log.append(attempt)
    try:
        response = http.post(f"{base}/graphql", json={"query": query, "variables": variables},
                             headers={"x-request-id": attempt.request_id}, timeout=60)
        attempt.status = response.status_code
        attempt.body = response.json() if response.status_code == 200 else None
    except httpx.TransportError as error:
        attempt.error = type(error).__name__
    attempt.ended = time.monotonic()
    return attempt


def _intents_by_order(stripe_url: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    params: dict[str, Any] = {"limit": 100}
    with httpx.Client(base_url=stripe_url, headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"}) as http:
        while True:
            page = http.get("/v1/payment_intents", params=params).raise_for_status().json()
            for intent in page["data"]:
                order_id = (intent.get("metadata") or {}).get("order_id")
                if order_id:
                    found[order_id].append(intent)
            if not page.get("has_more") or not page["data"]:
                return found
            params["starting_after"] = page["data"][-1]["id"]


async def test_sigterm_mid_load_finishes_accepted_requests_and_loses_no_order(tmp_path, localstripe_url, fault_proxy):
    # The proxy answers in this event loop; the load runs in threads beside it.
    await asyncio.to_thread(_sigterm_mid_load, tmp_path, localstripe_url, fault_proxy, asyncio.get_running_loop())


def _sigterm_mid_load(tmp_path, localstripe_url: str, proxy: FaultProxy, loop: asyncio.AbstractEventLoop) -> None:
    database = tmp_path / "shop.db"
    env = server_env(f"sqlite://{database}", STRIPE_SECRET_KEY=TEST_SECRET_KEY, STRIPE_API_BASE=proxy.url,
                     SHOPGRAPH_RECONCILE_INTERVAL="0.3", SHOPGRAPH_SHUTDOWN_SECONDS="30")
    shopgraph("migrate", env=env)
    shopgraph("seed", env=env)
    log = tmp_path / "server.log"
    attempts: list[Attempt] = []

    with server_process(env, log) as (base, process):
        products = itertools.cycle(product_ids(base))
        checkouts_sent = threading.Semaphore(0)

        def keep_buying() -> None:
            # No keep-alive: each request is its own connection, so a closed connection means that request.
            with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0)) as http:
                while True:
                    added = _post(http, base, "addToCart", ADD, {"p": next(products), "q": 1}, attempts)
                    if added.body is None:
                        return
                    cart_id = added.body["data"]["addToCart"]["cart"]["id"]
                    shipped = _post(http, base, "address", SHIP_TO, {"c": cart_id, "a": US_ADDRESS}, attempts)
                    if shipped.body is None:
                        return
                    options = shipped.body["data"]["cartShippingAddressUpdate"]["cart"]["deliveryOptions"]
                    delivery = {"c": cart_id, "h": options[0]["handle"]}
                    if _post(http, base, "delivery", DELIVER, delivery, attempts).body is None:
                        return
                    token = card_token(localstripe_url)
                    variables = {"i": {"cartId": cart_id, "email": "sigterm@example.com", "paymentToken": token,
                                       "idempotencyKey": uuid.uuid4().hex}}
                    checkouts_sent.release()
                    if _post(http, base, "checkout", CHECKOUT, variables, attempts).body is None:
                        return

        with ThreadPoolExecutor(BUYERS) as pool:
            buyers = [pool.submit(keep_buying) for _ in range(BUYERS)]
            for _ in range(3 * BUYERS):  # well into the load
                assert checkouts_sent.acquire(timeout=60), \
                    f"no checkout was sent for 60s: {[b.exception(timeout=0) for b in buyers if b.done()]}"
            loop.call_soon_threadsafe(lambda: proxy.arm("POST", CONFIRM, Fault.DELAY, delay=HELD, times=3))
            deadline = time.monotonic() + 30
            while sum(r.fault is Fault.DELAY for r in proxy.seen) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)  # until confirms are held at Stripe
            sigterm_at = time.monotonic()
            process.send_signal(signal.SIGTERM)
            for buyer in buyers:
                buyer.result(timeout=120)
            process.wait(timeout=60)

    server_log = log.read_text()
    seen_by_server = {line.split("[request ")[1].rstrip("]") for line in server_log.splitlines() if "[request " in line}
    # 1. No accepted request saw a 5xx or a broken connection; refusals come only after the stop.
    for attempt in attempts:
        if attempt.error is None:
            assert attempt.status == 200, attempt
            continue
        assert attempt.started >= sigterm_at, attempt
        assert attempt.request_id not in seen_by_server, f"an accepted request was cut off: {attempt}"
        assert attempt.error in {"ConnectError", "RemoteProtocolError", "ReadError"}, attempt
    in_flight = [a for a in attempts if a.started < sigterm_at < a.ended and a.status == 200]
    assert any(a.step == "checkout" and a.ended - sigterm_at > HELD / 2 for a in in_flight), \
        "checkouts held at Stripe when SIGTERM came should have finished, answered, after it"
    assert any(a.error == "ConnectError" for a in attempts), "after the stop, new connections are refused"
    assert "shut down" in server_log and "Tortoise-ORM shutdown" in server_log
    assert "timeout graceful shutdown exceeded" not in server_log and "Traceback" not in server_log

    # 2. Every order the server answered for is in the database as answered, each paid or pending.
    answered = {a.body["data"]["checkout"]["order"]["id"]: a.body["data"]["checkout"]["order"]["status"]
                for a in attempts if a.step == "checkout" and a.body and a.body["data"]["checkout"]["order"]}
    assert len(answered) >= 2 * BUYERS
    rows = dict(sqlite3.connect(database).execute('SELECT id, status FROM "order"').fetchall())
    for order_id, status in answered.items():
        assert rows[key_of(order_id)] == status.lower(), order_id
    assert set(rows.values()) <= {"paid", "pending_payment"}, collections.Counter(rows.values())

    # 3. The reconciler settles whatever was left, and the database agrees with Stripe.
    report = shopgraph("reconcile", "--grace", "0m", env=env).stdout
    rows = dict(sqlite3.connect(database).execute('SELECT id, status FROM "order"').fetchall())
    assert "pending_payment" not in rows.values(), report
    intents = _intents_by_order(localstripe_url)
    for order_id, status in rows.items():
        succeeded = [i for i in intents.get(order_id, []) if i["status"] == "succeeded"]
        assert len(succeeded) == (1 if status == "paid" else 0), (order_id, status, intents.get(order_id))
