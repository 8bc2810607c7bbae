"""Stock: reserved by conditional decrements, released exactly once.

`UPDATE product SET stock = stock - q WHERE id = … AND stock >= q` is atomic on
every database, so two checkouts can never sell the same unit, with or without
row locks. Products are touched in id order, so concurrent checkouts of the
same products wait for each other instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.expressions import F

from commerce.errors import DomainError, UserErrorCode
from models import Product

__all__ = ["reserve_stock", "release_stock", "retake_stock"]


async def reserve_stock(wanted: dict[int, int], titles: dict[int, str]) -> None:
    """Takes `wanted[product_id]` units of each product, or none at all.

    Must run inside a transaction: on a shortfall it raises INSUFFICIENT_STOCK
    naming every short product, and the caller's rollback undoes the rest.
    """
    short: list[int] = []
    for product_id in sorted(wanted):
        quantity = wanted[product_id]
        taken = await Product.filter(id=product_id, stock__gte=quantity).update(stock=F("stock") - quantity)
        if not taken:
            short.append(product_id)
    if short:
        left = dict(await Product.filter(id__in=short).values_list("id", "stock"))
        details = ", ".join(f"{titles[p]} (only {left.get(p, 0)} left)" for p in short)
        raise DomainError(UserErrorCode.INSUFFICIENT_STOCK, f"Not enough stock: {details}.", ["cartId"])


async def release_stock(lines: Iterable[tuple[int | None, int]]) -> None:
    """Puts (product_id, quantity) back; products deleted since are skipped."""
    for product_id, quantity in sorted((p, q) for p, q in lines if p is not None):
        await Product.filter(id=product_id).update(stock=F("stock") + quantity)


async def retake_stock(lines: Iterable[tuple[int | None, int]]) -> list[int]:
    """Takes (product_id, quantity) again, all or nothing: returns the short products
    (and then takes none, giving back what this call took)."""
    taken: list[tuple[int, int]] = []
    short = []
    for product_id, quantity in sorted((p, q) for p, q in lines if p is not None):
        if await Product.filter(id=product_id, stock__gte=quantity).update(stock=F("stock") - quantity):
            taken.append((product_id, quantity))
        else:
            short.append(product_id)
    if short:
        await release_stock(taken)
    return short
