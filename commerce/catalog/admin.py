"""Staff changes to the catalog (API keys with catalog:write)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from tortoise.exceptions import IntegrityError

from commerce.outbound import notices
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.text import check_text
from commerce.money import amount_field
from tortoise.transactions import in_transaction

from commerce.catalog import search
from commerce.catalog.variant_admin import (
    ImageSpec, OptionSpec, VariantSpec, set_images, set_options_and_variants, set_tags,
)
from commerce.catalog.variants import refresh_lowest_price
from models import Product, ProductImage, ProductVariant, Translation

__all__ = ["ProductChanges", "create_product", "update_product", "delete_product"]

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_STOCK = 1_000_000_000


@dataclass(frozen=True)
class ProductChanges:
    """Fields to set; None leaves a field as it is."""

    slug: str | None = None
    title: str | None = None
    description: str | None = None
    price: Decimal | None = None
    image_url: str | None = None
    stock: int | None = None
    options: list[OptionSpec] | None = None
    variants: list[VariantSpec] | None = None
    images: list[ImageSpec] | None = None
    tags: list[str] | None = None


def _validated(changes: ProductChanges, currency: str) -> dict[str, object]:
    values: dict[str, object] = {}
    if changes.slug is not None:
        if not (1 <= len(changes.slug) <= 120 and _SLUG.match(changes.slug)):
            raise DomainError(Code.INVALID, "A slug is lower-case letters, digits and dashes.", ["input", "slug"])
        values["slug"] = changes.slug
    if changes.title is not None:
        check_text(changes.title, "input", "title", max_length=200)
        if not 1 <= len(changes.title.strip()) <= 200:
            raise DomainError(Code.INVALID, "A title has 1 to 200 characters.", ["input", "title"])
        values["title"] = changes.title.strip()
    if changes.description is not None:
        check_text(changes.description, "input", "description", max_length=20_000, multiline=True)
        if len(changes.description) > 20_000:
            raise DomainError(Code.INVALID, "The description is too long.", ["input", "description"])
        values["description"] = changes.description
    if changes.price is not None:
        price = amount_field(changes.price, currency, "input", "price")
        if price < 0:
            raise DomainError(Code.INVALID, "The price is out of range.", ["input", "price"])
        values["price"] = price
    if changes.image_url is not None:
        if len(changes.image_url) > 500:
            raise DomainError(Code.INVALID, "The image URL is too long.", ["input", "imageUrl"])
        values["image_url"] = changes.image_url or None
    if changes.stock is not None:
        if not 0 <= changes.stock <= MAX_STOCK:
            raise DomainError(Code.INVALID, "Stock must be 0 or more.", ["input", "stock"])
        values["stock"] = changes.stock
    return values


async def _set_parts(product: Product, changes: ProductChanges) -> None:
    """Options and variants, images and tags, as given (inside the change's transaction)."""
    if changes.images is not None:
        await set_images(product.id, changes.images)
    if changes.variants is not None or changes.options is not None:
        if changes.variants is None:
            raise DomainError(Code.INVALID, "Give the variants with the options.", ["input", "variants"])
        await set_options_and_variants(product, changes.options or [], changes.variants)
    if changes.tags is not None:
        await set_tags(product.id, changes.tags)
    await refresh_lowest_price(product.id)
    await search.reindex([product.id])


async def create_product(changes: ProductChanges, currency: str) -> Product:
    """A product with its variants, or with one default variant of `price` and `stock`."""
    values = _validated(changes, currency)
    with_variants = changes.variants is not None
    if with_variants and ("price" in values or "stock" in values):
        field = "price" if "price" in values else "stock"
        raise DomainError(Code.INVALID, "Give price and stock on the variants.", ["input", field])
    for required in ("slug", "title", *(() if with_variants else ("price",))):
        if required not in values:
            raise DomainError(Code.INVALID, f"`{required}` is required.", ["input", required])
    stock = values.pop("stock", 0)
    image_url = values.pop("image_url", None)
    try:
        async with in_transaction():
            product = await Product.create(currency=currency, **{"price": 0, **values})
            if not with_variants:
                await ProductVariant.create(product_id=product.id, price=product.price, stock=stock)
            if image_url:
                await ProductImage.create(product_id=product.id, url=image_url, alt_text=product.title)
            await _set_parts(product, changes)
    except IntegrityError:
        raise DomainError(Code.TAKEN, "Another product has this slug or a variant's SKU.", ["input", "slug"]) from None
    await notices.catalog_changed()
    return await Product.get(id=product.id)


async def update_product(product_id: int, changes: ProductChanges) -> Product:
    product = await Product.get_or_none(id=product_id)
    if product is None:
        raise DomainError.not_found("product", "id")
    values = _validated(changes, product.currency)
    parts = (changes.options, changes.variants, changes.images, changes.tags)
    if values or any(part is not None for part in parts):
        try:
            async with in_transaction():
                await _update_only_variant(product_id, values)
                if values:
                    await Product.filter(id=product_id).update(**values)
                await _set_parts(product, changes)
        except IntegrityError:
            raise DomainError(Code.TAKEN, "Another product has this slug.", ["input", "slug"]) from None
        product = await Product.get(id=product_id)
        await product.save(update_fields=["updated_at"])
        await notices.catalog_changed()
    return product


async def _update_only_variant(product_id: int, values: dict[str, object]) -> None:
    """Price, stock and image of a product given directly: its only variant's, its first image."""
    variant_values = {k: values.pop(k) for k in ("stock",) if k in values}
    if "price" in values:
        variant_values["price"] = values["price"]
    image_url = values.pop("image_url", None)
    if variant_values:
        variants = await ProductVariant.filter(product_id=product_id).limit(2)
        if len(variants) != 1:
            field = "price" if "price" in variant_values else "stock"
            raise DomainError(Code.INVALID, "This product has several variants: change them one by one.",
                              ["input", field])
        await ProductVariant.filter(id=variants[0].id).update(**variant_values)
    if image_url is not None:
        await ProductImage.filter(product_id=product_id).delete()
        await ProductImage.create(product_id=product_id, url=image_url, alt_text="")


async def delete_product(product_id: int) -> None:
    async with in_transaction():
        deleted = await Product.filter(id=product_id).delete()
        if not deleted:
            raise DomainError.not_found("product", "id")
        await Translation.filter(resource_kind="product", resource_id=product_id).delete()
        await search.reindex([product_id])
    await notices.catalog_changed()
