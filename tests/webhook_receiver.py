"""A partner's webhook endpoint for tests: a real HTTP server on a free port that
records every delivery and answers as the test says (a status, or a long pause)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shopgraph.emulator import free_port


def verify(secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    """Checks `Shopgraph-Signature` as docs/partners.md tells partners to."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - timestamp) <= tolerance


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str = ""
    status: int = 200
    pause: float = 0.0  # seconds to wait before answering
    received: list[Received] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    most_at_once: int = 0  # the most requests for one event seen at the same time

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        event_id = request.headers.get("shopgraph-event-id", "")
        self.in_flight[event_id] = self.in_flight.get(event_id, 0) + 1
        self.most_at_once = max(self.most_at_once, self.in_flight[event_id])
        try:
            self.received.append(Received(dict(request.headers), body))
            if self.pause:
                await asyncio.sleep(self.pause)
            return Response(status_code=self.status)
        finally:
            self.in_flight[event_id] -= 1

    def topics(self) -> list[str]:
        return [r.headers["shopgraph-topic"] for r in self.received]

    async def wait_for(self, count: int, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"got {len(self.received)} deliveries, expected {count}"
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running_receiver(host: str = "127.0.0.1", port: int | None = None,
                           tls: tuple[str, str] | None = None) -> AsyncIterator[Receiver]:
    """The endpoint on `host:port` (a free port by default); `tls` (certificate, key files): https."""
    receiver = Receiver()
    port = port or free_port()
    app = Starlette(routes=[Route("/hook", receiver.endpoint, methods=["POST"])])
    certificate, key = tls or (None, None)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off",
                                           ssl_certfile=certificate, ssl_keyfile=key))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    receiver.url = f"{'https' if tls else 'http'}://{host}:{port}/hook"
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
