"""Hostile partner endpoints for tests: raw HTTP servers on 127.0.0.1 that answer too slowly or too much.

`dripping_partner` answers one byte every `interval` seconds (an answer that
would take half a minute); `flooding_partner` answers 200 with a 10 MB body,
the first 128 KiB at once and the rest slowly. Both record every connection:
the delivery it carried (`Shopgraph-Event-Id`), when it opened and closed, how
many were open at once per delivery, and how many answer bytes went out
before shopgraph hung up.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Awaitable
from dataclasses import dataclass, field

__all__ = ["Connection", "HostilePartner", "dripping_partner", "flooding_partner", "counting_listener"]

DRIP_ANSWER = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 11\r\n\r\nthank you!\n"
FLOOD_BYTES = 10 * 1024 * 1024
FLOOD_CHUNK = 64 * 1024


@dataclass
class Connection:
    event_id: str
    opened: float
    closed: float | None = None
    bytes_sent: int = 0


@dataclass
class HostilePartner:
    url: str = ""
    connections: list[Connection] = field(default_factory=list)
    open_now: dict[str, int] = field(default_factory=dict)
    most_open_at_once: dict[str, int] = field(default_factory=dict)  # per delivery (event id)

    def open(self, event_id: str) -> Connection:
        self.open_now[event_id] = self.open_now.get(event_id, 0) + 1
        self.most_open_at_once[event_id] = max(self.most_open_at_once.get(event_id, 0), self.open_now[event_id])
        connection = Connection(event_id, time.monotonic())
        self.connections.append(connection)
        return connection

    def close(self, connection: Connection) -> None:
        connection.closed = time.monotonic()
        self.open_now[connection.event_id] -= 1


async def _read_request(reader: asyncio.StreamReader) -> str:
    """Reads one POST; returns its Shopgraph-Event-Id."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    headers = dict(line.split(":", 1) for line in head.split("\r\n")[1:] if ":" in line)
    headers = {k.strip().lower(): v.strip() for k, v in headers.items()}
    await reader.readexactly(int(headers.get("content-length", "0")))
    return headers.get("shopgraph-event-id", "")


async def _send(writer: asyncio.StreamWriter, hung_up: asyncio.Future, data: bytes, connection: Connection) -> bool:
    """Writes `data`; False once shopgraph has closed the connection."""
    if hung_up.done():
        return False
    try:
        writer.write(data)
        await writer.drain()
    except (ConnectionError, OSError):
        return False
    connection.bytes_sent += len(data)
    return True


async def _drip(writer, hung_up, connection, interval: float) -> None:
    for byte in DRIP_ANSWER:
        if not await _send(writer, hung_up, bytes([byte]), connection):
            return
        await asyncio.wait([hung_up], timeout=interval)


async def _flood(writer, hung_up, connection, interval: float) -> None:
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {FLOOD_BYTES}\r\n\r\n"
    if not await _send(writer, hung_up, head.encode(), connection):
        return
    for index in range(FLOOD_BYTES // FLOOD_CHUNK):
        if not await _send(writer, hung_up, b"x" * FLOOD_CHUNK, connection):
            return
        if index >= 1:  # 128 KiB at once, then slowly
            await asyncio.wait([hung_up], timeout=interval)


Answerer = Callable[[asyncio.StreamWriter, asyncio.Future, Connection, float], Awaitable[None]]


@contextlib.asynccontextmanager
async def _serving(answer: Answerer, interval: float) -> AsyncIterator[HostilePartner]:
    partner = HostilePartner()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            event_id = await _read_request(reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        connection = partner.open(event_id)
        hung_up = asyncio.ensure_future(reader.read(1))  # b"" (or an error) when shopgraph closes
        try:
            await answer(writer, hung_up, connection, interval)
            await asyncio.wait([hung_up])  # an answer never finished: wait for shopgraph to give up
        finally:
            partner.close(connection)
            hung_up.cancel()
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    partner.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
    try:
        yield partner
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)


def dripping_partner(interval: float = 0.5) -> contextlib.AbstractAsyncContextManager[HostilePartner]:
    return _serving(_drip, interval)


def flooding_partner(interval: float = 0.2) -> contextlib.AbstractAsyncContextManager[HostilePartner]:
    return _serving(_flood, interval)


@contextlib.asynccontextmanager
async def counting_listener(host: str, port: int) -> AsyncIterator[list[float]]:
    """A TCP listener on `host:port` that only notes when something connects to it."""
    connected: list[float] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connected.append(time.monotonic())
        writer.close()

    server = await asyncio.start_server(handle, host, port)
    try:
        yield connected
    finally:
        server.close()
