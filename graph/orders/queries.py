"""`order(id)` and the partners' `orders` feed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from commerce.orders import queries as order_queries
from graph.core.access import caller
from graph.core.context import Info
from graph.core.pagination import page_args
from graph.core.ids import secret_key
from graph.orders.types import Order, OrderConnection, OrderStatus, connection, order_node, time_keyset
from models import OrderStatus as _OrderStatus

__all__ = ["OrderQuery"]


def _page_size(first: int) -> int:
    return page_args(first, None).first or 0


@strawberry.type
class OrderQuery:
    @strawberry.field(description="An order by its id; null when there is none or it is not yours.")
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        key = secret_key(id, "Order")
        return None if key is None else await order_node(info, key)

    @strawberry.field(
        description="Every order, oldest change first (API keys with orders:read). Poll with "
        "`updatedSince` or keep paging from the last cursor: each change shows up once."
    )
    async def orders(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        status: list[OrderStatus] | None = None,
        updated_since: datetime | None = None,
        needs_attention: Annotated[bool | None, strawberry.argument(
            description="Only the orders that need attention (true), or only the others (false).")] = None,
    ) -> OrderConnection:
        page = await order_queries.order_feed(
            await caller(info),
            first=_page_size(first),
            after=time_keyset(after),
            statuses=[_OrderStatus[s.name] for s in status] if status else None,
            updated_since=updated_since,
            needs_attention=needs_attention,
        )
        return connection(page, lambda m: [m.updated_at.isoformat(), m.id], has_previous_page=after is not None)
