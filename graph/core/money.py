"""`Money` and `CurrencyCode`: decimal strings at the API, minor units inside."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

import strawberry

from commerce.money import CURRENCY_EXPONENTS, to_decimal

__all__ = ["CurrencyCode", "Money"]

CurrencyCode = strawberry.enum(
    Enum("CurrencyCode", {code: code for code in sorted(CURRENCY_EXPONENTS)}),
    description="ISO 4217 currency code.",
)


@strawberry.type(description="An amount of money in one currency.")
class Money:
    amount: Decimal = strawberry.field(description='Decimal string, such as "19.99".')
    currency_code: CurrencyCode
    minor_units: int = strawberry.field(description="The amount in the currency's smallest unit (cents).")

    @classmethod
    def of(cls, minor_units: int, currency: str) -> "Money":
        return cls(
            amount=to_decimal(minor_units, currency),
            currency_code=CurrencyCode[currency],
            minor_units=minor_units,
        )
