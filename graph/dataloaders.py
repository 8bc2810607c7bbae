"""Per-request DataLoaders: one query per batch of keys, results in key order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from strawberry.dataloader import DataLoader

from models import Product

__all__ = ["Loaders", "ProductByIdLoader"]


async def _products_by_id(ids: Sequence[int]) -> list[Product | None]:
    found = {p.id: p for p in await Product.filter(id__in=list(set(ids)))}
    return [found.get(i) for i in ids]


def ProductByIdLoader() -> DataLoader[int, Product | None]:  # noqa: N802 - a loader factory
    return DataLoader(load_fn=_products_by_id)


@dataclass
class Loaders:
    product_by_id: DataLoader[int, Product | None] = field(default_factory=ProductByIdLoader)
