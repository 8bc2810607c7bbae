"""Catalog queries: `products` (search, filters, facets), `product`, `collections`, `collection`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import strawberry

from commerce.catalog import facets as catalog_facets, products as catalog
from commerce.catalog.products import CatalogFilter, ProductSort, Selection
from commerce.money import InvalidAmount, to_minor_units
from graph.catalog.collections import Collection, CollectionConnection, collection_page
from graph.core.context import Info
from graph.core.errors import bad_user_input
from graph.core.money import Money
from graph.core.pagination import Connection, Edge, page_args
from graph.catalog.types import Product, for_sale, prime_products, product_key, product_node
from graph.core.ids import cursor_int, decode_cursor, encode_cursor, int_key
from models import Collection as CollectionModel, Product as ProductModel

__all__ = ["ProductConnection", "ProductSortKey", "ProductFilter", "CatalogQuery", "product_key", "product_connection"]


@strawberry.enum(description="How `products` are ordered. Ties are broken by id.")
class ProductSortKey(Enum):
    TITLE = "TITLE"
    PRICE = "PRICE"
    CREATED_AT = "CREATED_AT"
    ID = "ID"
    RELEVANCE = strawberry.enum_value("RELEVANCE", description="Title matches first; the default with a `query`.")
    BEST_SELLING = strawberry.enum_value("BEST_SELLING", description="Most units in paid orders first.")


@strawberry.input
class PriceRangeFilter:
    min: Decimal | None = None
    max: Decimal | None = None


@strawberry.input
class VariantOptionFilter:
    name: str
    value: str


@strawberry.input(description="Conditions AND together; the values of one list OR (option names AND on one variant).")
class ProductFilter:
    available: bool | None = strawberry.field(default=None, description="True: some (matching) variant is in stock.")
    price: PriceRangeFilter | None = strawberry.field(default=None, description="Some variant's price is within, inclusive.")
    variant_option: list[VariantOptionFilter] | None = None
    tag: list[str] | None = None
    collection: strawberry.ID | None = None


@strawberry.type
class FacetValue:
    value: str
    count: int = strawberry.field(description="Products that match with this value chosen.")


@strawberry.type(description="One filter of a sidebar (`available`, `tag`, or an option name) with its values.")
class Facet:
    name: str
    values: list[FacetValue]


@strawberry.type
class PriceFacet:
    min: Money | None
    max: Money | None


@strawberry.type
class ProductFacets:
    available: list[FacetValue]
    tag: list[FacetValue]
    options: list[Facet]
    price: PriceFacet


@strawberry.type(description="A page of products.")
class ProductConnection(Connection[Product]):
    selection: strawberry.Private[Selection]

    @strawberry.field(description="How many products match, on every page together.")
    async def total_count(self) -> int:
        return await catalog.count_products(self.selection)

    @strawberry.field(description="For a filter sidebar: each facet's values, counted under the other filters.")
    async def facets(self, info: Info) -> ProductFacets:
        found = await catalog_facets.facets(self.selection)
        currency = info.context.market.currency
        values = lambda counts: [FacetValue(value=v, count=c) for v, c in counts]  # noqa: E731
        return ProductFacets(
            available=values(found.available), tag=values(found.tags),
            options=[Facet(name=name, values=values(counts)) for name, counts in found.options],
            price=PriceFacet(min=None if found.price_min is None else Money.of(found.price_min, currency),
                             max=None if found.price_max is None else Money.of(found.price_max, currency)),
        )


def _cursor(model: ProductModel, sort: ProductSort) -> str:
    value: Any = catalog.sort_value(model, sort)
    if isinstance(value, datetime):
        value = value.isoformat()
    return encode_cursor([sort.name, value, model.id])


def _keyset(cursor: str | None, sort: ProductSort, argument: str) -> catalog.Keyset | None:
    if cursor is None:
        return None
    values = decode_cursor(cursor, argument)
    try:
        sort_name, raw, pk = values
        if sort_name != sort.name:
            raise ValueError("cursor made for another sort key")
        if cursor_int(pk) is None:
            raise ValueError("bad id")
        return catalog.parse_sort_value(sort, raw), pk
    except (TypeError, ValueError):
        raise bad_user_input(
            f"`{argument}` is not a cursor of this list (was it made with another sortKey?)."
        ) from None


def _money(value: Decimal | None, currency: str, argument: str) -> int | None:
    if value is None:
        return None
    try:
        return to_minor_units(value, currency)
    except InvalidAmount as error:
        raise bad_user_input(f"`{argument}`: {error}") from None


def catalog_filter(filters: ProductFilter | None, currency: str, collection_id: int | None = None) -> CatalogFilter:
    """The commerce filter of a `ProductFilter` argument; bad values are BAD_USER_INPUT."""
    f = filters or ProductFilter()
    if f.collection is not None:
        key = int_key(f.collection, "Collection")
        if key is None:
            raise bad_user_input("`filters.collection` is not a Collection id.")
        if collection_id is not None and key != collection_id:
            return CatalogFilter(collection_id=-1)  # two different collections: nothing matches
        collection_id = key
    options = tuple((o.name, o.value) for o in f.variant_option or ())
    tags = tuple(f.tag or ())
    if len(options) > 50 or len(tags) > 50:
        raise bad_user_input("A filter takes at most 50 option values and 50 tags.")
    price = f.price or PriceRangeFilter()
    return CatalogFilter(
        available=f.available, price_min=_money(price.min, currency, "filters.price.min"),
        price_max=_money(price.max, currency, "filters.price.max"), variant_options=options, tags=tags,
        collection_id=collection_id,
    )


async def product_connection(
    info: Info, *, first: int | None, after: str | None, last: int | None, before: str | None,
    query: str | None, sort_key: ProductSortKey | None, reverse: bool, filters: ProductFilter | None,
    collection_id: int | None = None,
) -> ProductConnection:
    args = page_args(first, last)
    if query is not None and len(query) > 200:
        raise bad_user_input("`query` is at most 200 characters.")
    searching = bool(query and query.strip())
    sort = ProductSort[(sort_key or (ProductSortKey.RELEVANCE if searching else ProductSortKey.ID)).name]
    language = info.context.language if info.context.translating else None  # search its words too
    market = info.context.market
    selection = await catalog.select_products(
        query, catalog_filter(filters, market.currency, collection_id), language, market.rule)
    page = await catalog.list_products(
        selection=selection, sort=sort, reverse=reverse, first=args.first, after=_keyset(after, sort, "after"),
        last=args.last, before=_keyset(before, sort, "before"), language=language,
    )
    for pk, text in page.translations.items():  # read with the page: its fields need no statement more
        info.context.loaders.translations.prime(("product", info.context.language, pk), text)
    edges = [Edge(cursor=_cursor(m, sort), node=Product.from_model(m)) for m in page.products]
    await prime_products(info, [m.id for m in page.products])
    return ProductConnection.page(edges, has_next_page=page.has_next_page, has_previous_page=page.has_previous_page,
                                  selection=selection)


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="Products, searched, filtered, sorted and paged (at most 100 a page).")
    async def products(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        query: Annotated[str | None, strawberry.argument(description="Words in any order; the last one as a prefix.")] = None,
        sort_key: Annotated[ProductSortKey | None, strawberry.argument(description="RELEVANCE with a query, else ID.")] = None,
        reverse: bool = False,
        filters: ProductFilter | None = None,
    ) -> ProductConnection:
        return await product_connection(info, first=first, after=after, last=last, before=before, query=query,
                                        sort_key=sort_key, reverse=reverse, filters=filters)

    @strawberry.field(description="One product by its id or its slug; null when there is none.")
    async def product(
        self, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> Product | None:
        if (id is None) == (slug is None):
            raise bad_user_input("Give exactly one of `id` and `slug`.")
        if id is not None:
            key = int_key(id, "Product")
            return None if key is None else await product_node(info, key)
        model = await catalog.product_by_slug(slug)
        return None if model is None else await for_sale(info, Product.from_model(model))

    @strawberry.field(description="The collections, by id (at most 100 a page).")
    async def collections(self, first: int | None = None, after: str | None = None) -> CollectionConnection:
        return collection_page(await CollectionModel.all().order_by("id"), first, after)

    @strawberry.field(description="One collection by its id or its slug; null when there is none.")
    async def collection(
        self, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> Collection | None:
        if (id is None) == (slug is None):
            raise bad_user_input("Give exactly one of `id` and `slug`.")
        if id is not None:
            key = int_key(id, "Collection")
            model = None if key is None else await info.context.loaders.collection_by_id.load(key)
        else:
            model = await CollectionModel.get_or_none(slug=slug)
        return None if model is None else Collection.from_model(model)
