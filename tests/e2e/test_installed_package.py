"""The built wheel, installed into a fresh virtualenv outside the checkout,
migrates, seeds, serves the storefront and GraphiQL, and takes a payment.

The wheel is built from exactly what the Dockerfile's build stage copies, so
this also proves the container recipe has what the build needs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx

from tests.e2e.server import ROOT, running_server, server_env
from tests.e2e.shopping import buy, product_ids
from tests.stripe_emulator import TEST_PUBLISHABLE_KEY, TEST_SECRET_KEY

_NOT_SOURCE = shutil.ignore_patterns("__pycache__", "*.db*")


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _dockerfile_build_inputs() -> list[str]:
    """What the Dockerfile's build stage copies from the checkout (`COPY x y`)."""
    stage = (ROOT / "Dockerfile").read_text().split("\nFROM ")[1]
    return [line.split()[1:-1] for line in stage.splitlines() if line.startswith("COPY ") and "--from" not in line]


def _build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    for names in _dockerfile_build_inputs():
        for name in names:
            if (ROOT / name).is_dir():
                shutil.copytree(ROOT / name, source / name, ignore=_NOT_SOURCE)
            else:
                shutil.copy2(ROOT / name, source / name)
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", dist, source, cwd=tmp_path)
    (wheel,) = dist.glob("shopgraph-*.whl")
    return wheel


def test_the_wheel_ships_every_storefront_asset_and_every_migration(tmp_path):
    names = set(zipfile.ZipFile(_build_wheel(tmp_path)).namelist())
    for folder in ("storefront", "migrations"):
        expected = {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts}
        assert expected, folder
        assert expected <= names, f"missing from the wheel: {sorted(expected - names)}"
    assert not any(n.startswith("tests/") for n in names)


def test_an_installed_wheel_migrates_seeds_serves_and_takes_a_payment(tmp_path, localstripe_url):
    wheel = _build_wheel(tmp_path)
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    _run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel, cwd=tmp_path)
    installed = _run(venv / "bin" / "python", "-c", "import shopgraph, storefront; print(shopgraph.__file__)",
                     cwd=tmp_path)
    assert str(ROOT) not in installed and str(venv) in installed

    run_dir = tmp_path / "run"  # a working directory with nothing of the checkout in it
    run_dir.mkdir()
    env = server_env(
        f"sqlite://{run_dir / 'shop.db'}", STRIPE_SECRET_KEY=TEST_SECRET_KEY,
        STRIPE_PUBLISHABLE_KEY=TEST_PUBLISHABLE_KEY, STRIPE_API_BASE=localstripe_url,
        STRIPE_JS_URL=f"{localstripe_url}/js.stripe.com/v3/", SHOPGRAPH_LOG_FORMAT="json",
    )
    env.pop("PYTHONPATH", None)
    shopgraph = venv / "bin" / "shopgraph"
    assert "migrations applied" in _run(shopgraph, "migrate", cwd=run_dir, env=env)
    assert "60 products created" in _run(shopgraph, "seed", "--if-empty", cwd=run_dir, env=env)

    log = tmp_path / "server.log"
    with running_server(env, log, command=(str(shopgraph),), cwd=run_dir) as base:
        page = httpx.get(f"{base}/")
        assert page.status_code == 200 and 'id="shopgraph-config"' in page.text
        for asset in ("/storefront/styles.css", "/storefront/js/main.js", "/storefront/js/checkout.js"):
            assert httpx.get(f"{base}{asset}").status_code == 200, asset
        graphiql = httpx.get(f"{base}/graphql", headers={"accept": "text/html"})
        assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()

        with httpx.Client() as http:
            paid = buy(http, base, localstripe_url, product_ids(base)[0], key="installed-1", quantity=2)
        assert paid["userErrors"] == [] and paid["order"]["status"] == "PAID", paid
    entries = [json.loads(line) for line in log.read_text().splitlines()]  # every line is JSON
    assert any(e["logger"] == "shopgraph.request" and e.get("operation") == "checkout" and e["outcome"] == "ok"
               for e in entries)
    assert TEST_SECRET_KEY not in log.read_text()
