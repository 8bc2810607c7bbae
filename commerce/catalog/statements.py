"""Catalog statements built once per search and filter, then sent as text and parameters.

A search with filters and facets runs the same handful of counting and grouping
statements for every shopper who asks it, each a query with nested subqueries
that the ORM's query builder took longer to write than the database took to
answer. Each statement here is built by the ORM the first time a selection
(its filter and its search's matches) asks for it and kept, with its
parameters, under that selection: the next request with the same selection
sends the kept text. The text is a function of the key alone, so a changed
catalog (other matches) is another key, never a stale statement.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from tortoise import connections

__all__ = ["selection_key", "count", "values", "models"]

_SIZE = 512  # statements kept, least recently used out first
_built: OrderedDict[Hashable, tuple[str, list[Any], list[str]]] = OrderedDict()


def selection_key(selection: Any) -> Hashable:
    """What a selection's statements depend on: its filter, its search's matches, in order, and the
    market's price rule (its currency, rate and rounding are written into the text)."""
    relevance = selection.relevance
    return selection.filters, None if relevance is None else tuple(relevance.items()), selection.market


def _statement(key: Hashable, build: Callable[[], Any], connection: Any) -> tuple[str, list[Any], list[str]]:
    """The statement's text, its parameters and its annotations' names."""
    key = (connection.capabilities.dialect, key)
    built = _built.get(key)
    if built is None:
        query = build()
        query._db = connection
        query._make_query()
        sql, parameters = query.query.get_parameterized_sql()
        built = _built[key] = sql, parameters, list(getattr(query, "_annotations", ()))
        if len(_built) > _SIZE:
            _built.popitem(last=False)
    else:
        _built.move_to_end(key)
    return built


async def count(key: Hashable, build: Callable[[], Any]) -> int:
    """What `await build()` (a queryset's `.count()`) answers, its statement built once per key."""
    connection = connections.get("default")
    sql, parameters, _ = _statement(key, build, connection)
    _, rows = await connection.execute_query(sql, list(parameters))
    return int(next(iter(dict(rows[0]).values()))) if rows else 0


async def values(key: Hashable, build: Callable[[], Any]) -> list[dict[str, Any]]:
    """What `await build()` (a queryset's `.values(...)` of plain columns and aggregates) answers,
    its statement built once per key."""
    connection = connections.get("default")
    sql, parameters, _ = _statement(key, build, connection)
    return await connection.execute_query_dict(sql, list(parameters))


async def models(key: Hashable, model: Any, build: Callable[[], Any]) -> list[Any]:
    """What `await build()` (a queryset of `model`, without related or prefetched rows) answers,
    its statement built once per key; the rows become instances as the ORM makes them."""
    connection = connections.get("default")
    sql, parameters, annotations = _statement(key, build, connection)
    return await connection.executor_class(model=model, db=connection).execute_select(
        sql, list(parameters), custom_fields=annotations)
