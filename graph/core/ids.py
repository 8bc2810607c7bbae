"""The id codec: Relay global ids (`base64url("Type:key")`) and opaque cursors.

Every id and cursor the API takes is decoded here, with one rule per kind of
key: integer keys are ASCII digits within their column's range (32-bit
`IntField`, 64-bit `BigIntField`), cart and order keys are 32 lowercase hex
digits. Anything else is an unknown id: the callers answer `null` (queries),
`NOT_FOUND` (mutations) or `BAD_USER_INPUT` (a malformed cursor). Decoding
costs at most a few microseconds whatever the client sends: the text is
bounded before it is decoded.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from commerce.errors import DomainError
from graph.core.errors import bad_user_input
from models.ids import global_id

__all__ = [
    "INT32_MAX", "INT64_MAX", "to_global_id", "from_global_id", "int_key", "big_int_key", "secret_key",
    "int_key_of", "big_int_key_of", "secret_key_of", "known", "encode_cursor", "decode_cursor",
    "cursor_int",
]

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
MAX_ID_LENGTH = 200  # an encoded id longer than this is not one of ours
MAX_CURSOR_LENGTH = 4096  # a cursor carries a sort value too (a title, at most 200 characters)
_DIGITS = re.compile(r"(?:0|[1-9][0-9]{0,18})\Z")  # ASCII only: no sign, no leading zeros
_SECRET = re.compile(r"[0-9a-f]{32}\Z")


def _b64encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _b64decode(token: str, most: int = MAX_ID_LENGTH) -> str | None:
    if not isinstance(token, str) or len(token) > most or not token.isascii():
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        return None


def to_global_id(type_name: str, key: Any) -> str:
    """The id the API shows for row `key` of `type_name` (`models.ids.global_id`, which partners' payloads use too)."""
    return global_id(type_name, key)


def from_global_id(global_id: str | None) -> tuple[str, str] | None:
    """(type name, raw key), or None when `global_id` is not shaped as one of ours."""
    text = _b64decode(global_id) if global_id is not None else None
    if text is None:
        return None
    type_name, sep, key = text.partition(":")
    if not sep or not type_name or not key:
        return None
    return type_name, key


def int_key_of(key: str, most: int = INT32_MAX) -> int | None:
    """A raw key of an integer column (`IntField` by default), or None."""
    if not _DIGITS.match(key):
        return None
    value = int(key)
    return value if value <= most else None


def big_int_key_of(key: str) -> int | None:
    """A raw key of a `BigIntField` column, or None."""
    return int_key_of(key, INT64_MAX)


def secret_key_of(key: str) -> str | None:
    """A raw key of a cart or an order (32 lowercase hex digits), or None."""
    return key if _SECRET.match(key) else None


def _key(global_id: str | None, type_name: str) -> str | None:
    decoded = from_global_id(global_id)
    return decoded[1] if decoded is not None and decoded[0] == type_name else None


def int_key(global_id: str | None, type_name: str) -> int | None:
    """The database id inside a global id of `type_name` (an `IntField` key), or None."""
    key = _key(global_id, type_name)
    return None if key is None else int_key_of(key)


def big_int_key(global_id: str | None, type_name: str) -> int | None:
    """The database id inside a global id of `type_name` (a `BigIntField` key), or None."""
    key = _key(global_id, type_name)
    return None if key is None else big_int_key_of(key)


def secret_key(global_id: str | None, type_name: str) -> str | None:
    """The key inside a Cart or Order id, or None."""
    key = _key(global_id, type_name)
    return None if key is None else secret_key_of(key)


def known(key: Any, what: str, *field: str) -> Any:
    """`key`, or the `NOT_FOUND` user error of the mutation's id argument at path `field`."""
    if key is None:
        raise DomainError.not_found(what, *field)
    return key


def encode_cursor(values: list[Any]) -> str:
    return _b64encode(json.dumps(values, separators=(",", ":"), default=str))


def decode_cursor(cursor: str, argument: str) -> list[Any]:
    """The values inside a cursor made by `encode_cursor`; BAD_USER_INPUT otherwise."""
    text = _b64decode(cursor, MAX_CURSOR_LENGTH)
    try:
        values = None if text is None else json.loads(text)
    except ValueError:
        values = None
    if not isinstance(values, list):
        raise bad_user_input(f"`{argument}` is not a valid cursor.")
    return values


def cursor_int(value: Any, most: int = INT32_MAX) -> int | None:
    """A number inside a decoded cursor when it is a key of a column of that range (0..`most`), or None."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
        return None
    return value
