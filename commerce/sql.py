"""Hand-written statements for the hot paths, built once per database dialect.

Tortoise builds each query anew on every call; the few statements the cart
and checkout run on every request are written here once, as text with `?`
placeholders (numbered `$1, $2, …` for PostgreSQL), and kept per dialect.
Rows come back as dicts keyed by column (or by `alias__column` for joins) and
become model instances through the ORM's own conversion (`model_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar

from tortoise.connection import get_connection
from tortoise.models import Model

__all__ = ["dialect", "statement", "fetch", "execute", "columns", "projection", "model_of", "db_value"]

M = TypeVar("M", bound=Model)

_BUILT: dict[tuple[str, Any], str] = {}


def _connection() -> Any:
    return get_connection("default")  # the transaction's, inside `in_transaction()`


def dialect() -> str:
    return _connection().capabilities.dialect


def _numbered(sql: str) -> str:
    parts = sql.split("?")
    return "".join(part + (f"${i}" if i < len(parts) else "") for i, part in enumerate(parts, start=1))


def statement(key: Any, build: Callable[[str], str]) -> str:
    """The statement `build(dialect)` makes, written with `?` placeholders: built on first use per dialect."""
    name = dialect()
    found = _BUILT.get((name, key))
    if found is None:
        found = build(name)
        if name == "postgres":
            found = _numbered(found)
        _BUILT[(name, key)] = found
    return found


async def fetch(sql: str, values: Sequence[Any]) -> list[dict[str, Any]]:
    return [dict(row) for row in await _connection().execute_query_dict(sql, list(values))]


async def execute(sql: str, values: Sequence[Any]) -> int:
    """Runs a statement; the number of rows it changed."""
    changed, _ = await _connection().execute_query(sql, list(values))
    return changed


@cache
def columns(model: type[Model]) -> tuple[str, ...]:
    return tuple(sorted(model._meta.fields_db_projection.values()))


def projection(model: type[Model], alias: str) -> str:
    """`"alias"."col" AS "alias__col", …` for every column of `model`."""
    return ", ".join(f'"{alias}"."{c}" AS "{alias}__{c}"' for c in columns(model))


def model_of(model: type[M], row: dict[str, Any], alias: str | None = None) -> M | None:
    """The instance in `row` (its `alias__` columns); None when a left join found none."""
    if alias is None:
        return model._init_from_db(**row)
    prefix = f"{alias}__"
    values = {c: row[prefix + c] for c in columns(model)}
    if values[model._meta.db_pk_column] is None:
        return None
    return model._init_from_db(**values)


def db_value(model: type[Model], field: str, value: Any) -> Any:
    """`value` as the database stores `model.field` (JSON as text, enums as their value, …)."""
    return model._meta.fields_map[field].to_db_value(value, None)
