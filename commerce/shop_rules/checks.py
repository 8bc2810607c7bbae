"""Checks shared by the staff's shop rules: countries, amounts, names."""

from __future__ import annotations

from decimal import Decimal

import pycountry

from commerce.errors import DomainError, UserErrorCode as Code
from commerce.money import amount_field
from commerce.text import check_text

__all__ = ["invalid", "country_code", "province_code", "amount", "optional_amount", "count", "text"]


def invalid(message: str, *field: str | int) -> DomainError:
    return DomainError(Code.INVALID, message, [str(f) for f in field])


def country_code(value: str, *field: str | int) -> str:
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise invalid(f"{value!r} is not an ISO 3166-1 two-letter country code.", *field)
    return code


def province_code(country: str, value: str | None, *field: str | int) -> str:
    code = (value or "").strip().upper()
    if not code:
        return ""
    known = {s.code.split("-", 1)[1] for s in pycountry.subdivisions.get(country_code=country) or []}
    if code not in known:
        raise invalid(f"{code} is not a province of {country}.", *field)
    return code


def amount(value: Decimal, currency: str, *field: str | int) -> int:
    minor = amount_field(value, currency, *field)
    if minor < 0:
        raise invalid("Enter an amount from 0 up.", *field)
    return minor


def optional_amount(value: Decimal | None, currency: str, *field: str | int) -> int | None:
    return None if value is None else amount(value, currency, *field)


def count(value: int | None, *field: str | int, minimum: int = 0) -> int | None:
    if value is not None and not minimum <= value <= 10**9:
        raise invalid(f"Enter a whole number from {minimum} up.", *field)
    return value


def text(value: str | None, *field: str | int, max_length: int = 100) -> str:
    cleaned = " ".join((value or "").split())
    if not 1 <= len(cleaned) <= max_length:
        raise invalid(f"Enter 1 to {max_length} characters.", *field)
    return check_text(cleaned, *field, max_length=max_length)
