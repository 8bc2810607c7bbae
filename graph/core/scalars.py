"""The shop's own `Decimal` and `DateTime` scalars: parsed once, at the edge, in bounded time.

Strawberry's built-in scalars hand any `decimal.Decimal` or `dateutil` parse to
the resolvers (`"1e600000"`, `"NaN"`, a naive time); these accept only the plain
forms and refuse anything else as a `BAD_USER_INPUT` error before a resolver
runs, for literals and variables alike.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import Any

from graphql import FloatValueNode, IntValueNode, StringValueNode, ValueNode
from strawberry.types.scalar import ScalarDefinition

from commerce.money import MAX_SIGNIFICANT_DIGITS, InvalidAmount, parse_decimal
from graph.core.errors import bad_user_input

__all__ = ["DecimalScalar", "DateTimeScalar", "SCALAR_OVERRIDES", "parse_date_time"]

MAX_DATE_TIME_LENGTH = 40  # "2026-12-06T00:17:54.123456+05:30" is 32
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9:.,+\-Z]+)?\Z")


def _shown(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 24 else text[:24] + "…")


def _parse_decimal_value(value: Any) -> decimal.Decimal:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**MAX_SIGNIFICANT_DIGITS:
        value = str(value)  # a JSON number that is a whole number
    if not isinstance(value, str):
        raise bad_user_input(f"Decimal: {_shown(value)} is not a decimal string such as \"19.99\".")
    try:
        return parse_decimal(value)
    except InvalidAmount as error:
        raise bad_user_input(f"Decimal: {error}.") from None


def _serialize_decimal(value: Any) -> str:
    """A plain decimal string, as the input takes: "0.0000001" and "100", never "1E-7" or "1E+2"."""
    return format(value, "f") if isinstance(value, decimal.Decimal) else str(value)


def _parse_decimal_literal(node: ValueNode, _variables: Any = None) -> decimal.Decimal:
    if isinstance(node, (StringValueNode, IntValueNode, FloatValueNode)):
        return _parse_decimal_value(node.value if isinstance(node, StringValueNode) else str(node.value))
    raise bad_user_input("Decimal: expected a decimal string such as \"19.99\".")


def parse_date_time(value: Any) -> dt.datetime:
    """An ISO 8601 date and time (year 1 to 9999) as an aware UTC datetime; BAD_USER_INPUT otherwise.
    A time without an offset is taken as UTC."""
    if not isinstance(value, str) or len(value) > MAX_DATE_TIME_LENGTH or not _DATE_TIME.match(value):
        raise bad_user_input(f"DateTime: {_shown(value)} is not an ISO 8601 time such as \"2026-01-31T12:00:00Z\".")
    try:
        moment = dt.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            return moment.replace(tzinfo=dt.timezone.utc)
        return moment.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError):
        raise bad_user_input(f"DateTime: {_shown(value)} is not a time between the years 1 and 9999.") from None


def _parse_date_time_literal(node: ValueNode, _variables: Any = None) -> dt.datetime:
    if isinstance(node, StringValueNode):
        return parse_date_time(node.value)
    raise bad_user_input("DateTime: expected an ISO 8601 string such as \"2026-01-31T12:00:00Z\".")


DecimalScalar = ScalarDefinition(
    name="Decimal",
    description=f'A plain decimal string such as "19.99" or "-5": at most {MAX_SIGNIFICANT_DIGITS} significant '
    "digits, no exponent.",
    specified_by_url=None,
    serialize=_serialize_decimal,
    parse_value=_parse_decimal_value,
    parse_literal=_parse_decimal_literal,
    origin=decimal.Decimal,
)

DateTimeScalar = ScalarDefinition(
    name="DateTime",
    description="Date with time (isoformat)",
    specified_by_url=None,
    serialize=dt.datetime.isoformat,
    parse_value=parse_date_time,
    parse_literal=_parse_date_time_literal,
    origin=dt.datetime,
)

SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {decimal.Decimal: DecimalScalar, dt.datetime: DateTimeScalar}
