"""Buses that carry `commerce.outbound.notices` to subscribers.

`MemoryBus` serves one process (SQLite). `PostgresBus` uses PostgreSQL's
LISTEN/NOTIFY, so a notice published by any server process on the database
reaches the subscribers of every process. Subscribers get the payloads of one
channel through a queue; a slow subscriber loses its oldest notices rather
than holding up the others. Notices are hints: what they announce is in the
database (order changes in the outbox), and after the LISTEN connection is
(re)made, `RESYNC` tells every subscriber to read it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable

import asyncpg

from commerce.outbound.notices import RESYNC

__all__ = ["MemoryBus", "PostgresBus", "bus_for"]

log = logging.getLogger("shopgraph.events")
QUEUE_SIZE = 1000


class MemoryBus:
    """Delivers what this process publishes to this process's subscribers."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[str]]] = defaultdict(set)
        self._callbacks: dict[str, list[Callable[[str], None]]] = defaultdict(list)

    def add_listener(self, channel: str, callback: Callable[[str], None]) -> None:
        """Calls `callback(payload)` for every notice on `channel`, in this process."""
        self._callbacks[channel].append(callback)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def deliver(self, channel: str, payload: str) -> None:
        for callback in self._callbacks.get(channel, ()):
            callback(payload)
        for queue in list(self._queues.get(channel, ())):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(payload)

    async def publish(self, channel: str, payload: str) -> None:
        self.deliver(channel, payload)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue[str]]:
        queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)
        self._queues[channel].add(queue)
        try:
            yield queue
        finally:
            self._queues[channel].discard(queue)


class PostgresBus(MemoryBus):
    """LISTEN/NOTIFY on one PostgreSQL database, shared by every server process."""

    RETRY_SECONDS = 2.0

    def __init__(self, dsn: str, channels: tuple[str, ...]) -> None:
        super().__init__()
        self._dsn = dsn
        self._channels = channels
        self._listener: asyncpg.Connection | None = None
        self._sender: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    async def start(self) -> None:
        """Listens in the background, reconnecting whenever the connection is lost
        (the server starts even while the database is down)."""
        self._task = asyncio.create_task(self._listen_forever())

    async def _listen_forever(self) -> None:
        while True:
            try:
                self._listener = await asyncpg.connect(self._dsn, timeout=5)
                lost = asyncio.Event()
                self._listener.add_termination_listener(lambda _connection: lost.set())
                for channel in self._channels:
                    await self._listener.add_listener(channel, self._on_notify)
                self.listening.set()
                for channel in self._channels:  # whatever was published while we were not listening
                    self.deliver(channel, RESYNC)
                await lost.wait()
                log.warning("lost the LISTEN connection; reconnecting")
            except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as error:
                log.warning("cannot LISTEN on the database (%s); retrying", type(error).__name__)
            self.listening.clear()
            await asyncio.sleep(self.RETRY_SECONDS)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for connection in (self._listener, self._sender):
            if connection is not None and not connection.is_closed():
                await connection.close()
        self._listener = self._sender = None

    def _on_notify(self, connection: object, pid: int, channel: str, payload: str) -> None:
        if self._sender is not None and pid == self._sender.get_server_pid():
            return  # our own notice: already delivered here when it was published
        self.deliver(channel, payload)

    async def publish(self, channel: str, payload: str) -> None:
        """Delivers here at once (so this process's next read sees it), then to every other process."""
        self.deliver(channel, payload)
        async with self._lock:
            if self._sender is None or self._sender.is_closed():
                self._sender = await asyncpg.connect(self._dsn)
            await self._sender.execute("SELECT pg_notify($1, $2)", channel, payload)


def bus_for(database_url: str, channels: tuple[str, ...]) -> MemoryBus:
    if database_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        return PostgresBus(database_url.replace("asyncpg://", "postgres://", 1), channels)
    return MemoryBus()
