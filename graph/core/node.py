"""The Relay `Node` interface and the `node(id)` query."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from graph.core.ids import from_global_id

__all__ = ["Node", "register_node", "resolve_node"]


@strawberry.interface(description="An object with a globally unique id.")
class Node:
    id: strawberry.ID


NodeResolver = Callable[[Any, str], Awaitable[Node | None]]
_resolvers: dict[str, NodeResolver] = {}


def register_node(type_name: str, resolver: NodeResolver) -> None:
    """`resolver(info, key)` returns the object, or None when the caller may not see it."""
    _resolvers[type_name] = resolver


async def resolve_node(info: Any, global_id: str) -> Node | None:
    decoded = from_global_id(global_id)
    if decoded is None:
        return None
    type_name, key = decoded
    resolver = _resolvers.get(type_name)
    return None if resolver is None else await resolver(info, key)
