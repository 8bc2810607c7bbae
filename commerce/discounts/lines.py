"""Discount codes applied to cart lines: pure arithmetic on integers of minor units.

Codes apply in the order given. One code that lowers prices (PERCENTAGE or
FIXED_AMOUNT) applies per cart, plus one FREE_SHIPPING code; any further code
of the same sort stays listed but not applicable. A code's amount is shared out
among its eligible lines in proportion to their totals, the remainder cent
going to the largest line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from models.shop_rules import DiscountKind

__all__ = ["DiscountLine", "Discount", "DiscountOutcome", "apply_line_discounts", "allocate", "free_shipping"]


@dataclass(frozen=True)
class DiscountLine:
    key: int
    total: int
    collection_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Discount:
    """A code that is live (active, started, not ended, uses left); its cart conditions are checked here."""

    code: str
    kind: DiscountKind
    value: int
    min_subtotal: int | None = None
    collection_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class DiscountOutcome:
    line_discounts: dict[int, int]
    applications: dict[str, int]  # code -> amount taken off the lines
    applicable: frozenset[str]
    free_shipping_code: str | None = None


def allocate(amount: int, totals: dict[int, int]) -> dict[int, int]:
    """`amount` shared by `totals` in proportion, never more than a line's total.

    Each line gets its floor share; the cents left go to the largest line, and
    spill to the next largest only when a line is used up.
    """
    whole = sum(totals.values())
    if amount <= 0 or whole <= 0:
        return {key: 0 for key in totals}
    amount = min(amount, whole)
    shares = {key: amount * total // whole for key, total in totals.items()}
    left = amount - sum(shares.values())
    for key in sorted(totals, key=lambda k: (-totals[k], k)):
        if left == 0:
            break
        extra = min(left, totals[key] - shares[key])
        shares[key] += extra
        left -= extra
    return shares


def _eligible(discount: Discount, lines: Sequence[DiscountLine]) -> dict[int, int]:
    if not discount.collection_ids:
        return {line.key: line.total for line in lines}
    return {line.key: line.total for line in lines if line.collection_ids & discount.collection_ids}


def _amount(discount: Discount, eligible_total: int) -> int:
    if discount.kind is DiscountKind.PERCENTAGE:
        return min(eligible_total, round(Fraction(eligible_total * discount.value, 10_000)))
    return min(eligible_total, discount.value)


def apply_line_discounts(lines: Sequence[DiscountLine], discounts: Sequence[Discount]) -> DiscountOutcome:
    subtotal = sum(line.total for line in lines)
    line_discounts = {line.key: 0 for line in lines}
    applications: dict[str, int] = {}
    applicable: set[str] = set()
    free_code: str | None = None
    for discount in discounts:
        if discount.min_subtotal is not None and subtotal < discount.min_subtotal:
            continue
        eligible = _eligible(discount, lines)
        if not eligible:
            continue
        if discount.kind is DiscountKind.FREE_SHIPPING:
            if free_code is None:
                free_code = discount.code
                applicable.add(discount.code)
            continue
        if applications:  # one price discount per cart
            continue
        shares = allocate(_amount(discount, sum(eligible.values())), eligible)
        for key, share in shares.items():
            line_discounts[key] += share
        applications[discount.code] = sum(shares.values())
        applicable.add(discount.code)
    return DiscountOutcome(line_discounts, applications, frozenset(applicable), free_code)


def free_shipping(outcome: DiscountOutcome, shipping: int) -> int:
    """What a FREE_SHIPPING code takes off the delivery price."""
    return shipping if outcome.free_shipping_code is not None else 0
