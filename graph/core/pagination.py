"""Relay connections: the generic `Connection[T]`/`Edge[T]`, and the checks every `first/after/last/before` shares.

A list field returns a connection named after its node type, such as
`OrderConnection(Connection[Order])`: the subclass gives the type its
description and any fields of its own (`ProductConnection`'s facets), the
generic gives `edges`, `pageInfo` and `nodes`, and `page` builds it from the
page's edges. Strawberry names `Edge[Order]` `OrderEdge`. `CountedConnection`
adds `totalCount` before `nodes`, for lists counted as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Self, TypeVar

import strawberry

from graph.core.errors import bad_user_input

__all__ = [
    "MAX_PAGE_SIZE", "DEFAULT_PAGE_SIZE", "PageInfo", "Edge", "Connection", "CountedConnection", "PageArgs",
    "page_args",
]

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

NodeType = TypeVar("NodeType")


@strawberry.type(description="Where a page stands in the whole list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeType]):
    cursor: str
    node: NodeType


def _nodes(self) -> list[NodeType]:
    """The page's nodes, without their cursors."""
    return [edge.node for edge in self.edges]


@strawberry.type
class _Page(Generic[NodeType]):
    edges: list[Edge[NodeType]]
    page_info: PageInfo

    @classmethod
    def page(cls, edges: list[Edge[NodeType]], *, has_next_page: bool, has_previous_page: bool,
             **fields: Any) -> Self:
        """The connection of `edges`; its page info's cursors are the first and last edge's."""
        return cls(edges=edges, page_info=PageInfo(
            has_next_page=has_next_page, has_previous_page=has_previous_page,
            start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None,
        ), **fields)


@strawberry.type
class Connection(_Page[NodeType], Generic[NodeType]):
    """`edges`, `pageInfo`, `nodes`."""

    nodes: list[NodeType] = strawberry.field(resolver=_nodes)


@strawberry.type
class CountedConnection(_Page[NodeType], Generic[NodeType]):
    """`edges`, `pageInfo`, `totalCount` (of the whole list), `nodes`."""

    total_count: int
    nodes: list[NodeType] = strawberry.field(resolver=_nodes)


@dataclass(frozen=True)
class PageArgs:
    first: int | None
    last: int | None


def page_args(first: int | None, last: int | None) -> PageArgs:
    """Checks `first`/`last`; with neither, the first DEFAULT_PAGE_SIZE items."""
    if first is not None and last is not None:
        raise bad_user_input("Give `first` or `last`, not both.")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= MAX_PAGE_SIZE:
            raise bad_user_input(f"`{name}` must be between 0 and {MAX_PAGE_SIZE}, got {value}.")
    if first is None and last is None:
        first = DEFAULT_PAGE_SIZE
    return PageArgs(first=first, last=last)
