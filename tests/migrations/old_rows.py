"""A database that ran the migrations up to an old one, holds rows written then, and is then
migrated to the end: how an upgrade meets the data a shop already has."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime

import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.connection import get_connection
from tortoise.migrations.api.migrate import migrate as tortoise_migrate

from shopgraph import db
from shopgraph.settings import tortoise_config
from tests.conftest import unreachable_postgres
from tests.databases import PostgresUnavailable, throwaway_database

__all__ = ["migrated_from"]


async def _fill_at(url: str, target: str, rows: list[str], now: datetime) -> None:
    """Migrates to `target` and runs `rows` (`$1` stands for `now`)."""
    await tortoise_migrate(config=tortoise_config(url), target=target)
    await db.init_db(url)
    try:
        connection = get_connection("default")
        for sql in rows:
            if url.startswith("sqlite"):
                await connection.execute_query(sql.replace("$1", "?"), [now.isoformat()] * sql.count("$1"))
            else:
                await connection.execute_query(sql, [now] if "$1" in sql else [])
    finally:
        await db.close_db()


def migrated_from(target: str, rows: list[str], now: datetime) -> Callable[..., AsyncIterator[str]]:
    """A module fixture, on SQLite and PostgreSQL: the URL of a database filled at `target`
    with `rows`, then migrated to the end and opened."""

    @pytest.fixture(scope="module", params=["sqlite", "postgres"])
    async def migrated(request, tmp_path_factory) -> AsyncIterator[str]:
        EXECUTOR_CACHE.clear()
        try:
            async with throwaway_database(request.param, tmp_path_factory.mktemp("db")) as url:
                await _fill_at(url, target, rows, now)
                EXECUTOR_CACHE.clear()
                await db.migrate(url)
                await db.init_db(url)
                try:
                    yield url
                finally:
                    await db.close_db()
        except PostgresUnavailable as error:
            unreachable_postgres(error)

    return migrated
