"""The request middleware: a request id, a log line and metrics per request.

Each HTTP request gets an id (the client's `X-Request-Id` when it is a plain
token of up to 64 characters, else a new one), answered in `X-Request-Id`
and named by every log line the request causes. When the request ends, one
line on `shopgraph.request` gives method, path, status, GraphQL operation,
outcome and duration (INFO for `/graphql` and `/webhooks/…`, DEBUG for
pages, assets, probes and answers from the response cache; WARNING for a
5xx), and the GraphQL and checkout metrics move.

The GraphQL view says what happened through the request's state, which this
middleware reads afterwards: `operation`, `outcome`, for `checkout`,
`checkout_outcome`, and `plans`: for each operation executed, `compiled` or
the reason it ran on the reference executor (graph/core/plans).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.core.plans import COMPILED
from shopgraph import metrics
from shopgraph.logs import RequestInfo, current_request

__all__ = ["Telemetry"]

log = logging.getLogger("shopgraph.request")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}")
_LOUD_PREFIXES = ("/graphql", "/webhooks/")


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1").strip()
            return text if _REQUEST_ID.fullmatch(text) else None
    return None


class Telemetry:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        token = current_request.set(RequestInfo(request_id, state))
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
            await send(message)

        metrics.HTTP_IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            metrics.HTTP_IN_FLIGHT.dec()
            try:
                _record(scope, state, status, time.perf_counter() - started)
            finally:
                current_request.reset(token)


def _record(scope: Scope, state: dict[str, Any], status: int, seconds: float) -> None:
    path = scope.get("path", "")
    operation = state.get("operation")
    outcome = state.get("outcome") or ("server_error" if status >= 500 else None)
    if path == "/graphql" and outcome is not None:
        label = metrics.operation_label(operation)
        metrics.GRAPHQL_REQUESTS.labels(label, outcome).inc()
        metrics.GRAPHQL_DURATION.labels(label, outcome).observe(seconds)
    for plan in state.get("plans", ()):
        if plan == COMPILED:
            metrics.PLAN_RUNS.inc()
        else:
            metrics.PLAN_FALLBACKS.labels(plan).inc()
    if state.get("checkout_outcome"):
        metrics.CHECKOUTS.labels(state["checkout_outcome"]).inc()
    metrics.observe_database_pool()

    # Pages, assets, probes and cached catalog reads would drown the rest.
    level = logging.INFO if path.startswith(_LOUD_PREFIXES) and outcome != "cached" else logging.DEBUG
    if status >= 500:
        level = logging.WARNING
    if log.isEnabledFor(level):
        duration_ms = round(seconds * 1000, 1)
        described = f" {operation or 'anonymous'} {outcome}" if outcome else ""
        log.log(
            level, "%s %s %s%s %.1f ms", scope.get("method", ""), path, status, described, duration_ms,
            extra={"method": scope.get("method", ""), "path": path, "status": status,
                   "outcome": outcome, "duration_ms": duration_ms},
        )
