"""Per-request DataLoaders: one query per batch of keys, results in key order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from strawberry.dataloader import DataLoader

from models import CartLine, Product

__all__ = ["Loaders", "ProductByIdLoader", "CartLinesByCartIdLoader"]


async def _products_by_id(ids: Sequence[int]) -> list[Product | None]:
    found = {p.id: p for p in await Product.filter(id__in=list(set(ids)))}
    return [found.get(i) for i in ids]


async def _cart_lines_by_cart_id(cart_ids: Sequence[str]) -> list[list[CartLine]]:
    by_cart: dict[str, list[CartLine]] = defaultdict(list)
    for line in await CartLine.filter(cart_id__in=list(set(cart_ids))).order_by("id"):
        by_cart[line.cart_id].append(line)
    return [by_cart.get(cart_id, []) for cart_id in cart_ids]


def ProductByIdLoader() -> DataLoader[int, Product | None]:  # noqa: N802 - a loader factory
    return DataLoader(load_fn=_products_by_id)


def CartLinesByCartIdLoader() -> DataLoader[str, list[CartLine]]:  # noqa: N802
    return DataLoader(load_fn=_cart_lines_by_cart_id)


@dataclass
class Loaders:
    product_by_id: DataLoader[int, Product | None] = field(default_factory=ProductByIdLoader)
    cart_lines_by_cart_id: DataLoader[str, list[CartLine]] = field(default_factory=CartLinesByCartIdLoader)
