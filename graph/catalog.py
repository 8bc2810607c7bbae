"""Catalog types and queries: `Product`, `products`, `product`."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from commerce.catalog import products as catalog
from commerce.catalog.products import ProductSort
from graph.context import Info
from graph.errors import bad_user_input
from graph.money import Money
from graph.node import Node, register_node
from graph.pagination import PageInfo, page_args
from commerce.errors import DomainError, UserErrorCode
from graph.relay import decode_cursor, encode_cursor, expect_global_id, from_global_id, to_global_id
from models import Product as ProductModel

__all__ = ["Product", "ProductConnection", "ProductSortKey", "CatalogQuery", "product_key"]


@strawberry.enum(description="How `products` are ordered. Ties are broken by id.")
class ProductSortKey(Enum):
    TITLE = "TITLE"
    PRICE = "PRICE"
    CREATED_AT = "CREATED_AT"
    ID = "ID"


@strawberry.type(description="A product for sale.")
class Product(Node):
    slug: str
    title: str
    description: str
    price: Money
    image_url: str | None
    available_for_sale: bool
    quantity_available: int
    created_at: datetime
    updated_at: datetime
    pk: strawberry.Private[int]

    @classmethod
    def from_model(cls, model: ProductModel) -> "Product":
        return cls(
            id=strawberry.ID(to_global_id("Product", model.id)),
            pk=model.id,
            slug=model.slug,
            title=model.title,
            description=model.description,
            price=Money.of(model.price, model.currency),
            image_url=model.image_url,
            available_for_sale=model.stock > 0,
            quantity_available=model.stock,
            created_at=model.created_at,
            updated_at=model.updated_at,
        )


@strawberry.type
class ProductEdge:
    cursor: str
    node: Product


@strawberry.type(description="A page of products.")
class ProductConnection:
    edges: list[ProductEdge]
    page_info: PageInfo
    search: strawberry.Private[str | None]

    @strawberry.field
    def nodes(self) -> list[Product]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many products match, on every page together.")
    async def total_count(self) -> int:
        return await catalog.count_products(self.search)


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
        if isinstance(pk, bool) or not isinstance(pk, int) or not 0 <= pk <= catalog.MAX_ID:
            raise ValueError("bad id")
        return catalog.parse_sort_value(sort, raw), pk
    except (TypeError, ValueError):
        raise bad_user_input(
            f"`{argument}` is not a cursor of this list (was it made with another sortKey?)."
        ) from None


def product_key(global_id: str, field: str) -> int:
    """The database id inside a Product id, for mutation inputs; NOT_FOUND otherwise."""
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != "Product" or not decoded[1].isdigit() or int(decoded[1]) > catalog.MAX_ID:
        raise DomainError(UserErrorCode.NOT_FOUND, "No product with this id.", [field])
    return int(decoded[1])


async def _product_node(info: Info, key: str) -> Product | None:
    if not key.isdigit() or int(key) > catalog.MAX_ID:
        return None
    model = await info.context.loaders.product_by_id.load(int(key))
    return None if model is None else Product.from_model(model)


register_node("Product", _product_node)


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="Products, searched, sorted and paged (at most 100 a page).")
    async def products(
        self,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        query: str | None = None,
        sort_key: ProductSortKey = ProductSortKey.ID,
        reverse: bool = False,
    ) -> ProductConnection:
        args = page_args(first, last)
        sort = ProductSort[sort_key.name]
        page = await catalog.list_products(
            search=query,
            sort=sort,
            reverse=reverse,
            first=args.first,
            after=_keyset(after, sort, "after"),
            last=args.last,
            before=_keyset(before, sort, "before"),
        )
        edges = [ProductEdge(cursor=_cursor(m, sort), node=Product.from_model(m)) for m in page.products]
        return ProductConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            search=query,
        )

    @strawberry.field(description="One product by its id or its slug; null when there is none.")
    async def product(
        self, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> Product | None:
        if (id is None) == (slug is None):
            raise bad_user_input("Give exactly one of `id` and `slug`.")
        if id is not None:
            key = expect_global_id(id, "Product")
            return await _product_node(info, key)
        model = await catalog.product_by_slug(slug)
        return None if model is None else Product.from_model(model)
