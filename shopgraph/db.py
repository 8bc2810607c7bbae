"""The ORM's life cycle: initialise, migrate, check, close.

Tortoise 1.x keeps its state in a `TortoiseContext`. The server initialises
it once with the global fallback, so request tasks (which run outside the
task that started the app) see the initialised ORM.
"""

from __future__ import annotations

import asyncio

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.api import migrate as _migrate

from shopgraph import cancel_safe
from shopgraph.settings import tortoise_config

cancel_safe.install()  # a cancelled transaction gives its connection back (shopgraph/cancel_safe.py)

__all__ = ["init_db", "close_db", "migrate", "ping"]


async def init_db(database_url: str) -> None:
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


async def migrate(database_url: str) -> None:
    """Apply every migration under `migrations/` that the database lacks."""
    try:
        await _migrate(config=tortoise_config(database_url))
    finally:
        await Tortoise.close_connections()


async def ping(timeout: float = 2.0) -> bool:
    """True when the database answers a trivial query within `timeout` seconds."""
    try:
        await asyncio.wait_for(get_connection("default").execute_query("SELECT 1"), timeout)
    except Exception:  # any failure to answer is "not healthy"
        return False
    return True
