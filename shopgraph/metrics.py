"""Prometheus metrics, and `/metrics` to read them.

Every metric shopgraph keeps is defined here, so each has one name and one
set of labels. `/metrics` answers only when `SHOPGRAPH_METRICS_TOKEN` is set,
and only to `Authorization: Bearer <that token>` (401 otherwise; 404 when no
token is set, so an unconfigured shop shows nothing).

With several server processes (`shopgraph serve --workers N`), prometheus-client's
multi-process mode is on: the CLI points `PROMETHEUS_MULTIPROC_DIR` at a fresh
directory before the workers start, each worker writes its values there, and
whichever worker answers `/metrics` reads them all.
"""

from __future__ import annotations

import hmac
import os
import re
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from shopgraph.settings import Settings

__all__ = [
    "GRAPHQL_REQUESTS", "GRAPHQL_DURATION", "PLAN_RUNS", "PLAN_FALLBACKS", "HTTP_IN_FLIGHT", "CHECKOUTS", "RECONCILER_PASSES",
    "RECONCILER_REPAIRS", "ORDERS_NEEDING_ATTENTION", "DB_POOL_CONNECTIONS", "DB_POOL_MAX", "WEBHOOK_DELIVERIES",
    "OUTBOX_LAG", "EMAILS",
    "operation_label", "observe_database_pool", "record_reconcile_report", "metrics_route", "mark_process_dead",
]

GRAPHQL_REQUESTS = Counter(
    "shopgraph_graphql_requests", "GraphQL requests answered, by operation name and outcome.",
    ["operation", "outcome"],
)
GRAPHQL_DURATION = Histogram(
    "shopgraph_graphql_request_duration_seconds", "Time to answer a GraphQL request, by operation name and outcome.",
    ["operation", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
# Compiled reads (graph/core/plans): queries run on their plans, and operations run on the reference executor.
PLAN_RUNS = Counter("shopgraph_plan_runs", "GraphQL operations run on their compiled plans.")
PLAN_FALLBACKS = Counter(
    "shopgraph_plan_fallbacks", "GraphQL operations run on the reference executor while compiled reads are on, "
    "by reason (mutation, subscription, introspection, …).", ["reason"],
)
HTTP_IN_FLIGHT = Gauge(
    "shopgraph_http_requests_in_flight", "HTTP requests being answered now.", multiprocess_mode="livesum",
)
CHECKOUTS = Counter(
    "shopgraph_checkouts", "checkout mutations, by outcome: the order's status (paid, pending_payment) "
    "or the refusal's code (card_declined, payment_action_required, insufficient_stock, …), in lower case.",
    ["outcome"],
)
RECONCILER_PASSES = Counter("shopgraph_reconciler_passes", "Reconciler passes, by outcome (ok, failed).", ["outcome"])
RECONCILER_REPAIRS = Counter(
    "shopgraph_reconciler_repairs", "What reconciler passes did: orders settled, discrepancies repaired, "
    "orders newly marked as needing attention (each counted once, when marked).", ["kind"],
)
ORDERS_NEEDING_ATTENTION = Gauge(
    "shopgraph_orders_needing_attention", "Orders marked as needing attention, as the last reconciler pass "
    "left them.", multiprocess_mode="livemostrecent",
)
DB_POOL_CONNECTIONS = Gauge(
    "shopgraph_db_pool_connections", "PostgreSQL pool connections, by state (open, idle).", ["state"],
    multiprocess_mode="livesum",
)
DB_POOL_MAX = Gauge("shopgraph_db_pool_max_connections", "PostgreSQL pool size limit.", multiprocess_mode="livesum")
# Outbound work (the outbox's partner webhooks and emails) counts here.
WEBHOOK_DELIVERIES = Counter(
    "shopgraph_webhook_deliveries", "Partner webhook delivery attempts, by outcome.", ["outcome"],
)
OUTBOX_LAG = Gauge(
    "shopgraph_outbox_lag_seconds", "Age of the oldest outbox event not yet handled.", multiprocess_mode="livemax",
)
EMAILS = Counter("shopgraph_emails", "Emails, by outcome (sent, failed).", ["outcome"])

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_MAX_OPERATIONS = 200  # distinct operation names kept as labels per process; the rest are "other"
_seen_operations: set[str] = set()


def operation_label(name: str | None) -> str:
    """The `operation` label for a client's operation name, bounded so a client cannot mint series."""
    if not name:
        return "anonymous"
    if not _NAME.fullmatch(name):
        return "other"
    if name not in _seen_operations:
        if len(_seen_operations) >= _MAX_OPERATIONS:
            return "other"
        _seen_operations.add(name)
    return name


def observe_database_pool() -> None:
    """Sets the pool gauges from the default connection's asyncpg pool (SQLite has none)."""
    try:
        from tortoise.connection import connections

        pool = getattr(connections.get("default"), "_pool", None)
    except Exception:  # the ORM is not initialised (yet, or any more)
        return
    if pool is None or not hasattr(pool, "get_size"):
        return
    DB_POOL_CONNECTIONS.labels("open").set(pool.get_size())
    DB_POOL_CONNECTIONS.labels("idle").set(pool.get_idle_size())
    DB_POOL_MAX.set(pool.get_max_size())


def record_reconcile_report(report: Any) -> None:
    """Counts one finished reconciler pass (a `commerce.orders.reconcile.ReconcileReport`)."""
    RECONCILER_PASSES.labels("ok").inc()
    repaired = sum(1 for d in report.discrepancies if d.repaired)
    for kind, count in (("settled", len(report.settled)), ("repaired", repaired),
                        ("needs_attention", len(report.newly_marked))):
        if count:
            RECONCILER_REPAIRS.labels(kind).inc(count)
    ORDERS_NEEDING_ATTENTION.set(report.needing_attention)


def _registry() -> CollectorRegistry | None:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None  # the process's default registry
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def mark_process_dead(pid: int) -> None:
    """Drops a finished process's live gauges (multi-process mode only)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)


def metrics_route(settings: Settings) -> Route:
    token = settings.metrics_token

    async def metrics(request: Request) -> Response:
        if not token:
            return PlainTextResponse("Not Found", status_code=404)
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            return PlainTextResponse("Unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"})
        observe_database_pool()
        registry = _registry()
        body = generate_latest(registry) if registry is not None else generate_latest()
        return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

    return Route("/metrics", metrics, methods=["GET"])
