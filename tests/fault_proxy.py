"""A fault-injecting HTTP proxy to put between the Stripe SDK and localstripe.

It forwards every request unchanged, except those matching an armed rule,
which it can answer with a 500, a dropped connection or a long silence, after
forwarding the request (so the request took effect and only its answer is
lost) or instead of forwarding it. It runs in the tests' own event loop:

    async with FaultProxy(localstripe_url) as proxy:
        proxy.arm("POST", r"/v1/payment_intents/pi_\\w+/confirm", Fault.ERROR_500)
        gateway = StripeGateway(TEST_SECRET_KEY, api_base=proxy.url)

It speaks just enough HTTP/1.1 for the SDK's clients: requests with a
Content-Length body (never chunked), keep-alive connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from types import TracebackType

import httpx

__all__ = ["Fault", "FaultProxy", "FaultRule", "HTTPRequest", "SeenRequest", "read_request", "write_response"]

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}
_ERROR_500 = json.dumps({"error": {"type": "api_error", "message": "Injected fault"}}).encode()


class Fault(Enum):
    ERROR_500 = "500"  # answer HTTP 500 with a Stripe-shaped api_error body
    DROP = "drop"  # close the connection without an answer
    DELAY = "delay"  # say nothing for `delay` seconds, then close the connection
    ANSWER = "answer"  # answer `status` with `body` (JSON), whatever localstripe would have said
    REWRITE = "rewrite"  # answer what localstripe said, its JSON passed through `rewrite` first


@dataclass
class FaultRule:
    method: str
    path: str  # a regular expression the whole path (without the query) must match
    fault: Fault
    forward: bool = True  # let localstripe act on the request first, then lose its answer
    delay: float = 0.0
    times: int = 1  # how many matching requests it still applies to
    status: int = 200  # Fault.ANSWER only
    body: bytes = b""  # Fault.ANSWER only
    rewrite: Callable[[dict], dict] | None = None  # Fault.REWRITE only

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and method == self.method and re.fullmatch(self.path, path) is not None


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    forwarded: bool
    upstream_status: int | None  # what localstripe answered, if it was asked
    fault: Fault | None  # what the client got instead, if anything


@dataclass
class HTTPRequest:
    """One request as read off the wire."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes = field(repr=False)

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


class FaultProxy:
    """An HTTP proxy to `upstream` on a free local port; see the module docstring."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.rules: list[FaultRule] = []
        self.seen: list[SeenRequest] = []
        self._server: asyncio.Server | None = None
        self._http: httpx.AsyncClient | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        assert self._server is not None, "use `async with FaultProxy(...)`"
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def arm(
        self, method: str, path: str, fault: Fault, *, forward: bool = True, delay: float = 0.0, times: int = 1,
        status: int = 200, body: bytes = b"", rewrite: Callable[[dict], dict] | None = None,
    ) -> FaultRule:
        """Apply `fault` to the next `times` requests matching `method` and `path` (a regex)."""
        rule = FaultRule(method, path, fault, forward=forward, delay=delay, times=times, status=status, body=body,
                         rewrite=rewrite)
        self.rules.append(rule)
        return rule

    def requests_to(self, method: str, path: str) -> list[SeenRequest]:
        """The requests seen so far whose method and path (a regex) match."""
        return [seen for seen in self.seen if seen.method == method and re.fullmatch(path, seen.path)]

    async def __aenter__(self) -> FaultProxy:
        self._http = httpx.AsyncClient(base_url=self.upstream, timeout=30)
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None and self._http is not None
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        await self._http.aclose()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while (request := await read_request(reader)) is not None:
                if not await self._answer(request, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer(self, request: HTTPRequest, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False when the connection must be closed."""
        rule = next((r for r in self.rules if r.matches(request.method, request.path)), None)
        if rule is not None:
            rule.times -= 1
        upstream: httpx.Response | None = None
        if rule is None or rule.forward:
            upstream = await self._http_client.request(
                request.method,
                request.target,
                headers=[(k, v) for k, v in request.headers if k.lower() not in _HOP_BY_HOP | {"host"}],
                content=request.body,
            )
        self.seen.append(
            SeenRequest(
                request.method,
                request.path,
                forwarded=upstream is not None,
                upstream_status=upstream.status_code if upstream is not None else None,
                fault=rule.fault if rule is not None else None,
            )
        )
        if rule is None:
            assert upstream is not None
            headers = [(k, v) for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP]
            await write_response(writer, upstream.status_code, headers, upstream.content)
            return True
        if rule.fault is Fault.ERROR_500:
            await write_response(writer, 500, [("Content-Type", "application/json")], _ERROR_500)
            return True
        if rule.fault is Fault.REWRITE:
            assert upstream is not None and rule.rewrite is not None
            body = upstream.content
            if upstream.status_code == 200:
                body = json.dumps(rule.rewrite(upstream.json())).encode()
            await write_response(writer, upstream.status_code, [("Content-Type", "application/json")], body)
            return True
        if rule.fault is Fault.ANSWER:
            await write_response(writer, rule.status, [("Content-Type", "application/json")], rule.body)
            return True
        if rule.fault is Fault.DELAY:
            await asyncio.sleep(rule.delay)
        return False

    @property
    def _http_client(self) -> httpx.AsyncClient:
        assert self._http is not None
        return self._http


async def read_request(reader: asyncio.StreamReader) -> HTTPRequest | None:
    """The next request on a keep-alive connection; None once the client has closed it."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    request_line, *header_lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
    method, target, _version = request_line.split(" ", 2)
    headers = [(name.strip(), value.strip()) for name, value in (line.split(":", 1) for line in header_lines)]
    length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
    body = await reader.readexactly(length) if length else b""
    return HTTPRequest(method, target, headers, body)


async def write_response(
    writer: asyncio.StreamWriter, status: int, headers: list[tuple[str, str]], body: bytes
) -> None:
    lines = [f"HTTP/1.1 {status} {'OK' if status < 400 else 'Error'}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines += [f"Content-Length: {len(body)}", "Connection: keep-alive", "", ""]
    writer.write("\r\n".join(lines).encode("latin-1") + body)
    await writer.drain()
