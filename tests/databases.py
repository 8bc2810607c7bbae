"""Throwaway databases for the suite: a SQLite file, or a PostgreSQL database.

PostgreSQL is at 127.0.0.1:5432 (user postgres, trust auth) unless
`SHOPGRAPH_TEST_POSTGRES` names another server. Each test module gets a
database of its own, created here and dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

POSTGRES_SERVER = os.environ.get("SHOPGRAPH_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")


class PostgresUnavailable(Exception):
    pass


async def _admin() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(f"{POSTGRES_SERVER}/test", timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        raise PostgresUnavailable(f"{POSTGRES_SERVER}: {error}") from error


@asynccontextmanager
async def throwaway_database(kind: str, directory: Path) -> AsyncIterator[str]:
    """Yields the URL of an empty database of `kind` ("sqlite" or "postgres")."""
    name = f"shopgraph_test_{uuid.uuid4().hex[:12]}"
    if kind == "sqlite":
        yield f"sqlite://{directory / (name + '.db')}"
        return
    admin = await _admin()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        admin = await _admin()
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
