"""Catalog types: `Product`, `ProductVariant`, `ProductOption`, `Image`, `PriceRange`.

Everything a product page shows comes through the request's dataloaders, so a
page of N products costs the same few statements for any N. A page loads
what its selection asks for before its products resolve (`prime_products`);
each field then answers at once from the loaded rows, and only a product
reached another way waits for its loader's batch. An awaited field costs
graphql-core a coroutine, a future and a gather slot per product, a plain
one a function call: on a page of 20 products with their variants that is
most of the request's time.

Text (titles, descriptions, option names and values) is in the operation's
language (`@inContext`, `in_language`), falling back field by field to the
shop's own text. In the shop's language nothing more is read; in another, a
page's translations come with its product rows (commerce.catalog.products),
and a product reached another way reads them through the request's loader.
"""

from __future__ import annotations

import asyncio
import inspect
from datetime import datetime
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry
from strawberry.types.nodes import Selection

from commerce.catalog.translations import option_key, value_key
from commerce.catalog.variants import DEFAULT_TITLE
from commerce.markets.prices import PriceRule, price_in
from commerce.markets.variant_prices import explicit_prices
from graph.core.context import Info
from graph.core.errors import bad_user_input
from graph.core.money import Money
from graph.core.node import Node, register_node
from graph.core.pagination import CountedConnection, Edge, page_args
from graph.core.ids import cursor_int, decode_cursor, encode_cursor, int_key, int_key_of, known, to_global_id
from graph.core.dataloaders import NOT_LOADED, ImageRow, PageLoader, VariantRow
from models import Product as ProductModel, ProductImage, ProductVariant as VariantModel

if TYPE_CHECKING:
    from graph.catalog.collections import CollectionConnection

__all__ = ["Product", "ProductVariant", "Image", "product_key", "variant_key", "prime_products", "in_language"]

T = TypeVar("T")
R = TypeVar("R")


def _when_loaded(loader: PageLoader[Any], key: Any, then: Callable[[T], R]) -> R | Awaitable[R]:
    """`then(value)` now when the loader already holds `key`, else an awaitable of it.

    The fields below are plain functions that may return an awaitable: graphql-core
    awaits what needs awaiting, so a primed page resolves without a coroutine per field.
    """
    value = loader.known(key)
    if value is not NOT_LOADED:
        return then(value)
    future = loader.load(key)
    if future.done():  # type: ignore[attr-defined]
        return then(future.result())  # type: ignore[attr-defined]
    return _then(future, then)


async def _then(future: Awaitable[T], then: Callable[[T], R]) -> R:
    value = then(await future)
    return await value if inspect.isawaitable(value) else value  # `then` may wait on another loader


_SHOP_TEXT: dict[str, str] = {}


def in_language(info: Info, kind: str, pk: int, then: Callable[[dict[str, str]], R]) -> R:
    """`then(translations)` of the resource in the operation's language (key -> text), now when they are
    loaded; `then({})`, the shop's own text, when the operation asks for the shop's language."""
    context = info.context
    if not context.translating:
        return then(_SHOP_TEXT)
    return _when_loaded(context.loaders.translations, (kind, context.language, pk), then)  # type: ignore[return-value]


# Which loader each Product field reads (GraphQL names).
_LOADER_OF_FIELD = {
    "availableForSale": "variants_by_product_id", "quantityAvailable": "variants_by_product_id",
    "variants": "variants_by_product_id", "variantBySelectedOptions": "variants_by_product_id",
    "priceRange": "variants_by_product_id", "compareAtPriceRange": "variants_by_product_id",
    "imageUrl": "images_by_product_id", "images": "images_by_product_id", "featuredImage": "images_by_product_id",
    "options": "options_by_product_id", "tags": "tags_by_product_id", "collections": "collections_by_product_id",
}
# The Product fields that show translated text.
_TRANSLATED_FIELDS = {"title", "description", "options", "variants", "variantBySelectedOptions"}


def _product_field_names(selections: Iterable[Selection], names: set[str]) -> set[str]:
    """The field names selected on the products of a connection (under `nodes` and `edges.node`)."""
    for selection in selections:
        name = getattr(selection, "name", None)
        if name is None or not hasattr(selection, "arguments"):  # a fragment: look inside
            _product_field_names(selection.selections, names)
        elif name == "nodes" or name == "node":
            _collect(selection.selections, names)
        elif name == "edges":
            _product_field_names(selection.selections, names)
    return names


def _collect(selections: Iterable[Selection], names: set[str]) -> None:
    for selection in selections:
        if hasattr(selection, "arguments"):
            names.add(selection.name)  # type: ignore[union-attr]
        else:
            _collect(selection.selections, names)


async def prime_products(info: Info, product_ids: list[int]) -> None:
    """Loads, in one batch per loader, what the connection's selection asks of its products."""
    if not product_ids:
        return
    loaders = info.context.loaders
    names: set[str] = set()
    for connection in info.selected_fields:  # the connection field itself
        _product_field_names(connection.selections, names)
    wanted = {_LOADER_OF_FIELD[n] for n in names if n in _LOADER_OF_FIELD}
    fills = [getattr(loaders, name).fill(product_ids) for name in sorted(wanted)]
    if info.context.translating and names & _TRANSLATED_FIELDS:
        language = info.context.language
        fills.append(loaders.translations.fill([("product", language, pk) for pk in product_ids]))
    if fills:
        await asyncio.gather(*fills)


@strawberry.type(description="An image, by URL.")
class Image:
    url: str
    alt_text: str | None
    width: int | None
    height: int | None

    @classmethod
    def from_model(cls, model: ProductImage | ImageRow) -> "Image":
        return cls(url=model.url, alt_text=model.alt_text or None, width=model.width, height=model.height)


@strawberry.type(description="A choice a product offers, such as Size with S, M and L.")
class ProductOption:
    name: str
    values: list[str]


@strawberry.type
class SelectedOption:
    name: str
    value: str


def _selected_options(variant: VariantModel | VariantRow, text: dict[str, str]) -> list[SelectedOption]:
    return [SelectedOption(name=text.get(option_key(o["name"]), o["name"]),
                           value=text.get(value_key(o["name"], o["value"]), o["value"]))
            for o in variant.selected_options]


def _variant_title(variant: VariantModel | VariantRow, text: dict[str, str]) -> str:
    """The option values joined, each in the operation's language."""
    if not text or not variant.selected_options:
        return variant.title
    return " / ".join(text.get(value_key(o["name"], o["value"]), o["value"]) for o in variant.selected_options)


@strawberry.input
class SelectedOptionInput:
    name: str
    value: str


@strawberry.type(description="The lowest and highest price among a product's variants.")
class PriceRange:
    min_variant_price: Money
    max_variant_price: Money


@strawberry.type(description="One combination of a product's options: what goes in a cart.")
class ProductVariant(Node):
    sku: str | None
    price: Money
    compare_at_price: Money | None
    available_for_sale: bool
    quantity_available: int
    weight_grams: int
    requires_shipping: bool
    model: strawberry.Private[VariantModel | VariantRow]
    currency: strawberry.Private[str]

    @classmethod
    def from_model(cls, model: VariantModel | VariantRow, currency: str) -> "ProductVariant":
        """The variant at its base price, in the shop's currency `currency`."""
        return cls._with_prices(model, currency, model.price, model.compare_at_price)

    @classmethod
    def priced(cls, model: VariantModel | VariantRow, rule: PriceRule,
               explicit: tuple[int, int | None] | None = None) -> "ProductVariant | None":
        """The variant in a market's currency (`rule`, `MarketView.rule`), with its explicit price there if it
        has one; None when it is not for sale in that market (commerce.markets.prices)."""
        prices = price_in(rule, model.price, model.compare_at_price,
                          explicit if explicit is not None else getattr(model, "explicit", None))
        return None if prices is None else cls._with_prices(model, rule.currency, *prices)

    @classmethod
    def _with_prices(cls, model: VariantModel | VariantRow, currency: str, price: int,
                     compare_at: int | None) -> "ProductVariant":
        return cls(
            id=strawberry.ID(to_global_id("ProductVariant", model.id)),
            model=model, currency=currency, sku=model.sku,
            price=Money.of(price, currency),
            compare_at_price=None if compare_at is None else Money.of(compare_at, currency),
            available_for_sale=model.stock > 0, quantity_available=model.stock,
            weight_grams=model.weight_grams, requires_shipping=model.requires_shipping,
        )

    @strawberry.field(description='The option values joined, "M / Blue"; "Default" without options.')
    def title(self, info: Info) -> str:
        return in_language(info, "product", self.model.product_id, lambda text: _variant_title(self.model, text))

    @strawberry.field
    def selected_options(self, info: Info) -> list[SelectedOption]:
        return in_language(info, "product", self.model.product_id,
                            lambda text: _selected_options(self.model, text))

    @strawberry.field
    def image(self, info: Info) -> Image | None:
        image_id = self.model.image_id
        if image_id is None:
            return None
        return _when_loaded(info.context.loaders.images_by_product_id, self.model.product_id,  # type: ignore[return-value]
                            lambda images: next((Image.from_model(i) for i in images if i.id == image_id), None))

    @strawberry.field
    async def product(self, info: Info) -> "Product":
        return Product.from_model(await info.context.loaders.product_by_id.load(self.model.product_id))


@strawberry.type
class ProductVariantConnection(CountedConnection[ProductVariant]):
    pass


def _variant_start(variants: list[VariantRow], after: str | None) -> int:
    """Where the page after cursor `after` starts (0 without one); BAD_USER_INPUT unless it names a variant here."""
    if after is None:
        return 0
    values = decode_cursor(after, "after")
    after_id = cursor_int(values[0]) if len(values) == 1 else None
    for index, variant in enumerate(variants):
        if after_id is not None and variant.id == after_id:
            return index + 1
    raise bad_user_input("`after` is not a cursor of this list.")


def _priced(variants: list[VariantRow], rule: PriceRule) -> list[tuple[VariantRow, tuple[int, int | None]]]:
    """The variants for sale in the market of `rule`, each with its (price, compare-at price) there (each row
    carries its explicit price in the market's currency)."""
    if rule.identity:
        return [(v, (v.price, v.compare_at_price)) for v in variants]
    return [(v, prices) for v, prices in ((v, price_in(rule, v.price, v.compare_at_price, v.explicit))
                                           for v in variants) if prices is not None]


def _shown(variant: VariantRow, prices: tuple[int, int | None], rule: PriceRule) -> ProductVariant:
    return ProductVariant._with_prices(variant, rule.currency, *prices)


def _range(amounts: list[int], rule: PriceRule) -> PriceRange:
    """The lowest and highest of `amounts`, minor units of the market's currency."""
    amounts = amounts or [0]
    return PriceRange(min_variant_price=Money.of(min(amounts), rule.currency),
                      max_variant_price=Money.of(max(amounts), rule.currency))


def _variant_page(variants: list[VariantRow], rule: PriceRule, first: int | None,
                  after: str | None) -> ProductVariantConnection:
    args = page_args(first, None)
    priced = _priced(variants, rule)
    variants = [v for v, _ in priced]
    start = _variant_start(variants, after)
    page = priced[start:start + (args.first or 0)]
    edges = [Edge(cursor=encode_cursor([v.id]), node=_shown(v, prices, rule)) for v, prices in page]
    return ProductVariantConnection.page(edges, has_next_page=start + len(page) < len(variants),
                                         has_previous_page=start > 0, total_count=len(variants))


@strawberry.type(description="A product for sale: its page. What goes in a cart is one of its variants.")
class Product(Node):
    slug: str
    created_at: datetime
    updated_at: datetime
    pk: strawberry.Private[int]
    currency: strawberry.Private[str]
    lowest_price: strawberry.Private[int]
    shop_title: strawberry.Private[str]  # in the shop's language; `title` answers in the operation's
    shop_description: strawberry.Private[str]

    @classmethod
    def from_model(cls, model: ProductModel) -> "Product":
        return cls(
            id=strawberry.ID(to_global_id("Product", model.id)), pk=model.id, currency=model.currency,
            lowest_price=model.price, slug=model.slug, shop_title=model.title, shop_description=model.description,
            created_at=model.created_at, updated_at=model.updated_at,
        )

    def _with_variants(self, info: Info, then: Callable[[list[VariantRow]], R]) -> R:
        return _when_loaded(info.context.loaders.variants_by_product_id, self.pk, then)  # type: ignore[return-value]

    def _with_images(self, info: Info, then: Callable[[list[ImageRow]], R]) -> R:
        return _when_loaded(info.context.loaders.images_by_product_id, self.pk, then)  # type: ignore[return-value]

    @strawberry.field
    def title(self, info: Info) -> str:
        return in_language(info, "product", self.pk, lambda text: text.get("title", self.shop_title))

    @strawberry.field
    def description(self, info: Info) -> str:
        return in_language(info, "product", self.pk, lambda text: text.get("description", self.shop_description))

    @strawberry.field(deprecation_reason="Use `priceRange.minVariantPrice`.", description="The lowest variant price.")
    def price(self, info: Info) -> Money:
        rule = info.context.market.rule
        if rule.identity:
            return Money.of(self.lowest_price, self.currency)
        return self._with_variants(
            info, lambda variants: _range([p for _, (p, _) in _priced(variants, rule)], rule).min_variant_price)

    @strawberry.field(deprecation_reason="Use `featuredImage.url`.", description="The first image's URL.")
    def image_url(self, info: Info) -> str | None:
        return self._with_images(info, lambda images: images[0].url if images else None)

    @strawberry.field(description="True when any variant is in stock.")
    def available_for_sale(self, info: Info) -> bool:
        return self._with_variants(info, lambda variants: any(v.stock > 0 for v in variants))

    @strawberry.field(description="Units in stock, all variants together.")
    def quantity_available(self, info: Info) -> int:
        return self._with_variants(info, lambda variants: sum(v.stock for v in variants))

    @strawberry.field
    def options(self, info: Info) -> list[ProductOption]:
        def shown(options: list[Any]) -> list[ProductOption]:
            return in_language(info, "product", self.pk, lambda text: [
                ProductOption(name=text.get(option_key(o.name), o.name),
                              values=[text.get(value_key(o.name, v), v) for v in o.values]) for o in options])

        return _when_loaded(info.context.loaders.options_by_product_id, self.pk, shown)  # type: ignore[return-value]

    @strawberry.field(description=("The variants for sale in the operation's market, in the shop's order (at most"
                                   " 100 a page)."))
    def variants(self, info: Info, first: int | None = None, after: str | None = None) -> ProductVariantConnection:
        rule = info.context.market.rule
        return self._with_variants(info, lambda variants: _variant_page(variants, rule, first, after))

    @strawberry.field(description=("The variant with exactly these option values (in the shop's language or the"
                                   " operation's); null when there is none."))
    def variant_by_selected_options(
        self, info: Info, selected_options: list[SelectedOptionInput]
    ) -> ProductVariant | None:
        wanted = {(o.name.strip().lower(), o.value.strip().lower()) for o in selected_options}

        def find(variants: list[VariantRow], text: dict[str, str]) -> ProductVariant | None:
            rule = info.context.market.rule
            for row, prices in _priced(variants, rule):
                have = {(o["name"].lower(), o["value"].lower()) for o in row.selected_options}
                shown = {(o.name.lower(), o.value.lower()) for o in _selected_options(row, text)}
                if wanted in (have, shown) or (not wanted and row.title == DEFAULT_TITLE):
                    return _shown(row, prices, rule)
            return None

        return self._with_variants(
            info, lambda variants: in_language(info, "product", self.pk, lambda text: find(variants, text)))

    @strawberry.field
    def price_range(self, info: Info) -> PriceRange:
        rule = info.context.market.rule
        if rule.identity:
            return self._with_variants(info, lambda variants: _range(
                [v.price for v in variants] or [self.lowest_price], rule))
        return self._with_variants(info, lambda variants: _range([p for _, (p, _) in _priced(variants, rule)], rule))

    @strawberry.field(description="The range of compare-at prices; null when no variant has one.")
    def compare_at_price_range(self, info: Info) -> PriceRange | None:
        rule = info.context.market.rule

        def compare_at_range(variants: list[VariantRow]) -> PriceRange | None:
            prices = [c for _, (_, c) in _priced(variants, rule) if c is not None]
            return _range(prices, rule) if prices else None

        return self._with_variants(info, compare_at_range)

    @strawberry.field
    def images(self, info: Info) -> list[Image]:
        return self._with_images(info, lambda images: [Image.from_model(i) for i in images])

    @strawberry.field
    def featured_image(self, info: Info) -> Image | None:
        return self._with_images(info, lambda images: Image.from_model(images[0]) if images else None)

    @strawberry.field
    def tags(self, info: Info) -> list[str]:
        return _when_loaded(info.context.loaders.tags_by_product_id, self.pk, list)  # type: ignore[return-value]

    @strawberry.field(description="The collections this product is in.")
    def collections(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Annotated["CollectionConnection", strawberry.lazy("graph.catalog.collections")]:
        from graph.catalog.collections import collection_page

        return _when_loaded(info.context.loaders.collections_by_product_id, self.pk,  # type: ignore[return-value]
                            lambda collections: collection_page(collections, first, after))


def product_key(global_id: str, field: str) -> int:
    """The database id inside a Product id, for mutation inputs; NOT_FOUND otherwise."""
    return known(int_key(global_id, "Product"), "product", field)


def variant_key(global_id: str, field: str) -> int:
    return known(int_key(global_id, "ProductVariant"), "variant", field)


async def for_sale(info: Info, product: Product) -> Product | None:
    """`product`, or None where the operation's market has no price for any of its variants (a market that
    prices by explicit prices only; with an exchange rate, every variant has a price)."""
    rule = info.context.market.rule
    if rule.identity or rule.numerator is not None:
        return product
    variants = await info.context.loaders.variants_by_product_id.load(product.pk)
    return product if _priced(variants, rule) else None


async def product_node(info: Info, pk: int) -> Product | None:
    model = await info.context.loaders.product_by_id.load(pk)
    return None if model is None else await for_sale(info, Product.from_model(model))


async def variant_in_market(info: Info, model: VariantModel) -> ProductVariant | None:
    """A variant read by id, in the operation's market; None where it is not for sale there."""
    rule = info.context.market.rule
    if rule.identity:
        return ProductVariant.from_model(model, rule.currency)
    explicit = (await explicit_prices([model.id], rule.currency)).get(model.id)
    return ProductVariant.priced(model, rule, explicit)


async def _variant_node(info: Info, pk: int) -> ProductVariant | None:
    model = await info.context.loaders.variant_by_id.load(pk)
    return None if model is None else await variant_in_market(info, model)


register_node("Product", int_key_of, product_node)
register_node("ProductVariant", int_key_of, _variant_node)
