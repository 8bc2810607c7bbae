"""Relay global ids (`base64("Type:key")`) and opaque cursors."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from graph.errors import bad_user_input

__all__ = ["to_global_id", "from_global_id", "encode_cursor", "decode_cursor", "expect_global_id"]


def _b64encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _b64decode(token: str) -> str:
    padded = token + "=" * (-len(token) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")


def to_global_id(type_name: str, key: Any) -> str:
    return _b64encode(f"{type_name}:{key}")


def from_global_id(global_id: str) -> tuple[str, str] | None:
    """(type name, key), or None when `global_id` is not one of ours."""
    try:
        type_name, sep, key = _b64decode(global_id).partition(":")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    if not sep or not type_name or not key:
        return None
    return type_name, key


def expect_global_id(global_id: str, type_name: str, argument: str = "id") -> str:
    """The key inside a global id of `type_name`; a BAD_USER_INPUT error otherwise."""
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != type_name:
        raise bad_user_input(f"`{argument}` is not a valid {type_name} id.")
    return decoded[1]


def encode_cursor(values: list[Any]) -> str:
    return _b64encode(json.dumps(values, separators=(",", ":"), default=str))


def decode_cursor(cursor: str, argument: str) -> list[Any]:
    try:
        values = json.loads(_b64decode(cursor))
    except (binascii.Error, UnicodeError, ValueError):
        values = None
    if not isinstance(values, list):
        raise bad_user_input(f"`{argument}` is not a valid cursor.")
    return values
