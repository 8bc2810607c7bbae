"""Reading the catalog: search, sort and keyset pagination in both directions.

A page is found by its sort key and the product id (a unique tie-breaker), so
paging never skips or repeats a product, whatever the sort, and costs one
indexed query however deep the page is.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from tortoise.connection import get_connection
from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.queryset import QuerySet

from commerce.catalog import search as full_text, statements
from commerce.markets.prices import PriceRule, product_price_sql, variant_row_price_sql
from models import CollectionProduct, Product, ProductTag, ProductVariant, VariantOptionValue

__all__ = [
    "MAX_ID", "product_by_slug", "ProductSort", "CatalogFilter", "Keyset", "ProductPage", "Selection",
    "select_products", "list_products", "count_products", "sort_value",
]


class ProductSort(Enum):
    TITLE = "title"
    PRICE = "price"
    CREATED_AT = "created_at"
    ID = "id"
    RELEVANCE = "relevance"  # title matches first; most relevant first
    BEST_SELLING = "units_sold"  # units in paid orders; most sold first


_HIGHEST_FIRST = (ProductSort.RELEVANCE, ProductSort.BEST_SELLING)


@dataclass(frozen=True)
class CatalogFilter:
    """`ProductFilter`: conditions AND; the values of one list OR; option names AND on one variant."""

    available: bool | None = None
    price_min: int | None = None
    price_max: int | None = None
    variant_options: tuple[tuple[str, str], ...] = ()
    tags: tuple[str, ...] = ()
    collection_id: int | None = None

    def without(self, facet: str) -> "CatalogFilter":
        """This filter less one facet's own condition (facet counts use the others)."""
        if facet == "available":
            return CatalogFilter(None, self.price_min, self.price_max, self.variant_options, self.tags, self.collection_id)
        if facet == "price":
            return CatalogFilter(self.available, None, None, self.variant_options, self.tags, self.collection_id)
        if facet == "tag":
            return CatalogFilter(self.available, self.price_min, self.price_max, self.variant_options, (), self.collection_id)
        options = tuple(o for o in self.variant_options if o[0] != facet)
        return CatalogFilter(self.available, self.price_min, self.price_max, options, self.tags, self.collection_id)


@dataclass(frozen=True)
class Selection:
    """The products a search and a filter select, before sorting and paging. With the `rule` of a market in
    another currency than the shop's, only products for sale there, filtered and sorted by their price there."""

    filters: CatalogFilter = field(default_factory=CatalogFilter)
    relevance: dict[int, int] | None = None  # product id -> relevance, when there is a search
    rule: PriceRule | None = None  # None: the shop's own prices

    @property
    def market(self) -> PriceRule | None:
        """The rule, when prices are not the shop's own."""
        return None if self.rule is None or self.rule.identity else self.rule


async def select_products(
    search: str | None, filters: CatalogFilter | None = None, language: str | None = None,
    rule: PriceRule | None = None,
) -> Selection:
    """`language`: search translated words too (a language other than the shop's); `rule`: the market's
    prices (commerce.markets.prices)."""
    relevance = await full_text.matching(search, language) if search and search.strip() else None
    return Selection(filters or CatalogFilter(), relevance, rule)


MAX_ID = 2**31 - 1  # ids are 32-bit integers on every database

Keyset = tuple[Any, int]  # (value of the sort field, product id)


@dataclass(frozen=True)
class ProductPage:
    products: list[Product]
    has_next_page: bool
    has_previous_page: bool
    # With a language: key -> text of each product of the page in it, read in the page's own statement.
    translations: dict[int, dict[str, str]] = field(default_factory=dict)


_LANGUAGE = re.compile(r"[A-Z]{2}")
_AGGREGATE = {"sqlite": "json_group_object(t.key, t.value)", "postgres": "json_object_agg(t.key, t.value)"}


def _with_translations(queryset: QuerySet[Product], language: str) -> QuerySet[Product]:
    """Each product with its translations in `language` as a JSON object (null without any)."""
    if not _LANGUAGE.fullmatch(language):  # written into the SQL: two capital letters, nothing else
        raise ValueError(f"not a language code: {language!r}")
    dialect = get_connection("default").capabilities.dialect
    return queryset.annotate(translated=RawSQL(
        f"(SELECT {_AGGREGATE.get(dialect, _AGGREGATE['postgres'])} FROM translation t WHERE t.resource_kind ="
        f" 'product' AND t.language = '{language}' AND t.resource_id = \"product\".\"id\")"))


def _translations(rows: list[Product]) -> dict[int, dict[str, str]]:
    found = {}
    for row in rows:
        value = getattr(row, "translated", None)
        found[row.id] = {} if value is None else (json.loads(value) if isinstance(value, str) else dict(value))
    return found


MARKET_PRICE = "market_price"  # the annotation of a product's lowest price in a market


def _sort_field(sort: ProductSort, selection: Selection) -> str:
    return MARKET_PRICE if sort is ProductSort.PRICE and selection.market is not None else sort.value


def sort_value(product: Product, sort: ProductSort) -> Any:
    if sort is ProductSort.PRICE and hasattr(product, MARKET_PRICE):
        return getattr(product, MARKET_PRICE)
    return getattr(product, sort.value, 0)


def parse_sort_value(sort: ProductSort, raw: Any) -> Any:
    """The typed sort value from a decoded cursor; ValueError when it does not fit."""
    if sort is ProductSort.CREATED_AT:
        if not isinstance(raw, str):
            raise ValueError("created_at cursor must be a string")
        value = datetime.fromisoformat(raw)
        if value.tzinfo is None:
            raise ValueError("created_at cursor must carry a timezone")
        return value
    if sort is ProductSort.TITLE:
        if not isinstance(raw, str):
            raise ValueError("title cursor must be a string")
        return raw
    if isinstance(raw, bool) or not isinstance(raw, int) or not -MAX_ID <= raw <= MAX_ID:
        raise ValueError("cursor value must be a 32-bit integer")
    return raw


def _matching_variants(f: CatalogFilter) -> QuerySet[ProductVariant]:
    variants = ProductVariant.all()
    names: dict[str, list[str]] = {}
    for name, value in f.variant_options:
        names.setdefault(name, []).append(value)
    for name, values in names.items():
        variants = variants.filter(id__in=Subquery(
            VariantOptionValue.filter(name=name, value__in=values).values("variant_id")))
    return variants


def _priced_variants(rule: PriceRule) -> QuerySet[ProductVariant]:
    """The variants for sale in the market of `rule`, each with its price there (`market_price`)."""
    return ProductVariant.annotate(**{MARKET_PRICE: RawSQL(variant_row_price_sql(rule))}).filter(
        **{f"{MARKET_PRICE}__not_isnull": True})


def filtered(selection: Selection, f: CatalogFilter | None = None) -> QuerySet[Product]:
    """The products of a selection, under `f` (the selection's own filter when not given)."""
    f = selection.filters if f is None else f
    queryset = Product.all()
    if selection.relevance is not None:
        queryset = queryset.filter(id__in=list(selection.relevance))
    if f.tags:
        queryset = queryset.filter(id__in=Subquery(ProductTag.filter(tag__in=list(f.tags)).values("product_id")))
    if f.collection_id is not None:
        queryset = queryset.filter(
            id__in=Subquery(CollectionProduct.filter(collection_id=f.collection_id).values("product_id")))
    market = selection.market
    if market is not None:  # only what is for sale in the market
        queryset = queryset.filter(id__in=Subquery(_priced_variants(market).values("product_id")))
    if f.price_min is not None or f.price_max is not None:
        priced, price = (ProductVariant.all(), "price") if market is None else (_priced_variants(market), MARKET_PRICE)
        if f.price_min is not None:
            priced = priced.filter(**{f"{price}__gte": f.price_min})
        if f.price_max is not None:
            priced = priced.filter(**{f"{price}__lte": f.price_max})
        queryset = queryset.filter(id__in=Subquery(priced.values("product_id")))
    if f.variant_options:
        queryset = queryset.filter(id__in=Subquery(_matching_variants(f).values("product_id")))
    if f.available is True:
        queryset = queryset.filter(id__in=Subquery(_matching_variants(f).filter(stock__gt=0).values("product_id")))
    elif f.available is False:
        queryset = queryset.exclude(id__in=Subquery(_matching_variants(f).filter(stock__gt=0).values("product_id")))
    return queryset


def _sorted_by(queryset: QuerySet[Product], selection: Selection, sort: ProductSort) -> QuerySet[Product]:
    if sort is not ProductSort.RELEVANCE:
        return queryset
    in_title = ",".join(str(int(pid)) for pid, score in (selection.relevance or {}).items() if score) or "0"
    return queryset.annotate(relevance=RawSQL(f'CASE WHEN "product"."id" IN ({in_title}) THEN 1 ELSE 0 END'))


def _beyond(sort: ProductSort, keyset: Keyset, descending: bool, field: str) -> Q:
    """Products strictly after `keyset` in the given direction, sorted by `field`."""
    value, pk = keyset
    if sort is ProductSort.ID:
        return Q(**{"id__lt" if descending else "id__gt": pk})
    op = "lt" if descending else "gt"
    return Q(**{f"{field}__{op}": value}) | Q(
        Q(**{field: value}), Q(**{f"id__{op}": pk}), join_type="AND"
    )


def _ordering(sort: ProductSort, descending: bool, field: str) -> list[str]:
    sign = "-" if descending else ""
    if sort is ProductSort.ID:
        return [f"{sign}id"]
    return [f"{sign}{field}", f"{sign}id"]


async def list_products(
    *,
    selection: Selection = Selection(),
    sort: ProductSort = ProductSort.ID,
    reverse: bool = False,
    first: int | None = None,
    after: Keyset | None = None,
    last: int | None = None,
    before: Keyset | None = None,
    language: str | None = None,
) -> ProductPage:
    """One page of products. Give `first` (forward) or `last` (backward), not both. With a `language`
    (one other than the shop's), the page's translations in it come with the rows, in the same statement."""
    if (first is None) == (last is None):
        raise ValueError("give exactly one of first and last")
    backward = last is not None
    size = last if backward else first
    assert size is not None

    # Walking backward reads the list in the opposite order, then flips the page.
    natural = reverse != (sort in _HIGHEST_FIRST)
    descending = natural != backward

    field = _sort_field(sort, selection)

    def build() -> QuerySet[Product]:
        queryset = _sorted_by(filtered(selection), selection, sort)
        if field == MARKET_PRICE:
            queryset = queryset.annotate(**{MARKET_PRICE: RawSQL(product_price_sql(selection.rule))})
        if after is not None:
            queryset = queryset.filter(_beyond(sort, after, descending=natural, field=field))
        if before is not None:
            queryset = queryset.filter(_beyond(sort, before, descending=not natural, field=field))
        if language is not None:
            queryset = _with_translations(queryset, language)
        return queryset.order_by(*_ordering(sort, descending, field)).limit(size + 1)

    key = ("page", sort, natural, descending, size, repr(after), repr(before), language,
           statements.selection_key(selection))
    rows = await statements.models(key, Product, build)

    more = len(rows) > size
    rows = rows[:size]
    translations = _translations(rows) if language is not None else {}
    if backward:
        rows.reverse()
        return ProductPage(rows, has_next_page=before is not None, has_previous_page=more, translations=translations)
    return ProductPage(rows, has_next_page=more, has_previous_page=after is not None, translations=translations)


async def count_products(selection: Selection) -> int:
    return await statements.count(("count", statements.selection_key(selection)), lambda: filtered(selection).count())


async def product_by_slug(slug: str) -> Product | None:
    return await Product.get_or_none(slug=slug)
