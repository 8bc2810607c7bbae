"""Per-request DataLoaders: one query per batch of keys, results in key order."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from models import (
    CartLine, Collection, CollectionProduct, Dispute, Fulfillment, FulfillmentLine, Order, OrderEvent, OrderLine,
    Payment, Product,
    ProductImage, ProductOption, ProductTag, ProductVariant, Translation,
)

__all__ = ["Loaders", "SharedLoader", "VariantRow", "TranslationKey"]

K = TypeVar("K")


def _by_id(model: Any) -> Callable[[Sequence[Any]], Awaitable[list[Any]]]:
    async def load(ids: Sequence[Any]) -> list[Any]:
        found = {row.id: row for row in await model.filter(id__in=list(set(ids)))}
        return [found.get(i) for i in ids]
    return load


def _grouped(model: Any, key: str, *order: str) -> Callable[[Sequence[Any]], Awaitable[list[list[Any]]]]:
    """Loads the rows of `model` whose `key` is in the batch, grouped by key, in `order`."""
    async def load(keys: Sequence[Any]) -> list[list[Any]]:
        groups: dict[Any, list[Any]] = defaultdict(list)
        for row in await model.filter(**{f"{key}__in": list(set(keys))}).order_by(*order):
            groups[getattr(row, key)].append(row)
        return [groups.get(k, []) for k in keys]
    return load


@dataclass(frozen=True, slots=True)
class VariantRow:
    """A variant as the catalog shows it: its columns without the timestamps, read as values
    (no model instance, no datetime parsing: a page of products reads a hundred of these)."""

    id: int
    product_id: int
    sku: str | None
    title: str
    selected_options: list[dict[str, str]]
    price: int
    compare_at_price: int | None
    stock: int
    weight_grams: int
    requires_shipping: bool
    image_id: int | None


_VARIANT_COLUMNS = tuple(VariantRow.__dataclass_fields__)


async def _variant_rows_by_product_id(product_ids: Sequence[int]) -> list[list[VariantRow]]:
    groups: dict[int, list[VariantRow]] = defaultdict(list)
    rows = await ProductVariant.filter(product_id__in=list(set(product_ids))).order_by("position", "id").values_list(
        *_VARIANT_COLUMNS)
    for row in rows:
        variant = VariantRow(*row)
        groups[variant.product_id].append(variant)
    return [groups.get(p, []) for p in product_ids]


async def _payment_by_order_id(order_ids: Sequence[str]) -> list[Payment | None]:
    found = {p.order_id: p for p in await Payment.filter(order_id__in=list(set(order_ids)))}
    return [found.get(order_id) for order_id in order_ids]


async def _tags_by_product_id(product_ids: Sequence[int]) -> list[list[str]]:
    tags: dict[int, list[str]] = defaultdict(list)
    rows = await ProductTag.filter(product_id__in=list(set(product_ids))).order_by("tag").values_list("product_id", "tag")
    for product_id, tag in rows:
        tags[product_id].append(tag)
    return [tags.get(p, []) for p in product_ids]


async def _collections_by_product_id(product_ids: Sequence[int]) -> list[list[Collection]]:
    found: dict[int, list[Collection]] = defaultdict(list)
    memberships = await CollectionProduct.filter(product_id__in=list(set(product_ids))).select_related(
        "collection").order_by("collection_id")
    for membership in memberships:
        found[membership.product_id].append(membership.collection)
    return [found.get(p, []) for p in product_ids]


async def _latest_event_by_order_id(order_ids: Sequence[str]) -> list[int | None]:
    rows = await OrderEvent.filter(order_id__in=list(set(order_ids))).order_by("sequence").values_list(
        "order_id", "sequence")
    latest = dict(rows)  # the last (highest) number per order wins
    return [latest.get(order_id) for order_id in order_ids]


async def _dispute_by_order_id(order_ids: Sequence[str]) -> list[Dispute | None]:
    """The latest dispute of each order."""
    latest: dict[str, Dispute] = {}
    for dispute in await Dispute.filter(order_id__in=list(set(order_ids))).order_by("id"):
        latest[dispute.order_id] = dispute
    return [latest.get(order_id) for order_id in order_ids]


TranslationKey = tuple[str, str, int]  # (resource kind, language, resource id): ("product", "DE", 7)
_NO_TRANSLATIONS: dict[str, str] = {}


async def _translations(keys: Sequence[TranslationKey]) -> list[dict[str, str]]:
    """key -> text of each resource in its language; one statement for a batch of one kind and language
    (what a page asks for: its products, or its collections, in the operation's language)."""
    wanted: dict[tuple[str, str], set[int]] = defaultdict(set)
    for kind, language, resource_id in keys:
        wanted[kind, language].add(resource_id)
    found: dict[TranslationKey, dict[str, str]] = defaultdict(dict)
    for (kind, language), ids in wanted.items():
        rows = await Translation.filter(resource_kind=kind, language=language, resource_id__in=list(ids)).values_list(
            "resource_id", "key", "value")
        for resource_id, key, value in rows:
            found[kind, language, resource_id][key] = value
    return [found.get(k, _NO_TRANSLATIONS) for k in keys]


class SharedLoader(DataLoader[K, Any]):
    """A DataLoader whose waiters cannot cancel each other's load.

    Fields of one request share a key's future. When graphql-core abandons a
    field (a sibling's error nulls their parent), it cancels that field's task,
    and a task cancelled while awaiting a plain future cancels the future too:
    every other field waiting for the same key would then end in
    `CancelledError`, which escapes the request as a 500. Each waiter here
    awaits its own shield of the shared future instead.
    """

    def load(self, key: K) -> Any:
        future = super().load(key)
        return future if future.done() else asyncio.shield(future)


def _loader(load_fn: Callable[..., Any]) -> Any:
    return field(default_factory=lambda: SharedLoader(load_fn=load_fn))


@dataclass
class Loaders:
    product_by_id: DataLoader[int, Product | None] = _loader(_by_id(Product))
    variant_by_id: DataLoader[int, ProductVariant | None] = _loader(_by_id(ProductVariant))
    collection_by_id: DataLoader[int, Collection | None] = _loader(_by_id(Collection))
    variants_by_product_id: DataLoader[int, list[VariantRow]] = _loader(_variant_rows_by_product_id)
    images_by_product_id: DataLoader[int, list[ProductImage]] = _loader(
        _grouped(ProductImage, "product_id", "position", "id"))
    options_by_product_id: DataLoader[int, list[ProductOption]] = _loader(
        _grouped(ProductOption, "product_id", "position", "id"))
    tags_by_product_id: DataLoader[int, list[str]] = _loader(_tags_by_product_id)
    collections_by_product_id: DataLoader[int, list[Collection]] = _loader(_collections_by_product_id)
    cart_lines_by_cart_id: DataLoader[str, list[CartLine]] = _loader(_grouped(CartLine, "cart_id", "id"))
    order_lines_by_order_id: DataLoader[str, list[OrderLine]] = _loader(_grouped(OrderLine, "order_id", "id"))
    payment_by_order_id: DataLoader[str, Payment | None] = _loader(_payment_by_order_id)
    fulfillments_by_order_id: DataLoader[str, list[Fulfillment]] = _loader(_grouped(Fulfillment, "order_id", "id"))
    fulfillment_lines_by_fulfillment_id: DataLoader[int, list[FulfillmentLine]] = _loader(
        _grouped(FulfillmentLine, "fulfillment_id", "id"))
    dispute_by_order_id: DataLoader[str, Dispute | None] = _loader(_dispute_by_order_id)
    order_by_id: DataLoader[str, Order | None] = _loader(_by_id(Order))
    latest_event_by_order_id: DataLoader[str, int | None] = _loader(_latest_event_by_order_id)
    translations: DataLoader[TranslationKey, dict[str, str]] = _loader(_translations)

    def forget_catalog(self) -> None:
        """Drops what this request read of carts and the catalog (after a change)."""
        for loader in (self.cart_lines_by_cart_id, self.product_by_id, self.variant_by_id,
                       self.variants_by_product_id, self.translations):
            loader.clear_all()
