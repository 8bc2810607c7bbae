"""A rate-limit store that stops answering costs an attempt about a second, never a stall:
unknown discount codes are counted while the cart's row is locked, so a Redis that accepts
connections and never answers must not hold that lock."""

from __future__ import annotations

import asyncio
import time

import pytest

from commerce import throttle


@pytest.fixture
async def silent_redis():
    """A server that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    yield f"redis://127.0.0.1:{server.sockets[0].getsockname()[1]}/0"
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_a_silent_redis_lets_the_attempt_through_within_its_deadline(silent_redis, caplog):
    store = throttle.RedisStore(silent_redis, "silent")
    throttle.use_store(store)
    limit = throttle.Throttle("silent", limit=1, window=60.0)
    try:
        started = time.monotonic()
        await limit.check("203.0.113.7")
        await limit.record("203.0.113.7")
        took = time.monotonic() - started
    finally:
        throttle.use_store(None)
        await store.aclose()
    assert took < 2 * (2 * throttle.REDIS_TIMEOUT + 0.5), took  # two calls, each bounded
    assert "could not be checked" in caplog.text and "could not count" in caplog.text
