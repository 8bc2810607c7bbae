"""Money: integer minor units inside, `Decimal` at the edge. Never floats."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

__all__ = ["CURRENCY_EXPONENTS", "InvalidAmount", "exponent", "to_decimal", "to_minor_units"]

# ISO 4217 minor-unit exponents for the currencies the shop may be configured with.
CURRENCY_EXPONENTS: dict[str, int] = {
    "AUD": 2, "BRL": 2, "CAD": 2, "CHF": 2, "CNY": 2, "CZK": 2, "DKK": 2, "EUR": 2,
    "GBP": 2, "HKD": 2, "HUF": 2, "INR": 2, "JPY": 0, "KRW": 0, "MXN": 2, "NOK": 2,
    "NZD": 2, "PLN": 2, "SEK": 2, "SGD": 2, "USD": 2, "ZAR": 2,
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


def to_minor_units(amount: Decimal | str, currency: str) -> int:
    """Decimal('19.99') USD -> 1999. Refuses fractions of a minor unit and non-numbers."""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidAmount(f"{amount!r} is not a decimal amount") from None
    if not value.is_finite():
        raise InvalidAmount(f"{amount!r} is not a finite amount")
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise InvalidAmount(f"{amount} has more decimals than {currency} allows")
    return int(scaled)
