"""Taxes: the `TaxCalculator` seam and the built-in calculator over the shop's tax rates.

A calculator takes the lines (after discounts), the address and the shipping
and returns tax per line, tax on shipping and tax lines; a provider such as
Stripe Tax can be plugged in behind the same protocol. The built-in one adds
the country's rate and the province's rate. Tax is computed per line and
rounded half-even per line, exactly, on integers of minor units: a rate is a
decimal percentage turned into a fraction, never a float.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

from models import TaxRate

__all__ = [
    "TaxableLine", "TaxRequest", "TaxLine", "TaxResult", "Rate", "TaxCalculator",
    "RateTableCalculator", "compute_tax", "rates_for",
]


@dataclass(frozen=True)
class TaxableLine:
    key: int
    amount: int  # the line total less its discount


@dataclass(frozen=True)
class TaxRequest:
    lines: Sequence[TaxableLine]
    shipping: int  # the delivery price less its discount
    country_code: str
    province_code: str = ""
    prices_include_tax: bool = False


@dataclass(frozen=True)
class TaxLine:
    title: str
    percentage: Decimal
    amount: int


@dataclass(frozen=True)
class TaxResult:
    line_tax: dict[int, int]
    shipping_tax: int
    lines: list[TaxLine]

    @property
    def total(self) -> int:
        return sum(self.line_tax.values()) + self.shipping_tax


@dataclass(frozen=True)
class Rate:
    title: str
    percentage: Decimal
    applies_to_shipping: bool = False

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.percentage) / 100


class TaxCalculator(Protocol):
    async def calculate(self, request: TaxRequest) -> TaxResult: ...


def _tax(amount: int, rate: Fraction, all_rates: Fraction, included: bool) -> int:
    """One rate's tax on one amount, rounded half-even (Python's `round` of a Fraction)."""
    return round(amount * rate / (1 + all_rates)) if included else round(amount * rate)


def compute_tax(request: TaxRequest, rates: Sequence[Rate]) -> TaxResult:
    """Tax per line and per rate; with `prices_include_tax`, the part of each price that is tax."""
    included = request.prices_include_tax
    line_rates = sum((r.fraction for r in rates), Fraction(0))
    shipping_rates = sum((r.fraction for r in rates if r.applies_to_shipping), Fraction(0))
    line_tax = {line.key: 0 for line in request.lines}
    shipping_tax = 0
    tax_lines = []
    for rate in rates:
        amount = 0
        for line in request.lines:
            tax = _tax(line.amount, rate.fraction, line_rates, included)
            line_tax[line.key] += tax
            amount += tax
        if rate.applies_to_shipping:
            tax = _tax(request.shipping, rate.fraction, shipping_rates, included)
            shipping_tax += tax
            amount += tax
        tax_lines.append(TaxLine(rate.title, rate.percentage, amount))
    return TaxResult(line_tax, shipping_tax, tax_lines)


async def rates_for(country_code: str, province_code: str = "") -> list[Rate]:
    """The country's rate, then the province's, as the staff set them."""
    rows = await TaxRate.filter(country_code=country_code, province_code__in=["", province_code]).order_by("province_code")
    return [Rate(r.title, Decimal(r.rate), r.applies_to_shipping) for r in rows]


class RateTableCalculator:
    """The built-in calculator: `taxRateSet` rates per country and province."""

    async def calculate(self, request: TaxRequest) -> TaxResult:
        return compute_tax(request, await rates_for(request.country_code, request.province_code))
