"""The client address of a real server process is the TCP peer unless
SHOPGRAPH_TRUSTED_PROXIES names it: a proxy on the same host (127.0.0.1, which
uvicorn trusts on its own by default) is believed only when it is listed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import running_server, server_env, shopgraph

LIMIT = 20  # refused tokens or keys a minute per address (commerce.throttle.BAD_CREDENTIALS)


def _server(tmp: Path, **extra: str) -> Iterator[str]:
    env = server_env(f"sqlite://{tmp / 'shop.db'}", STRIPE_SECRET_KEY="sk_test_peer", STRIPE_API_BASE="http://127.0.0.1:9",
                     SHOPGRAPH_RECONCILE_INTERVAL="0", SHOPGRAPH_OUTBOUND_INTERVAL="0", **extra)
    shopgraph("migrate", env=env)
    with running_server(env, tmp / "server.log") as base:
        yield base


@pytest.fixture
def untrusting(tmp_path: Path) -> Iterator[str]:
    yield from _server(tmp_path)


@pytest.fixture
def trusting_localhost(tmp_path: Path) -> Iterator[str]:
    yield from _server(tmp_path, SHOPGRAPH_TRUSTED_PROXIES="127.0.0.0/8")


def _codes(base: str, count: int) -> list[str]:
    with httpx.Client(base_url=base, timeout=10) as http:
        return [http.post("/graphql", json={"query": "{ me { email } }"},
                          headers={"authorization": f"Bearer sgk_guess{i}", "x-forwarded-for": f"198.51.100.{i}"},
                          ).json()["errors"][0]["extensions"]["code"] for i in range(count)]


def test_x_forwarded_for_from_an_unlisted_local_peer_changes_nothing(untrusting):
    assert _codes(untrusting, LIMIT + 1) == ["UNAUTHENTICATED"] * LIMIT + ["RATE_LIMITED"]


def test_x_forwarded_for_from_a_listed_proxy_names_the_client(trusting_localhost):
    assert _codes(trusting_localhost, LIMIT + 1) == ["UNAUTHENTICATED"] * (LIMIT + 1)
