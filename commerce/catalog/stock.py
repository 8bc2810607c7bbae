"""Stock: reserved by conditional decrements, released exactly once.

Stock lives on variants. `UPDATE product_variant SET stock = stock - q WHERE
id = … AND stock >= q` is atomic on every database, so two checkouts can never
sell the same unit, with or without row locks. Variants are touched in id
order, so concurrent checkouts of the same variants wait for each other
instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.expressions import F

from commerce.errors import DomainError, UserErrorCode
from models import OrderLine, Product, ProductVariant

__all__ = ["reserve_stock", "release_stock", "retake_stock", "count_sales"]


async def reserve_stock(wanted: dict[int, int], titles: dict[int, str]) -> None:
    """Takes `wanted[variant_id]` units of each variant, or none at all.

    Must run inside a transaction: on a shortfall it raises INSUFFICIENT_STOCK
    naming every short variant, and the caller's rollback undoes the rest.
    """
    short: list[int] = []
    for variant_id in sorted(wanted):
        quantity = wanted[variant_id]
        taken = await ProductVariant.filter(id=variant_id, stock__gte=quantity).update(stock=F("stock") - quantity)
        if not taken:
            short.append(variant_id)
    if short:
        left = dict(await ProductVariant.filter(id__in=short).values_list("id", "stock"))
        details = ", ".join(f"{titles[p]} (only {left.get(p, 0)} left)" for p in short)
        raise DomainError(UserErrorCode.INSUFFICIENT_STOCK, f"Not enough stock: {details}.", ["cartId"])


async def release_stock(lines: Iterable[tuple[int | None, int]]) -> None:
    """Puts (variant_id, quantity) back; variants deleted since are skipped."""
    for variant_id, quantity in sorted((v, q) for v, q in lines if v is not None):
        await ProductVariant.filter(id=variant_id).update(stock=F("stock") + quantity)


async def retake_stock(lines: Iterable[tuple[int | None, int]]) -> list[int]:
    """Takes (variant_id, quantity) again, all or nothing: returns the short variants
    (and then takes none, giving back what this call took)."""
    taken: list[tuple[int, int]] = []
    short = []
    for variant_id, quantity in sorted((v, q) for v, q in lines if v is not None):
        if await ProductVariant.filter(id=variant_id, stock__gte=quantity).update(stock=F("stock") - quantity):
            taken.append((variant_id, quantity))
        else:
            short.append(variant_id)
    if short:
        await release_stock(taken)
    return short


async def count_sales(order_id: str) -> None:
    """Adds a paid order's units to its products' `units_sold` (the best-selling sort)."""
    sold: dict[int, int] = {}
    for product_id, quantity in await OrderLine.filter(order_id=order_id).values_list("product_id", "quantity"):
        if product_id is not None:
            sold[product_id] = sold.get(product_id, 0) + quantity
    for product_id in sorted(sold):
        await Product.filter(id=product_id).update(units_sold=F("units_sold") + sold[product_id])
