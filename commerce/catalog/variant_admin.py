"""Staff changes to options, variants, images, tags, stock and collections (catalog:write).

Every change runs in one transaction with the search index rewrite, so a
refusal leaves nothing half-written and search never disagrees with the catalog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from commerce.catalog import search
from commerce.catalog.variants import refresh_lowest_price, variant_title
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.text import check_text
from commerce.money import amount_field
from commerce.outbound import notices
from models import (
    Collection, CollectionProduct, Product, ProductImage, ProductOption, ProductTag, ProductVariant, Translation,
    VariantOptionValue,
)

__all__ = [
    "OptionSpec", "VariantSpec", "ImageSpec", "CollectionChanges", "set_options_and_variants", "set_images", "set_tags",
    "create_variant", "update_variant", "delete_variant", "adjust_inventory", "create_collection", "update_collection",
    "delete_collection", "add_to_collection", "remove_from_collection",
]

MAX_STOCK = 1_000_000_000
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class OptionSpec:
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class VariantSpec:
    """A variant's fields; on update, None leaves a field as it is."""

    selected_options: tuple[tuple[str, str], ...] | None = None
    sku: str | None = None
    price: Decimal | None = None
    compare_at_price: Decimal | None = None
    stock: int | None = None
    weight_grams: int | None = None
    requires_shipping: bool | None = None
    image_url: str | None = None


@dataclass(frozen=True)
class ImageSpec:
    url: str
    alt_text: str = ""
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class CollectionChanges:
    slug: str | None = None
    title: str | None = None
    description: str | None = None
    image_url: str | None = None
    product_ids: tuple[int, ...] = field(default=())


def _invalid(message: str, *path: str | int) -> DomainError:
    return DomainError(Code.INVALID, message, [str(p) for p in path])


def _money(value: Decimal, currency: str, path: list) -> int:
    amount = amount_field(value, currency, *path)
    if amount < 0:
        raise _invalid("The amount is out of range.", *path)
    return amount


def _check_options(options: list[OptionSpec], path: list) -> None:
    if len(options) > 3:
        raise _invalid("A product has at most 3 options.", *path)
    names = [o.name.strip() for o in options]
    if len(set(n.lower() for n in names)) != len(names):
        raise _invalid("Option names must differ.", *path)
    for i, option in enumerate(options):
        if not 1 <= len(option.name.strip()) <= 100:
            raise _invalid("An option name has 1 to 100 characters.", *path, i, "name")
        values = [v.strip() for v in option.values]
        if not values or len(values) > 100 or len(set(values)) != len(values) or not all(1 <= len(v) <= 100 for v in values):
            raise _invalid("An option has 1 to 100 different values of 1 to 100 characters.", *path, i, "values")


def _selected(options: list[OptionSpec], chosen: tuple[tuple[str, str], ...] | None, path: list) -> list[dict[str, str]]:
    """The variant's options in the product's order; INVALID unless it names each option once, with one of its values."""
    given = {name.strip(): value.strip() for name, value in chosen or ()}
    if len(given) != len(chosen or ()) or set(given) != {o.name.strip() for o in options}:
        raise _invalid("Choose one value for each of the product's options.", *path, "selectedOptions")
    for option in options:
        if given[option.name.strip()] not in [v.strip() for v in option.values]:
            raise _invalid(f"{given[option.name.strip()]!r} is not a value of {option.name}.", *path, "selectedOptions")
    return [{"name": o.name.strip(), "value": given[o.name.strip()]} for o in options]


def _variant_values(spec: VariantSpec, currency: str, path: list) -> dict[str, object]:
    values: dict[str, object] = {}
    if spec.sku is not None:
        if len(spec.sku) > 100:
            raise _invalid("A SKU has at most 100 characters.", *path, "sku")
        values["sku"] = spec.sku.strip() or None
    if spec.price is not None:
        values["price"] = _money(spec.price, currency, [*path, "price"])
    if spec.compare_at_price is not None:
        values["compare_at_price"] = _money(spec.compare_at_price, currency, [*path, "compareAtPrice"])
    if spec.stock is not None:
        if not 0 <= spec.stock <= MAX_STOCK:
            raise _invalid("Stock must be 0 or more.", *path, "stock")
        values["stock"] = spec.stock
    if spec.weight_grams is not None:
        if not 0 <= spec.weight_grams <= 1_000_000:
            raise _invalid("The weight is out of range.", *path, "weightGrams")
        values["weight_grams"] = spec.weight_grams
    if spec.requires_shipping is not None:
        values["requires_shipping"] = spec.requires_shipping
    return values


async def _image_id(product_id: int, url: str | None, path: list) -> int | None:
    if not url:
        return None
    if len(url) > 500:
        raise _invalid("The image URL is too long.", *path, "imageUrl")
    image = await ProductImage.filter(product_id=product_id, url=url).first()
    if image is None:
        image = await ProductImage.create(product_id=product_id, url=url, position=await ProductImage.filter(
            product_id=product_id).count())
    return image.id


async def _write_variant(product: Product, variant: ProductVariant | None, selected: list[dict[str, str]],
                         values: dict[str, object], image_id: int | None, position: int | None) -> ProductVariant:
    fields = {**values, "selected_options": selected, "title": variant_title(selected)}
    if image_id is not None:
        fields["image_id"] = image_id
    if position is not None:
        fields["position"] = position
    if variant is None:
        if "price" not in fields:
            raise _invalid("A variant needs a price.", "input", "price")
        variant = await ProductVariant.create(product_id=product.id, **fields)
    else:
        await ProductVariant.filter(id=variant.id).update(**fields)
    await VariantOptionValue.filter(variant_id=variant.id).delete()
    await VariantOptionValue.bulk_create([VariantOptionValue(variant_id=variant.id, product_id=product.id,
                                                             name=o["name"], value=o["value"]) for o in selected])
    return variant


async def _after_change(product_id: int) -> None:
    await refresh_lowest_price(product_id)
    await search.reindex([product_id])
    await Product.filter(id=product_id).update(updated_at=datetime.now(timezone.utc))


def _combination(selected: list[dict[str, str]]) -> tuple[str, ...]:
    return tuple(o["value"] for o in selected)


async def set_options_and_variants(product: Product, options: list[OptionSpec], variants: list[VariantSpec]) -> None:
    """Replaces a product's options and variants (inside the caller's transaction).

    A variant with the same option values as an existing one keeps its id (carts keep it);
    the others are removed, and orders keep their copies of them.
    """
    _check_options(options, ["input", "options"])
    if not variants:
        raise _invalid("A product has at least one variant.", "input", "variants")
    if len(variants) > 250:
        raise _invalid("A product has at most 250 variants.", "input", "variants")
    chosen = [_selected(options, v.selected_options, ["input", "variants", i]) for i, v in enumerate(variants)]
    if len({_combination(c) for c in chosen}) != len(chosen):
        raise _invalid("Two variants have the same option values.", "input", "variants")
    existing = {_combination(v.selected_options): v for v in await ProductVariant.filter(product_id=product.id)}
    await ProductOption.filter(product_id=product.id).delete()
    await ProductOption.bulk_create([ProductOption(product_id=product.id, name=o.name.strip(), position=i,
                                                   values=[v.strip() for v in o.values]) for i, o in enumerate(options)])
    kept = []
    for i, (spec, selected) in enumerate(zip(variants, chosen)):
        path = ["input", "variants", i]
        image_id = await _image_id(product.id, spec.image_url, path)
        variant = existing.get(_combination(selected))
        kept.append((await _write_variant(product, variant, selected, _variant_values(spec, product.currency, path),
                                          image_id, i)).id)
    await ProductVariant.filter(product_id=product.id).exclude(id__in=kept).delete()


async def set_images(product_id: int, images: list[ImageSpec]) -> None:
    for i, image in enumerate(images):
        if not 1 <= len(image.url) <= 500:
            raise _invalid("An image URL has 1 to 500 characters.", "input", "images", i, "url")
        if any(d is not None and not 1 <= d <= 20_000 for d in (image.width, image.height)):
            raise _invalid("Width and height are 1 to 20000 pixels.", "input", "images", i)
    await ProductImage.filter(product_id=product_id).exclude(url__in=[i.url for i in images]).delete()
    for position, image in enumerate(images):
        fields = {"alt_text": image.alt_text[:300], "width": image.width, "height": image.height, "position": position}
        if not await ProductImage.filter(product_id=product_id, url=image.url).update(**fields):
            await ProductImage.create(product_id=product_id, url=image.url, **fields)


async def set_tags(product_id: int, tags: list[str]) -> None:
    cleaned = sorted({t.strip().lower() for t in tags if t.strip()})
    if len(cleaned) > 50 or any(len(t) > 100 for t in cleaned):
        raise _invalid("A product has at most 50 tags of at most 100 characters.", "input", "tags")
    await ProductTag.filter(product_id=product_id).delete()
    await ProductTag.bulk_create([ProductTag(product_id=product_id, tag=t) for t in cleaned])


async def _product(product_id: int, field: str) -> Product:
    product = await Product.get_or_none(id=product_id)
    if product is None:
        raise DomainError.not_found("product", field)
    return product


async def _options_of(product_id: int) -> list[OptionSpec]:
    return [OptionSpec(o.name, tuple(o.values))
            for o in await ProductOption.filter(product_id=product_id).order_by("position", "id")]


async def create_variant(product_id: int, spec: VariantSpec) -> ProductVariant:
    try:
        async with in_transaction():
            product = await _product(product_id, "productId")
            selected = _selected(await _options_of(product_id), spec.selected_options, ["input"])
            if await ProductVariant.filter(product_id=product_id, title=variant_title(selected)).exists():
                raise DomainError(Code.TAKEN, "A variant with these option values exists.", ["input", "selectedOptions"])
            image_id = await _image_id(product_id, spec.image_url, ["input"])
            position = await ProductVariant.filter(product_id=product_id).count()
            variant = await _write_variant(product, None, selected, _variant_values(spec, product.currency, ["input"]),
                                           image_id, position)
            await _after_change(product_id)
    except IntegrityError:
        raise DomainError(Code.TAKEN, "Another variant has this SKU.", ["input", "sku"]) from None
    await notices.catalog_changed()
    return await ProductVariant.get(id=variant.id)


async def update_variant(variant_id: int, spec: VariantSpec) -> ProductVariant:
    try:
        async with in_transaction():
            variant = await ProductVariant.filter(id=variant_id).select_for_update().first()
            if variant is None:
                raise DomainError.not_found("variant", "id")
            product = await Product.get(id=variant.product_id)
            selected = variant.selected_options
            if spec.selected_options is not None:
                selected = _selected(await _options_of(product.id), spec.selected_options, ["input"])
                if await ProductVariant.filter(product_id=product.id, title=variant_title(selected)).exclude(
                        id=variant.id).exists():
                    raise DomainError(Code.TAKEN, "A variant with these option values exists.",
                                      ["input", "selectedOptions"])
            image_id = await _image_id(product.id, spec.image_url, ["input"])
            await _write_variant(product, variant, selected, _variant_values(spec, product.currency, ["input"]),
                                 image_id, None)
            await _after_change(product.id)
    except IntegrityError:
        raise DomainError(Code.TAKEN, "Another variant has this SKU.", ["input", "sku"]) from None
    await notices.catalog_changed()
    return await ProductVariant.get(id=variant_id)


async def delete_variant(variant_id: int) -> int:
    """Removes a variant (orders keep their copy); a product keeps at least one. Returns its product id."""
    async with in_transaction():
        variant = await ProductVariant.filter(id=variant_id).select_for_update().first()
        if variant is None:
            raise DomainError.not_found("variant", "id")
        if await ProductVariant.filter(product_id=variant.product_id).count() == 1:
            raise _invalid("A product keeps at least one variant; delete the product instead.", "id")
        await variant.delete()
        await _after_change(variant.product_id)
    await notices.catalog_changed()
    return variant.product_id


async def adjust_inventory(variant_id: int, delta: int) -> ProductVariant:
    """Adds `delta` (negative: removes) to a variant's stock, atomically, never below zero."""
    if not -MAX_STOCK <= delta <= MAX_STOCK:
        raise _invalid("The change is out of range.", "delta")
    if delta >= 0:
        changed = await ProductVariant.filter(id=variant_id, stock__lte=MAX_STOCK - delta).update(stock=F("stock") + delta)
    else:
        changed = await ProductVariant.filter(id=variant_id, stock__gte=-delta).update(stock=F("stock") + delta)
    if not changed:
        variant = await ProductVariant.get_or_none(id=variant_id)
        if variant is None:
            raise DomainError.not_found("variant", "variantId")
        raise DomainError(Code.INSUFFICIENT_STOCK, f"Only {variant.stock} in stock: the stock cannot go below zero.",
                          ["delta"])
    await notices.catalog_changed()
    return await ProductVariant.get(id=variant_id)


def _collection_values(changes: CollectionChanges) -> dict[str, object]:
    values: dict[str, object] = {}
    if changes.slug is not None:
        if not (1 <= len(changes.slug) <= 120 and _SLUG.match(changes.slug)):
            raise _invalid("A slug is lower-case letters, digits and dashes.", "input", "slug")
        values["slug"] = changes.slug
    if changes.title is not None:
        check_text(changes.title, "input", "title", max_length=200)
        if not 1 <= len(changes.title.strip()) <= 200:
            raise _invalid("A title has 1 to 200 characters.", "input", "title")
        values["title"] = changes.title.strip()
    if changes.description is not None:
        check_text(changes.description, "input", "description", max_length=20_000, multiline=True)
        if len(changes.description) > 20_000:
            raise _invalid("The description is too long.", "input", "description")
        values["description"] = changes.description
    if changes.image_url is not None:
        if len(changes.image_url) > 500:
            raise _invalid("The image URL is too long.", "input", "imageUrl")
        values["image_url"] = changes.image_url or None
    return values


async def create_collection(changes: CollectionChanges) -> Collection:
    values = _collection_values(changes)
    for required in ("slug", "title"):
        if required not in values:
            raise _invalid(f"`{required}` is required.", "input", required)
    try:
        async with in_transaction():
            collection = await Collection.create(**values)
            await _add(collection.id, list(changes.product_ids), ["input", "productIds"])
    except IntegrityError:
        raise DomainError(Code.TAKEN, "Another collection has this slug.", ["input", "slug"]) from None
    await notices.catalog_changed()
    return collection


async def update_collection(collection_id: int, changes: CollectionChanges) -> Collection:
    values = _collection_values(changes)
    try:
        async with in_transaction():
            if not await Collection.exists(id=collection_id):
                raise DomainError.not_found("collection", "id")
            if values:
                await Collection.filter(id=collection_id).update(**values)
    except IntegrityError:
        raise DomainError(Code.TAKEN, "Another collection has this slug.", ["input", "slug"]) from None
    await notices.catalog_changed()
    return await Collection.get(id=collection_id)


async def delete_collection(collection_id: int) -> None:
    if not await Collection.filter(id=collection_id).delete():
        raise DomainError.not_found("collection", "id")
    await Translation.filter(resource_kind="collection", resource_id=collection_id).delete()
    await notices.catalog_changed()


async def _add(collection_id: int, product_ids: list[int], path: list[str]) -> None:
    wanted = sorted(set(product_ids))
    if len(wanted) > 250:
        raise _invalid("Add at most 250 products at a time.", *path)
    found = set(await Product.filter(id__in=wanted).values_list("id", flat=True))
    missing = [i for i, p in enumerate(product_ids) if p not in found]
    if missing:
        raise DomainError.not_found("product", *path, str(missing[0]))
    have = set(await CollectionProduct.filter(collection_id=collection_id).values_list("product_id", flat=True))
    await CollectionProduct.bulk_create([CollectionProduct(collection_id=collection_id, product_id=p)
                                         for p in wanted if p not in have])


async def add_to_collection(collection_id: int, product_ids: list[int]) -> Collection:
    async with in_transaction():
        collection = await Collection.filter(id=collection_id).select_for_update().first()
        if collection is None:
            raise DomainError.not_found("collection", "collectionId")
        await _add(collection_id, product_ids, ["productIds"])
    await notices.catalog_changed()
    return collection


async def remove_from_collection(collection_id: int, product_ids: list[int]) -> Collection:
    collection = await Collection.get_or_none(id=collection_id)
    if collection is None:
        raise DomainError.not_found("collection", "collectionId")
    await CollectionProduct.filter(collection_id=collection_id, product_id__in=list(product_ids)).delete()
    await notices.catalog_changed()
    return collection
