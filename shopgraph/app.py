"""The ASGI application: `/graphql` (GraphiQL on GET), `/healthz`, `/metrics`, demo images, the storefront at `/`.

Shutting down (uvicorn has stopped accepting and let the requests in flight
finish): the periodic reconciler finishes the order in hand and stops, then
the gateway, the event bus and the database close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from commerce import throttle
from commerce.orders.reconcile import reconcile
from graph.core.http import GraphQLView
from payments.gateway import PaymentGateway
from payments.stripe_gateway import StripeGateway
from graph.core.limits import Limits
from graph.core.response_cache import ResponseCache
from graph.schema import make_schema
from commerce.outbound import notices
from shopgraph import db, metrics
from shopgraph.notice_bus import bus_for
from shopgraph.images import product_image
from shopgraph.outbound import OutboundWorker
from shopgraph.settings import Settings, check_production, load_settings
from shopgraph.storefront import storefront_routes
from shopgraph.telemetry import Telemetry
from shopgraph.stripe_webhook import stripe_webhook_route

__all__ = ["create_app"]

log = logging.getLogger("shopgraph")


async def _reconcile_periodically(gateway: PaymentGateway, interval: float, stopping: asyncio.Event,
                                 authorization_days: float = 6.0) -> None:
    """Settles stalled checkouts every `interval` seconds until `stopping` is set."""
    while not stopping.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), interval)
        if stopping.is_set():
            return
        try:
            report = await reconcile(gateway, stopping=stopping.is_set, authorization_days=authorization_days)
        except Exception:  # a failed pass must not stop the next one
            metrics.RECONCILER_PASSES.labels("failed").inc()
            log.exception("reconciler pass failed")
            continue
        metrics.record_reconcile_report(report)
        if report.settled or report.unresolved:
            log.info("reconciler: settled %s, unresolved %s", report.settled, report.unresolved)


async def _finish(task: asyncio.Task, timeout: float) -> None:
    """Lets a background task end its current item, for up to `timeout` seconds, then cancels it."""
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout)
    except TimeoutError:
        log.warning("a reconciler pass was still running after %.0f s: cancelled", timeout)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    except Exception:  # it logged its own failure
        pass


def _rate_limit_store(settings: Settings) -> throttle.HitStore | None:
    """Redis with REDIS_URL, else the database on PostgreSQL, else memory (SQLite: one process)."""
    if settings.redis_url:
        namespace = settings.database_url.rpartition("/")[2].split("?")[0] or "shop"
        return throttle.RedisStore(settings.redis_url, namespace)
    if settings.database_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        return throttle.DatabaseStore()
    return None


async def healthz(request: Request) -> JSONResponse:
    if await db.ping():
        return JSONResponse({"status": "ok", "database": "ok"})
    return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)


def create_app(
    settings: Settings | None = None,
    *,
    gateway: PaymentGateway | None = None,
    limits: Limits | None = None,
    manage_db: bool = True,
) -> Starlette:
    """The app. With `manage_db` it opens the ORM on startup and closes it on shutdown.

    In production (`SHOPGRAPH_ENV=production`) it refuses (ValueError) to be made
    without the Stripe secrets, whichever server runs it.
    """
    settings = settings or load_settings()
    check_production(settings)
    own_gateway = gateway is None
    if gateway is None:
        gateway = StripeGateway(settings.stripe_secret_key, api_base=settings.stripe_api_base or None)
    bus = bus_for(settings.database_url, (notices.ORDERS, notices.CATALOG))
    limits = limits or Limits()
    response_cache = ResponseCache() if settings.response_cache else None
    if response_cache is not None:
        # Prices and stock change with catalog edits and with every order (stock).
        bus.add_listener(notices.CATALOG, response_cache.invalidate)
        bus.add_listener(notices.ORDERS, response_cache.invalidate)
    outbound = OutboundWorker(settings) if manage_db and settings.outbound_interval > 0 else None
    if outbound is not None:
        bus.add_listener(notices.ORDERS, outbound.wake)
    graphql = GraphQLView(
        make_schema(limits, introspection=settings.introspection, compiled_reads=settings.compiled_reads),
        settings,
        gateway,
        bus,
        limits=limits,
        response_cache=response_cache,
        graphql_ide="graphiql" if settings.graphiql else None,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        reconciler = None
        stopping = asyncio.Event()
        rate_limits = None
        if manage_db:
            await db.init_db(settings.database_url)
            await bus.start()
            notices.set_publisher(bus)
            rate_limits = _rate_limit_store(settings)
            throttle.use_store(rate_limits)
            if settings.reconcile_interval > 0:
                reconciler = asyncio.create_task(
                    _reconcile_periodically(gateway, settings.reconcile_interval, stopping, settings.authorization_days))
            if outbound is not None:
                await outbound.start()
        try:
            yield
        finally:
            stopping.set()
            if outbound is not None:
                await outbound.stop(settings.shutdown_seconds)
            if reconciler is not None:
                await _finish(reconciler, settings.shutdown_seconds)
            if own_gateway:
                await gateway.aclose()
            if manage_db:
                throttle.use_store(None)
                if isinstance(rate_limits, throttle.RedisStore):
                    await rate_limits.aclose()
                notices.set_publisher(None)
                await bus.stop()
                await db.close_db()
                metrics.mark_process_dead(os.getpid())
            log.info("shut down")

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz, methods=["GET"]),
            metrics.metrics_route(settings),
            stripe_webhook_route(settings, gateway),
            Route("/images/{slug}.svg", product_image, methods=["GET"]),
            *storefront_routes(settings),
        ],
        lifespan=lifespan,
        middleware=[Middleware(Telemetry)],
    )
    app.state.settings = settings
    app.state.bus = bus
    app.state.response_cache = response_cache
    return app
