"""The Relay `Node` interface and the `node(id)` query.

Each type registers how its key is read (a decoder of graph.core.ids) and its
resolver, which gets the decoded key: a key that is not one is null here,
before any resolver runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from graph.core.ids import from_global_id

__all__ = ["Node", "register_node", "resolve_node"]


@strawberry.interface(description="An object with a globally unique id.")
class Node:
    id: strawberry.ID


KeyOf = Callable[[str], Any]
NodeResolver = Callable[[Any, Any], Awaitable[Node | None]]
_resolvers: dict[str, tuple[KeyOf, NodeResolver]] = {}


def register_node(type_name: str, key_of: KeyOf, resolver: NodeResolver) -> None:
    """`key_of(raw key)` is the type's decoder (`int_key_of`, `secret_key_of`, …: None for a key that is
    not one); `resolver(info, key)` returns the object, or None when the caller may not see it."""
    _resolvers[type_name] = (key_of, resolver)


async def resolve_node(info: Any, global_id: str) -> Node | None:
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] not in _resolvers:
        return None
    type_name, raw = decoded
    key_of, resolver = _resolvers[type_name]
    key = key_of(raw)
    return None if key is None else await resolver(info, key)
