"""Per-request DataLoaders: one query per batch of keys, results in key order."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from tortoise import connections

from models import (
    CartLine, Collection, CollectionProduct, Dispute, Fulfillment, FulfillmentLine, Order, OrderEvent, OrderLine,
    Payment, Product, ProductOption, ProductVariant, Translation,
)

__all__ = ["Loaders", "SharedLoader", "PageLoader", "NOT_LOADED", "VariantRow", "ImageRow", "TranslationKey"]

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
    # (amount, compare-at amount) of its explicit price in the market's currency, read with it when the
    # operation's market is not the shop's own (graph/core/in_context.py sets `Loaders.price_currency`)
    explicit: tuple[int, int | None] | None = None


_VARIANT_COLUMNS = [name for name in VariantRow.__dataclass_fields__ if name != "explicit"]


@dataclass(frozen=True, slots=True)
class ImageRow:
    """A product image as the catalog shows it, read as values (`Image.from_model` takes it as a model)."""

    id: int
    product_id: int
    url: str
    alt_text: str
    width: int | None
    height: int | None


class _ByProductIds:
    """One catalog read by a batch of product ids, its SQL written once per dialect.

    The product pages read variants, images and tags for every page: building each
    statement through the ORM's query builder cost more than running it. The ids go
    in as one parameter (a JSON array on SQLite, an int[] on PostgreSQL), so the
    text never depends on the batch.
    """

    def __init__(self, columns: str, table: str, order: str, join: str = "", key: str = "product_id") -> None:
        self.sqlite = (f"SELECT {columns} FROM {table}{join} WHERE {key} IN (SELECT value FROM json_each(?))"
                       f" ORDER BY {order}")
        self.postgres = f"SELECT {columns} FROM {table}{join} WHERE {key} = ANY($1::int[]) ORDER BY {order}"
        self.joined = bool(join)

    async def rows(self, product_ids: Sequence[int], *more: Any) -> Sequence[Any]:
        """The rows; `more`: the parameters of the join, after the ids."""
        connection = connections.get("default")
        ids = sorted(set(product_ids))
        if connection.capabilities.dialect == "postgres":
            return (await connection.execute_query(self._numbered(self.postgres, len(more)), [ids, *more]))[1]
        return (await connection.execute_query(self.sqlite, [*more, json.dumps(ids)]))[1]

    @staticmethod
    def _numbered(sql: str, more: int) -> str:
        """PostgreSQL's text: the join's `?` become $2, $3, … after the ids' $1."""
        for number in range(2, 2 + more):
            sql = sql.replace("?", f"${number}", 1)
        return sql


_VARIANTS = _ByProductIds(", ".join(_VARIANT_COLUMNS), "product_variant", "position, id")
# With the explicit prices of one currency (the operation's market's), in the same statement.
_PRICED_VARIANTS = _ByProductIds(
    ", ".join([f"v.{c}" for c in _VARIANT_COLUMNS] + ["vp.amount", "vp.compare_at_amount"]), "product_variant v",
    "v.position, v.id", join=" LEFT JOIN variant_price vp ON vp.variant_id = v.id AND vp.currency = ?",
    key="v.product_id")
_IMAGES = _ByProductIds(", ".join(ImageRow.__dataclass_fields__), "product_image", "position, id")
_TAGS = _ByProductIds("product_id, tag", "product_tag", "tag")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


async def _variant_rows_by_product_id(product_ids: Sequence[int], currency: str | None = None) -> list[list[VariantRow]]:
    """The variants of each product; with a `currency`, each with its explicit price in it."""
    groups: dict[int, list[VariantRow]] = defaultdict(list)
    if currency is None:
        for (pk, product_id, sku, title, options, price, compare_at, stock, weight, shipping,
             image_id) in await _VARIANTS.rows(product_ids):
            groups[product_id].append(VariantRow(pk, product_id, sku, title, _json(options), price, compare_at,
                                                 stock, weight, bool(shipping), image_id))
    else:
        for (pk, product_id, sku, title, options, price, compare_at, stock, weight, shipping, image_id,
             amount, compare_at_amount) in await _PRICED_VARIANTS.rows(product_ids, currency):
            groups[product_id].append(VariantRow(
                pk, product_id, sku, title, _json(options), price, compare_at, stock, weight, bool(shipping), image_id,
                None if amount is None else (amount, compare_at_amount)))
    return [groups.get(p, []) for p in product_ids]


async def _image_rows_by_product_id(product_ids: Sequence[int]) -> list[list[ImageRow]]:
    groups: dict[int, list[ImageRow]] = defaultdict(list)
    for row in await _IMAGES.rows(product_ids):
        image = ImageRow(*row)
        groups[image.product_id].append(image)
    return [groups.get(p, []) for p in product_ids]


async def _payment_by_order_id(order_ids: Sequence[str]) -> list[Payment | None]:
    found = {p.order_id: p for p in await Payment.filter(order_id__in=list(set(order_ids)))}
    return [found.get(order_id) for order_id in order_ids]


async def _tags_by_product_id(product_ids: Sequence[int]) -> list[list[str]]:
    tags: dict[int, list[str]] = defaultdict(list)
    for product_id, tag in await _TAGS.rows(product_ids):
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


NOT_LOADED = object()


class PageLoader(SharedLoader[K]):
    """A DataLoader a page of products fills in one batch (`fill`), its values then read with `known`.

    A page's fields read these values a few hundred times a request; a filled key
    answers from a dict, without the loader's future per key or a lookup through its cache.
    """

    def __init__(self, load_fn: Callable[..., Any]) -> None:
        super().__init__(load_fn=load_fn)
        self.filled: dict[Any, Any] = {}

    def known(self, key: K) -> Any:
        """The key's value when a page filled it, else `NOT_LOADED`."""
        return self.filled.get(key, NOT_LOADED)

    async def fill(self, keys: Sequence[K]) -> None:
        """Loads the keys not yet known, in one call of the batch function."""
        cached = self.cache_map
        missing = list(dict.fromkeys(k for k in keys if k not in self.filled and cached.get(k) is None))
        if missing:
            self.filled.update(zip(missing, await self.load_fn(missing), strict=True))

    def load(self, key: K) -> Any:
        if key in self.filled:
            future = self.loop.create_future()
            future.set_result(self.filled[key])
            return future
        return super().load(key)

    def clear_all(self) -> None:
        self.filled.clear()
        super().clear_all()


def _page_loader(load_fn: Callable[..., Any]) -> Any:
    return field(default_factory=lambda: PageLoader(load_fn))


@dataclass
class Loaders:
    product_by_id: DataLoader[int, Product | None] = _loader(_by_id(Product))
    variant_by_id: DataLoader[int, ProductVariant | None] = _loader(_by_id(ProductVariant))
    collection_by_id: DataLoader[int, Collection | None] = _loader(_by_id(Collection))
    variants_by_product_id: PageLoader[int] = field(init=False)  # made in __post_init__
    images_by_product_id: PageLoader[int] = _page_loader(_image_rows_by_product_id)
    options_by_product_id: PageLoader[int] = _page_loader(_grouped(ProductOption, "product_id", "position", "id"))
    tags_by_product_id: PageLoader[int] = _page_loader(_tags_by_product_id)
    collections_by_product_id: PageLoader[int] = _page_loader(_collections_by_product_id)
    cart_lines_by_cart_id: DataLoader[str, list[CartLine]] = _loader(_grouped(CartLine, "cart_id", "id"))
    order_lines_by_order_id: DataLoader[str, list[OrderLine]] = _loader(_grouped(OrderLine, "order_id", "id"))
    payment_by_order_id: DataLoader[str, Payment | None] = _loader(_payment_by_order_id)
    fulfillments_by_order_id: DataLoader[str, list[Fulfillment]] = _loader(_grouped(Fulfillment, "order_id", "id"))
    fulfillment_lines_by_fulfillment_id: DataLoader[int, list[FulfillmentLine]] = _loader(
        _grouped(FulfillmentLine, "fulfillment_id", "id"))
    dispute_by_order_id: DataLoader[str, Dispute | None] = _loader(_dispute_by_order_id)
    order_by_id: DataLoader[str, Order | None] = _loader(_by_id(Order))
    latest_event_by_order_id: DataLoader[str, int | None] = _loader(_latest_event_by_order_id)
    translations: PageLoader[TranslationKey] = _page_loader(_translations)
    # The currency whose explicit prices come with the variants: the operation's market's, when it is
    # not the shop's own (set before anything loads; see graph/core/in_context.py).
    price_currency: str | None = None

    def __post_init__(self) -> None:
        self.variants_by_product_id = PageLoader(
            lambda ids: _variant_rows_by_product_id(ids, self.price_currency))

    def forget_catalog(self) -> None:
        """Drops what this request read of carts and the catalog (after a change)."""
        for loader in (self.cart_lines_by_cart_id, self.product_by_id, self.variant_by_id,
                       self.variants_by_product_id, self.translations):
            loader.clear_all()
