"""Text that shoppers, staff and partners send: bounded length, no control characters.

One rule for every text field where input enters the shop (address lines,
names, emails, discount codes, webhook URLs, titles): at most `max_length`
characters, and no control character (C0, DEL or C1; NUL included, which
PostgreSQL refuses to store). Fields that really span lines (descriptions)
may hold line breaks and tabs. A refusal is `INVALID` with the field's path.
"""

from __future__ import annotations

import re

from commerce.errors import DomainError, UserErrorCode as Code

__all__ = ["check_text", "has_control_characters"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(value: str, *, multiline: bool = False) -> bool:
    return bool((_CONTROL_BUT_LINE_BREAKS if multiline else _CONTROL).search(value))


def check_text(value: str, *field: str | int, max_length: int, multiline: bool = False) -> str:
    """`value` when it has at most `max_length` characters and no control character; INVALID at `field` otherwise."""
    path = [str(f) for f in field]
    if len(value) > max_length:
        raise DomainError(Code.INVALID, f"At most {max_length} characters.", path)
    if has_control_characters(value, multiline=multiline):
        raise DomainError(Code.INVALID, "Control characters are not allowed here.", path)
    return value
