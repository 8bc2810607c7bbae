"""Fixtures for tests that run shopgraph as real server processes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import unreachable_postgres
from tests.databases import PostgresUnavailable, throwaway_database


@pytest.fixture
async def postgres_url(tmp_path: Path) -> AsyncIterator[str]:
    """An empty PostgreSQL database that several server processes share."""
    try:
        async with throwaway_database("postgres", tmp_path) as url:
            yield url
    except PostgresUnavailable as error:
        unreachable_postgres(error)
