"""Cursors of the change feed: an opaque wrapper around an event's number."""

from __future__ import annotations

from graph.core.errors import bad_user_input
from graph.core.ids import INT64_MAX, cursor_int, decode_cursor, encode_cursor

__all__ = ["event_cursor", "event_sequence"]


def event_cursor(sequence: int) -> str:
    return encode_cursor(["e", sequence])


def event_sequence(cursor: str | None, argument: str = "after") -> int:
    """The event number inside a cursor made by `event_cursor` (0 for None); BAD_USER_INPUT otherwise."""
    if cursor is None:
        return 0
    values = decode_cursor(cursor, argument)
    sequence = cursor_int(values[1], INT64_MAX) if len(values) == 2 and values[0] == "e" else None
    if sequence is None:
        raise bad_user_input(f"`{argument}` is not a cursor of the order events.")
    return sequence
