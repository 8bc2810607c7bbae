"""Reading the catalog: search, sort and keyset pagination in both directions.

A page is found by its sort key and the product id (a unique tie-breaker), so
paging never skips or repeats a product, whatever the sort, and costs one
indexed query however deep the page is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from models import Product

__all__ = ["MAX_ID", "product_by_slug", "ProductSort", "Keyset", "ProductPage", "list_products", "count_products", "sort_value"]


class ProductSort(Enum):
    TITLE = "title"
    PRICE = "price"
    CREATED_AT = "created_at"
    ID = "id"


MAX_ID = 2**31 - 1  # ids are 32-bit integers on every database

Keyset = tuple[Any, int]  # (value of the sort field, product id)


@dataclass(frozen=True)
class ProductPage:
    products: list[Product]
    has_next_page: bool
    has_previous_page: bool


def sort_value(product: Product, sort: ProductSort) -> Any:
    return getattr(product, sort.value)


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


def _search(text: str | None) -> QuerySet[Product]:
    queryset = Product.all()
    if text and text.strip():
        needle = text.strip()
        queryset = queryset.filter(Q(title__icontains=needle) | Q(description__icontains=needle))
    return queryset


def _beyond(sort: ProductSort, keyset: Keyset, descending: bool) -> Q:
    """Products strictly after `keyset` in the given direction."""
    value, pk = keyset
    field = sort.value
    if sort is ProductSort.ID:
        return Q(**{"id__lt" if descending else "id__gt": pk})
    op = "lt" if descending else "gt"
    return Q(**{f"{field}__{op}": value}) | Q(
        Q(**{field: value}), Q(**{f"id__{op}": pk}), join_type="AND"
    )


def _ordering(sort: ProductSort, descending: bool) -> list[str]:
    sign = "-" if descending else ""
    if sort is ProductSort.ID:
        return [f"{sign}id"]
    return [f"{sign}{sort.value}", f"{sign}id"]


async def list_products(
    *,
    search: str | None = None,
    sort: ProductSort = ProductSort.ID,
    reverse: bool = False,
    first: int | None = None,
    after: Keyset | None = None,
    last: int | None = None,
    before: Keyset | None = None,
) -> ProductPage:
    """One page of products. Give `first` (forward) or `last` (backward), not both."""
    if (first is None) == (last is None):
        raise ValueError("give exactly one of first and last")
    backward = last is not None
    size = last if backward else first
    assert size is not None

    # Walking backward reads the list in the opposite order, then flips the page.
    descending = reverse != backward
    queryset = _search(search)
    if after is not None:
        queryset = queryset.filter(_beyond(sort, after, descending=reverse))
    if before is not None:
        queryset = queryset.filter(_beyond(sort, before, descending=not reverse))
    rows = await queryset.order_by(*_ordering(sort, descending)).limit(size + 1)

    more = len(rows) > size
    rows = rows[:size]
    if backward:
        rows.reverse()
        return ProductPage(rows, has_next_page=before is not None, has_previous_page=more)
    return ProductPage(rows, has_next_page=more, has_previous_page=after is not None)


async def count_products(search: str | None = None) -> int:
    return await _search(search).count()


async def product_by_slug(slug: str) -> Product | None:
    return await Product.get_or_none(slug=slug)
