"""Rate limits count across server processes: refused tokens sent to two processes
are limited once, not once per process (PostgreSQL, or Redis with REDIS_URL)."""

from __future__ import annotations

import os
from contextlib import ExitStack

import httpx
import pytest
import redis

from tests.e2e.server import running_server, server_env, shopgraph

REDIS_URL = os.environ.get("SHOPGRAPH_TEST_REDIS", "redis://127.0.0.1:6379/0")
LIMIT = 20  # refused tokens or keys a minute per address (commerce.throttle.BAD_CREDENTIALS)


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"Redis at {REDIS_URL} is unreachable: {error}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {error}")


def _code(base: str) -> str | None:
    body = httpx.post(f"{base}/graphql", json={"query": "{ me { email } }"},
                      headers={"authorization": "Bearer sgk_not-a-real-key"}, timeout=10).json()
    return body["errors"][0]["extensions"]["code"]


@pytest.mark.parametrize("store", ["postgres", "redis"])
def test_refused_tokens_sent_to_two_processes_are_limited_once(postgres_url, tmp_path, store):
    extra = {"SHOPGRAPH_RECONCILE_INTERVAL": "0"}
    if store == "redis":
        _redis_or_skip()
        extra["REDIS_URL"] = REDIS_URL
    env = server_env(postgres_url, **extra)
    shopgraph("migrate", env=env)
    with ExitStack() as stack:
        servers = [stack.enter_context(running_server(env, tmp_path / f"server{i}.log")) for i in (1, 2)]
        codes = [_code(servers[i % 2]) for i in range(LIMIT)]
        assert codes == ["UNAUTHENTICATED"] * LIMIT  # ten refusals in each process
        assert [_code(servers[0]), _code(servers[1])] == ["RATE_LIMITED", "RATE_LIMITED"]
