"""The demo catalog: 60 products, the same every time, some of them sold out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from tortoise.transactions import in_transaction

from models import Product

__all__ = ["DemoProduct", "demo_catalog", "seed_demo_catalog"]

_MATERIALS = ["Linen", "Walnut", "Copper", "Wool", "Ceramic", "Leather",
              "Bamboo", "Marble", "Canvas", "Brass", "Cotton", "Oak"]
_THINGS = [("Tote", 2400), ("Mug", 1400), ("Lamp", 6900), ("Notebook", 900), ("Candle", 1800)]
_EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class DemoProduct:
    slug: str
    title: str
    description: str
    price: int
    stock: int
    created_at: datetime


def demo_catalog() -> list[DemoProduct]:
    items = []
    for m, material in enumerate(_MATERIALS):
        for t, (thing, base_price) in enumerate(_THINGS):
            n = m * len(_THINGS) + t
            title = f"{material} {thing}"
            items.append(
                DemoProduct(
                    slug=title.lower().replace(" ", "-"),
                    title=title,
                    description=f"A {thing.lower()} made of {material.lower()}, built to last.",
                    # Varied but fixed prices: the base price plus a step per material.
                    price=base_price + m * 150 + (n % 3) * 49,
                    stock=0 if n % 13 == 7 else 5 + (n * 7) % 40,
                    created_at=_EPOCH + timedelta(hours=n),
                )
            )
    return items


async def seed_demo_catalog(currency: str, *, only_if_empty: bool = False) -> int:
    """Creates the demo products that are missing (by slug); returns how many it created."""
    async with in_transaction():
        if only_if_empty and await Product.exists():
            return 0
        existing = set(await Product.all().values_list("slug", flat=True))
        missing = [p for p in demo_catalog() if p.slug not in existing]
        await Product.bulk_create(
            [
                Product(
                    slug=p.slug,
                    title=p.title,
                    description=p.description,
                    price=p.price,
                    currency=currency,
                    image_url=f"/images/{p.slug}.svg",
                    stock=p.stock,
                    created_at=p.created_at,
                )
                for p in missing
            ]
        )
    return len(missing)
