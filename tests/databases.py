"""Throwaway databases for the suite: a SQLite file, or a PostgreSQL database.

PostgreSQL is at 127.0.0.1:5432 (user postgres, trust auth) unless
`SHOPGRAPH_TEST_POSTGRES` names another server. Each test module gets a
database of its own, created here and dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
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


async def _admin_execute(statement: str) -> None:
    admin = await _admin()
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


@asynccontextmanager
async def _postgres_database(name: str, template: str | None = None) -> AsyncIterator[str]:
    """Creates database `name` (a copy of `template`, if given), yields its URL, drops it."""
    await _admin_execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def throwaway_database(kind: str, directory: Path) -> AsyncIterator[str]:
    """Yields the URL of an empty database of `kind` ("sqlite" or "postgres")."""
    name = f"shopgraph_test_{uuid.uuid4().hex[:12]}"
    if kind == "sqlite":
        yield f"sqlite://{directory / (name + '.db')}"
        return
    async with _postgres_database(name) as url:
        yield url


# One migrated template per database kind and test process: a module's database is a copy of it
# (a file copy; PostgreSQL's CREATE DATABASE ... TEMPLATE), not a fresh run of every migration.
_TEMPLATES: dict[str, str] = {}


async def _template(kind: str, directory: Path) -> str:
    """The migrated template of `kind`: its SQLite file path, or its PostgreSQL database name."""
    if kind not in _TEMPLATES:
        from shopgraph import db

        name = f"shopgraph_template_{uuid.uuid4().hex[:12]}"
        if kind == "sqlite":
            path = directory / f"{name}.db"
            await db.migrate(f"sqlite://{path}")
            _TEMPLATES[kind] = str(path)
        else:
            await _admin_execute(f'CREATE DATABASE "{name}"')
            _TEMPLATES[kind] = name  # dropped by drop_templates() even if the migration fails
            await db.migrate(f"{POSTGRES_SERVER}/{name}")
    return _TEMPLATES[kind]


@asynccontextmanager
async def migrated_database(kind: str, directory: Path) -> AsyncIterator[str]:
    """Yields the URL of a database of `kind` holding every migration and no rows, dropped afterwards."""
    template = await _template(kind, directory.parent)
    name = f"shopgraph_test_{uuid.uuid4().hex[:12]}"
    if kind == "sqlite":
        path = directory / (name + ".db")
        shutil.copyfile(template, path)
        yield f"sqlite://{path}"
        return
    async with _postgres_database(name, template) as url:
        yield url


async def drop_templates() -> None:
    """Drops this process's PostgreSQL template (the SQLite one goes with pytest's temporary files)."""
    name = _TEMPLATES.pop("postgres", None)
    _TEMPLATES.clear()
    if name is not None:
        await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
