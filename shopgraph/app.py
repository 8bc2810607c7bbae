"""The ASGI application: `/graphql` (GraphiQL on GET), `/healthz`, demo images."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from graph.http import GraphQLView
from graph.schema import schema
from shopgraph import db
from shopgraph.images import product_image
from shopgraph.settings import Settings, load_settings

__all__ = ["create_app"]

log = logging.getLogger("shopgraph")


async def healthz(request: Request) -> JSONResponse:
    if await db.ping():
        return JSONResponse({"status": "ok", "database": "ok"})
    return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)


def create_app(settings: Settings | None = None, *, manage_db: bool = True) -> Starlette:
    """The app. With `manage_db` it opens the ORM on startup and closes it on shutdown."""
    settings = settings or load_settings()
    graphql = GraphQLView(schema, settings, graphql_ide="graphiql")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_db:
            await db.init_db(settings.database_url)
        try:
            yield
        finally:
            if manage_db:
                await db.close_db()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/images/{slug}.svg", product_image, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app
