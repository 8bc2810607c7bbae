"""Collections to browse: `Collection`, `collections`, `collection(id | slug)`.

A collection's title and description are in the operation's language (`@inContext`), falling back
to the shop's text; the collections a response shows load their translations in one batch."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from graph.core.context import Info
from graph.core.errors import bad_user_input
from graph.core.node import Node, register_node
from graph.core.pagination import CountedConnection, Edge, page_args
from graph.core.ids import cursor_int, decode_cursor, encode_cursor, int_key_of, to_global_id
from graph.catalog.types import Image, in_language
from models import Collection as CollectionModel

if TYPE_CHECKING:
    from graph.catalog.queries import ProductConnection, ProductFilter, ProductSortKey

__all__ = ["Collection", "CollectionConnection", "collection_page"]


@strawberry.type(description="A set of products to browse, such as a category.")
class Collection(Node):
    slug: str
    shop_title: strawberry.Private[str]
    shop_description: strawberry.Private[str]
    image_url: strawberry.Private[str | None]
    created_at: datetime
    updated_at: datetime
    pk: strawberry.Private[int]

    @strawberry.field
    def title(self, info: Info) -> str:
        return in_language(info, "collection", self.pk, lambda text: text.get("title", self.shop_title))

    @strawberry.field
    def description(self, info: Info) -> str:
        return in_language(info, "collection", self.pk, lambda text: text.get("description", self.shop_description))

    @strawberry.field
    def image(self) -> Image | None:
        return None if not self.image_url else Image(url=self.image_url, alt_text=self.shop_title, width=480,
                                                     height=360)

    @strawberry.field(description="The collection's products, with the paging, sorting and filters of `products`.")
    async def products(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        query: str | None = None,
        sort_key: Annotated["ProductSortKey", strawberry.lazy("graph.catalog.queries")] | None = None,
        reverse: bool = False,
        filters: Annotated["ProductFilter", strawberry.lazy("graph.catalog.queries")] | None = None,
    ) -> Annotated["ProductConnection", strawberry.lazy("graph.catalog.queries")]:
        from graph.catalog.queries import product_connection

        return await product_connection(info, first=first, after=after, last=last, before=before, query=query,
                                        sort_key=sort_key, reverse=reverse, filters=filters, collection_id=self.pk)

    @classmethod
    def from_model(cls, model: CollectionModel) -> "Collection":
        return cls(
            id=strawberry.ID(to_global_id("Collection", model.id)), pk=model.id, slug=model.slug,
            shop_title=model.title, shop_description=model.description, image_url=model.image_url,
            created_at=model.created_at, updated_at=model.updated_at,
        )


@strawberry.type
class CollectionConnection(CountedConnection[Collection]):
    pass


def collection_page(collections: list[CollectionModel], first: int | None, after: str | None) -> CollectionConnection:
    """A page of an in-memory list of collections (ordered by id)."""
    args = page_args(first, None)
    ordered = sorted(collections, key=lambda c: c.id)
    start = 0
    if after is not None:
        values = decode_cursor(after, "after")
        after_id = cursor_int(values[0]) if len(values) == 1 else None
        if after_id is None:
            raise bad_user_input("`after` is not a cursor of this list.")
        start = next((i for i, c in enumerate(ordered) if c.id > after_id), len(ordered))
    page = ordered[start:start + (args.first or 0)]
    edges = [Edge(cursor=encode_cursor([c.id]), node=Collection.from_model(c)) for c in page]
    return CollectionConnection.page(edges, has_next_page=start + len(page) < len(ordered), has_previous_page=start > 0,
                                     total_count=len(ordered))


async def _collection_node(info: Info, pk: int) -> Collection | None:
    model = await info.context.loaders.collection_by_id.load(pk)
    return None if model is None else Collection.from_model(model)


register_node("Collection", int_key_of, _collection_node)
