"""The demo shop: 60 products, 210 variants, 7 collections, the same every time.

Ten garments come in size × colour (16 variants each, some sold out); fifty
goods of ten materials are single-variant. Images are SVG tiles the app
serves itself (`/images/<slug>.svg`), so the demo needs no internet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from tortoise.transactions import in_transaction

from commerce.catalog import search
from commerce.catalog.variants import variant_title
from models import (
    Collection, CollectionProduct, Product, ProductImage, ProductOption, ProductTag, ProductVariant, VariantOptionValue,
)

__all__ = ["DemoVariant", "DemoProduct", "DemoCollection", "demo_catalog", "demo_collections", "seed_demo_catalog"]

_EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
_MATERIALS = ["Linen", "Walnut", "Copper", "Wool", "Ceramic", "Leather", "Bamboo", "Marble", "Canvas", "Oak"]
_THINGS = [("Tote", 2400, 450, "home"), ("Mug", 1400, 380, "kitchen"), ("Lamp", 6900, 2100, "lighting"),
           ("Notebook", 900, 250, "stationery"), ("Candle", 1800, 300, "home")]
_GARMENTS = [("Classic Tee", 2500, 180), ("Heavyweight Tee", 3200, 240), ("Linen Shirt", 5800, 260),
             ("Merino Sweater", 8900, 420), ("Zip Hoodie", 6400, 650), ("Canvas Jacket", 11900, 900),
             ("Oxford Shirt", 5400, 280), ("Pique Polo", 4200, 230), ("Fleece Pullover", 7200, 480),
             ("Rain Shell", 9900, 380)]
_SIZES = ["S", "M", "L", "XL"]
_COLOURS = ["Black", "Navy", "Sand", "Olive"]


@dataclass(frozen=True)
class DemoVariant:
    sku: str
    options: tuple[tuple[str, str], ...]
    price: int
    compare_at_price: int | None
    stock: int
    weight_grams: int
    image_slug: str


@dataclass(frozen=True)
class DemoProduct:
    slug: str
    title: str
    description: str
    options: tuple[tuple[str, tuple[str, ...]], ...]
    variants: tuple[DemoVariant, ...]
    tags: tuple[str, ...]
    collections: tuple[str, ...]
    created_at: datetime
    images: tuple[str, ...] = field(default=())

    @property
    def price(self) -> int:
        return min(v.price for v in self.variants)

    @property
    def stock(self) -> int:
        return sum(v.stock for v in self.variants)


@dataclass(frozen=True)
class DemoCollection:
    slug: str
    title: str
    description: str


def demo_collections() -> list[DemoCollection]:
    return [
        DemoCollection("apparel", "Apparel", "Tees, shirts and layers in four sizes and four colours."),
        DemoCollection("kitchen", "Kitchen", "Mugs for every morning."),
        DemoCollection("lighting", "Lighting", "Lamps in warm materials."),
        DemoCollection("stationery", "Stationery", "Notebooks that last."),
        DemoCollection("home", "Home", "Candles and totes for the house."),
        DemoCollection("new-arrivals", "New arrivals", "The latest twelve."),
        DemoCollection("sale", "Sale", "Marked down, while stock lasts."),
    ]


def _garment(n: int, title: str, base: int, weight: int) -> DemoProduct:
    slug = title.lower().replace(" ", "-")
    on_sale = n % 3 == 0
    variants = []
    for s, size in enumerate(_SIZES):
        for c, colour in enumerate(_COLOURS):
            k = s * len(_COLOURS) + c
            price = base + (500 if size == "XL" else 0)
            variants.append(DemoVariant(
                sku=f"{''.join(w[0] for w in title.split())}-{size}-{colour[:3]}".upper() + f"-{n:02d}",
                options=(("Size", size), ("Color", colour)),
                price=price, compare_at_price=price + price // 4 if on_sale else None,
                stock=0 if (n + k) % 7 == 3 else 3 + (n * 5 + k * 3) % 20,
                weight_grams=weight + s * 20, image_slug=f"{slug}-{colour.lower()}",
            ))
    tags = ("apparel", "organic" if n % 2 == 0 else "recycled", *(("sale",) if on_sale else ()))
    collections = ("apparel", *(("sale",) if on_sale else ()))
    return DemoProduct(
        slug=slug, title=title,
        description=f"The {title.lower()}: cut for every day, in four sizes and four colours.",
        options=(("Size", tuple(_SIZES)), ("Color", tuple(_COLOURS))),
        variants=tuple(variants), tags=tags, collections=collections,
        created_at=_EPOCH + timedelta(hours=50 + n),
        images=tuple(f"{slug}-{c.lower()}" for c in _COLOURS),
    )


def _good(m: int, material: str, t: int, thing: str, base: int, weight: int, kind: str) -> DemoProduct:
    n = m * len(_THINGS) + t
    title = f"{material} {thing}"
    slug = title.lower().replace(" ", "-")
    price = base + m * 150 + (n % 3) * 49
    variant = DemoVariant(sku=f"{material[:3]}-{thing[:4]}".upper(), options=(), price=price,
                          compare_at_price=None, stock=0 if n % 13 == 7 else 5 + (n * 7) % 40,
                          weight_grams=weight, image_slug=slug)
    return DemoProduct(
        slug=slug, title=title, description=f"A {thing.lower()} made of {material.lower()}, built to last.",
        options=(), variants=(variant,), tags=(material.lower(), kind, *(("gift",) if n % 4 == 0 else ())),
        collections=(kind,), created_at=_EPOCH + timedelta(hours=n), images=(slug,),
    )


def demo_catalog() -> list[DemoProduct]:
    goods = [_good(m, material, t, thing, base, weight, kind)
             for m, material in enumerate(_MATERIALS) for t, (thing, base, weight, kind) in enumerate(_THINGS)]
    garments = [_garment(n, title, base, weight) for n, (title, base, weight) in enumerate(_GARMENTS)]
    products = goods + garments
    newest = sorted(products, key=lambda p: p.created_at)[-12:]
    return [p if p not in newest else DemoProduct(**{**p.__dict__, "collections": (*p.collections, "new-arrivals")})
            for p in products]


async def _create(product: DemoProduct, currency: str, collections: dict[str, int]) -> int:
    row = await Product.create(slug=product.slug, title=product.title, description=product.description,
                               price=product.price, currency=currency, created_at=product.created_at)
    images = {}
    for position, image_slug in enumerate(product.images):
        alt = f"{product.title}, {image_slug.removeprefix(product.slug).strip('-') or 'front'}"
        images[image_slug] = await ProductImage.create(
            product_id=row.id, url=f"/images/{image_slug}.svg", alt_text=alt, width=480, height=360, position=position)
    await ProductOption.bulk_create([ProductOption(product_id=row.id, name=name, values=list(values), position=i)
                                     for i, (name, values) in enumerate(product.options)])
    for position, v in enumerate(product.variants):
        selected = [{"name": name, "value": value} for name, value in v.options]
        variant = await ProductVariant.create(
            product_id=row.id, sku=v.sku, title=variant_title(selected), selected_options=selected, price=v.price,
            compare_at_price=v.compare_at_price, stock=v.stock, weight_grams=v.weight_grams,
            image_id=images[v.image_slug].id, position=position)
        await VariantOptionValue.bulk_create([VariantOptionValue(variant_id=variant.id, product_id=row.id,
                                                                 name=o["name"], value=o["value"]) for o in selected])
    await ProductTag.bulk_create([ProductTag(product_id=row.id, tag=tag) for tag in product.tags])
    await CollectionProduct.bulk_create([CollectionProduct(collection_id=collections[c], product_id=row.id)
                                         for c in product.collections])
    return row.id


async def seed_demo_catalog(currency: str, *, only_if_empty: bool = False) -> int:
    """Creates the demo products that are missing (by slug); returns how many it created."""
    async with in_transaction():
        if only_if_empty and await Product.exists():
            return 0
        collections = dict(await Collection.all().values_list("slug", "id"))
        for c in demo_collections():
            if c.slug not in collections:
                collections[c.slug] = (await Collection.create(slug=c.slug, title=c.title, description=c.description,
                                                               image_url=f"/images/collection-{c.slug}.svg")).id
        existing = set(await Product.all().values_list("slug", flat=True))
        created = [await _create(p, currency, collections) for p in demo_catalog() if p.slug not in existing]
        await search.reindex(created)
    return len(created)
