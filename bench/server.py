"""The server `make bench` loads: shopgraph's own app plus a few bench-only routes.

Run it as `shopgraph serve` runs the app (uvicorn, one process, factory, access
log off, uvicorn's default loop and HTTP parser, which are uvloop and httptools
when installed, as they are with `uvicorn[standard]`):

    uvicorn bench.server:create_bench_app --factory --port N --log-level warning --no-access-log

(one PostgreSQL row adds `--workers 2`: each worker builds its own app, so the
bench routes below answer for the worker that took the connection).

What it adds, none of it in production code paths:

- `GET|POST /ceiling`: a plain Starlette route answering pre-recorded bytes
  (the runner records a real `products(first: 20)` response and `PUT`s it to
  `/_bench/ceiling`), with the same content type. It is the ceiling: the same
  server, the same bytes, no GraphQL, no database.
- `TimedStripeGateway`: the real `StripeGateway`, with the time spent inside
  each Stripe call added to the current request's account.
- An ASGI wrapper that times each `/graphql` request server-side (first byte
  of the request handled to the response sent) and keeps the last ones with
  their Stripe time, the process CPU time used meanwhile (exact for requests
  sent one at a time; overlapping requests share it) and the request's
  `X-Bench-Kind` header (the runner's label: add-new, add, address, read,
  checkout): `GET /_bench/timings` (and `?reset=1`).
- `POST /_bench/sql/start` and `POST /_bench/sql/stop`: count (and list) the SQL
  statements the ORM sends in between, from the `tortoise.db_client` DEBUG log
  (the way the suite counts them); the logger is at DEBUG only in between.
  Statements sent while a `/graphql` request is being handled (its context,
  and tasks it starts) are the requests'; the others (the outbox consumers'
  loops started with the app: mail, webhooks, live updates) are counted apart
  as `background`.
- `GET /_bench/info`: the pid (and parent pid), the event loop and the HTTP
  protocol in use, and the file each of shopgraph's packages was imported
  from (`code`).

`make bench` measures two builds side by side: each side's server runs with
cwd and PYTHONPATH at its own tree, and BENCH_CODE_ROOT names that tree; the
app refuses to start when a package of shopgraph's comes from anywhere else
(such as the venv's editable install of another checkout).
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import logging
import os
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from payments.stripe_gateway import StripeGateway
from shopgraph.app import create_app
from shopgraph.settings import load_settings

__all__ = ["create_bench_app", "TimedStripeGateway"]

SQL_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")
CODE_PACKAGES = ("shopgraph", "graph", "commerce", "models", "payments")


def code_paths() -> dict[str, str]:
    """Where each of shopgraph's top-level packages was imported from (importing the ones not yet imported)."""
    paths = {}
    for name in CODE_PACKAGES:
        module = importlib.import_module(name)
        paths[name] = getattr(module, "__file__", None) or next(iter(module.__path__))
    return paths


def check_code_root() -> dict[str, str]:
    """The packages' files; RuntimeError when BENCH_CODE_ROOT is set and one of them lies outside it."""
    paths = code_paths()
    root = os.environ.get("BENCH_CODE_ROOT")
    if root:
        outside = {n: p for n, p in paths.items() if not Path(p).resolve().is_relative_to(Path(root).resolve())}
        if outside:
            raise RuntimeError(f"bench server: code imported from outside BENCH_CODE_ROOT={root}: {outside}")
    return paths


@dataclass
class _Account:
    stripe_seconds: float = 0.0
    stripe_calls: int = 0


_CURRENT: contextvars.ContextVar[_Account | None] = contextvars.ContextVar("bench_account", default=None)


def _timed(method: Any) -> Any:
    async def call(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await method(*args, **kwargs)
        finally:
            account = _CURRENT.get()
            if account is not None:
                account.stripe_seconds += time.perf_counter() - started
                account.stripe_calls += 1

    return call


class TimedStripeGateway(StripeGateway):
    """The real gateway; each call's wall time goes to the current request's account."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("prepare_payment_method", "create_payment_intent", "confirm_payment_intent",
                     "retrieve_payment_intent", "cancel_payment_intent", "refund"):
            setattr(self, name, _timed(getattr(self, name)))


class _RequestTimer:
    """Times `/graphql` HTTP requests server-side and keeps the last 20 000 as
    (seconds, seconds inside Stripe calls, Stripe calls, process CPU seconds, kind)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.timings: deque[tuple[float, float, int, float, str]] = deque(maxlen=20_000)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/graphql":
            await self.app(scope, receive, send)
            return
        kind = ""
        for name, value in scope["headers"]:
            if name == b"x-bench-kind":
                kind = value.decode("latin-1")
                break
        account = _Account()
        token = _CURRENT.set(account)
        cpu = time.process_time()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            _CURRENT.reset(token)
            self.timings.append((time.perf_counter() - started, account.stripe_seconds, account.stripe_calls,
                                 time.process_time() - cpu, kind))


class _SQLCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []  # sent on behalf of a /graphql request
        self.background: list[str] = []  # sent by tasks outside any request

    def emit(self, record: logging.LogRecord) -> None:
        # Called synchronously by the code sending the statement: its context is the sender's.
        message = record.getMessage().lstrip()
        if message.upper().startswith(SQL_VERBS):
            (self.statements if _CURRENT.get() is not None else self.background).append(message[:160])


def _bench_routes(timer: _RequestTimer, code: dict[str, str], settings: Any) -> list[Route]:
    ceiling = {"body": b"{}", "media_type": "application/json"}
    sql_logger = logging.getLogger("tortoise.db_client")
    counter: dict[str, Any] = {"handler": None}

    async def ceiling_route(request: Request) -> Response:
        return Response(ceiling["body"], media_type=ceiling["media_type"])

    async def record_ceiling(request: Request) -> Response:
        ceiling["body"] = await request.body()
        ceiling["media_type"] = request.headers.get("content-type", "application/json")
        return JSONResponse({"bytes": len(ceiling["body"]), "media_type": ceiling["media_type"]})

    async def sql_start(request: Request) -> Response:
        handler = _SQLCounter()
        counter["handler"] = handler
        sql_logger.addHandler(handler)
        sql_logger.setLevel(logging.DEBUG)
        return JSONResponse({"counting": True})

    async def sql_stop(request: Request) -> Response:
        handler = counter.pop("handler", None)
        counter["handler"] = None
        sql_logger.setLevel(logging.WARNING)
        if handler is None:
            return JSONResponse({"statements": None})
        sql_logger.removeHandler(handler)
        return JSONResponse({"statements": len(handler.statements), "texts": handler.statements,
                             "background": len(handler.background), "background_texts": handler.background})

    async def timings(request: Request) -> Response:
        rows = list(timer.timings)
        if request.query_params.get("reset"):
            timer.timings.clear()
        return JSONResponse({"timings": rows})

    async def info(request: Request) -> Response:
        loop = asyncio.get_running_loop()
        http = "httptools" if "uvicorn.protocols.http.httptools_impl" in sys.modules else (
            "h11" if "uvicorn.protocols.http.h11_impl" in sys.modules else "unknown")
        return JSONResponse({
            "pid": os.getpid(),
            "ppid": os.getppid(),
            "loop": f"{type(loop).__module__}.{type(loop).__name__}",
            "http": http,
            "python": sys.version.split()[0],
            "response_cache_env": os.environ.get("SHOPGRAPH_RESPONSE_CACHE"),
            "code": code,
            # None on builds without the switch.
            "compiled_reads": getattr(settings, "compiled_reads", None),
        })

    return [
        Route("/ceiling", ceiling_route, methods=["GET", "POST"]),
        Route("/_bench/ceiling", record_ceiling, methods=["PUT"]),
        Route("/_bench/sql/start", sql_start, methods=["POST"]),
        Route("/_bench/sql/stop", sql_stop, methods=["POST"]),
        Route("/_bench/timings", timings, methods=["GET"]),
        Route("/_bench/info", info, methods=["GET"]),
    ]


def create_bench_app() -> ASGIApp:
    """shopgraph's app, with the timed gateway and the bench routes."""
    settings = load_settings()
    code = check_code_root()
    gateway = TimedStripeGateway(settings.stripe_secret_key, api_base=settings.stripe_api_base or None)
    app: Starlette = create_app(settings, gateway=gateway)
    timer = _RequestTimer(app)
    # Before /graphql's catch-alls, if there are any; the ceiling must not go through GraphQL.
    app.router.routes[0:0] = _bench_routes(timer, code, settings)
    return _CloseGateway(timer, gateway)


class _CloseGateway:
    """Passes everything to the app and closes the gateway on lifespan shutdown
    (`create_app` closes only a gateway it made itself)."""

    def __init__(self, app: ASGIApp, gateway: StripeGateway) -> None:
        self.app = app
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_and_close(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await self.gateway.aclose()
            await send(message)

        await self.app(scope, receive, send_and_close)
