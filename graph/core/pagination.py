"""Relay connection arguments: the checks every `first/after/last/before` shares."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry

from graph.core.errors import bad_user_input

__all__ = ["MAX_PAGE_SIZE", "DEFAULT_PAGE_SIZE", "PageInfo", "PageArgs", "page_args"]

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


@strawberry.type(description="Where a page stands in the whole list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


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
