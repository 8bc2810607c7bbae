"""The change feed `orderEvents`: every order change once, in commit order."""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum

import strawberry

from commerce.outbound import feed
from graph.core.access import caller
from graph.core.context import Info
from graph.core.event_cursors import event_cursor, event_sequence
from graph.orders.types import Order, OrderStatus
from graph.core.pagination import Connection, Edge, page_args
from graph.core.ids import to_global_id
from models import OrderEvent as OrderEventModel, OrderEventType as _OrderEventType, OrderStatus as _OrderStatus

__all__ = ["OrderEvent", "OrderEventType", "OrderEventConnection", "OrderEventQuery"]

OrderEventType = strawberry.enum(
    Enum("OrderEventType", {t.name: t.name for t in _OrderEventType}),
    description="What changed on an order. ORDER_REFUNDED is any refund, partial or full; "
    "ORDER_FULFILLED is a fulfillment made.",
)


@strawberry.type(description="One change of an order, numbered in commit order.")
class OrderEvent:
    id: strawberry.ID
    cursor: str = strawberry.field(description="Poll `orderEvents(after:)` from here.")
    type: OrderEventType
    status: OrderStatus = strawberry.field(description="The order's status right after this change.")
    created_at: datetime
    order_pk: strawberry.Private[str]

    @classmethod
    def from_model(cls, model: OrderEventModel) -> "OrderEvent":
        return cls(
            id=strawberry.ID(to_global_id("OrderEvent", model.sequence)),
            cursor=event_cursor(model.sequence),
            type=OrderEventType[model.type.name],
            status=OrderStatus[_OrderStatus(json.loads(model.snapshot)["status"]).name],
            created_at=model.created_at,
            order_pk=model.order_id,
        )

    @strawberry.field(description="The order as it is now.")
    async def order(self, info: Info) -> Order | None:
        model = await info.context.loaders.order_by_id.load(self.order_pk)
        return None if model is None else Order.from_model(model)


@strawberry.type(description="A page of order events, oldest first.")
class OrderEventConnection(Connection[OrderEvent]):
    pass


@strawberry.type
class OrderEventQuery:
    @strawberry.field(
        description="Every change of every order, in commit order (API keys with orders:read). Keep the "
        "last `endCursor` and poll from it: each change shows up exactly once, none is skipped."
    )
    async def order_events(self, info: Info, first: int = 50, after: str | None = None) -> OrderEventConnection:
        size = page_args(first, None).first or 0
        page = await feed.order_event_feed(await caller(info), first=size, after=event_sequence(after))
        edges = [Edge(cursor=event_cursor(e.sequence), node=OrderEvent.from_model(e)) for e in page.events]
        return OrderEventConnection.page(edges, has_next_page=page.has_next_page, has_previous_page=after is not None)
