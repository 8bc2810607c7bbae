"""Money: integer minor units inside, `Decimal` at the edge. Never floats."""

from __future__ import annotations

import re
from decimal import Decimal

from iso4217 import Currency

from commerce.errors import DomainError, UserErrorCode

__all__ = [
    "CURRENCY_EXPONENTS", "MAX_MINOR_UNITS", "MAX_SIGNIFICANT_DIGITS", "InvalidAmount", "exponent", "parse_decimal",
    "to_decimal", "to_minor_units", "amount_field",
]

MAX_SIGNIFICANT_DIGITS = 18
MAX_MINOR_UNITS = 2**31 - 1  # money columns are 32-bit integers on every database
_MAX_DECIMAL_TEXT = 64  # characters of a decimal string: enough for 18 digits and zeros around them
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?\Z")  # ASCII digits only, no exponent

# ISO 4217 minor-unit exponents (JPY 0, USD 2, KWD 3), from the `iso4217` package's copy of the
# standard's list: every currency in circulation; funds and metals (no minor unit) are left out.
CURRENCY_EXPONENTS: dict[str, int] = {
    currency.code: currency.exponent for currency in Currency if currency.exponent is not None
}


class InvalidAmount(ValueError):
    """An amount that is not a whole number of the currency's minor units."""


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise ValueError(f"unsupported currency {currency!r}") from None


def to_decimal(minor_units: int, currency: str) -> Decimal:
    """1999 USD cents -> Decimal('19.99'); 500 JPY -> Decimal('500')."""
    if isinstance(minor_units, bool) or not isinstance(minor_units, int):
        raise TypeError("minor units must be an int")
    return Decimal(minor_units).scaleb(-exponent(currency))


def _shown(text: str) -> str:
    return repr(text if len(text) <= 24 else text[:24] + "…")


def parse_decimal(text: str) -> Decimal:
    """A plain decimal string (`-?digits[.digits]`, at most 18 significant digits) as a Decimal.

    Exponents, NaN, Infinity, spaces and non-ASCII digits are refused (InvalidAmount)
    before any Decimal arithmetic, so whatever the text, this costs microseconds.
    """
    if not isinstance(text, str) or len(text) > _MAX_DECIMAL_TEXT or not _PLAIN_DECIMAL.match(text):
        raise InvalidAmount(f"{_shown(str(text))} is not a plain decimal such as \"19.99\"")
    digits = text.lstrip("-").replace(".", "").lstrip("0")
    if "." in text:
        digits = digits.rstrip("0")
    if len(digits) > MAX_SIGNIFICANT_DIGITS:
        raise InvalidAmount(f"{_shown(text)} has more than {MAX_SIGNIFICANT_DIGITS} significant digits")
    return Decimal(text)


def to_minor_units(amount: Decimal | str, currency: str, *, most: int = MAX_MINOR_UNITS) -> int:
    """Decimal('19.99') USD -> 1999, within ±`most` (a money column's range).

    Refuses fractions of a minor unit, non-numbers and amounts out of range
    (InvalidAmount), checking the size before any costly arithmetic.
    """
    value = amount if isinstance(amount, Decimal) else parse_decimal(amount)
    if not value.is_finite():
        raise InvalidAmount(f"{_shown(str(amount))} is not a finite amount")
    if value and value.adjusted() > MAX_SIGNIFICANT_DIGITS:
        raise InvalidAmount(f"{_shown(str(amount))} {currency} is out of range")
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise InvalidAmount(f"{amount} has more decimals than {currency} allows")
    minor = int(scaled)
    if abs(minor) > most:
        raise InvalidAmount(f"{amount} {currency} is out of range (at most {to_decimal(most, currency)})")
    return minor


def amount_field(amount: Decimal | str, currency: str, *field: str | int, most: int = MAX_MINOR_UNITS) -> int:
    """`to_minor_units` for an input field: the refusal is INVALID with the field's path."""
    try:
        return to_minor_units(amount, currency, most=most)
    except InvalidAmount as error:
        raise DomainError(UserErrorCode.INVALID, f"{error}.", [str(f) for f in field]) from None
