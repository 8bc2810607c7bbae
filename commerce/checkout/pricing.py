"""Prices from the database, in minor units: line totals and cart totals."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["PricedLine", "CartTotals", "price_line", "cart_totals"]


@dataclass(frozen=True)
class PricedLine:
    quantity: int
    unit_price: int
    total: int


@dataclass(frozen=True)
class CartTotals:
    quantity: int
    subtotal: int
    total: int


def price_line(quantity: int, unit_price: int) -> PricedLine:
    return PricedLine(quantity=quantity, unit_price=unit_price, total=quantity * unit_price)


def cart_totals(lines: Iterable[PricedLine]) -> CartTotals:
    """Subtotal is the sum of the lines; the total adds nothing yet (no tax, no shipping)."""
    lines = list(lines)
    subtotal = sum(line.total for line in lines)
    return CartTotals(quantity=sum(line.quantity for line in lines), subtotal=subtotal, total=subtotal)
