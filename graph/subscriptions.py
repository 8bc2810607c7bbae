"""`orderStatusChanged`: an order's new status, pushed over graphql-transport-ws."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from commerce.outbound import events
from commerce.orders import queries as order_queries
from graph.access import caller
from graph.context import Info
from graph.errors import bad_user_input
from graph.orders import Order, order_key

__all__ = ["OrderSubscription"]


@strawberry.type
class OrderSubscription:
    @strawberry.subscription(
        description="The order each time its status changes (the same access rules as `order(id)`). "
        "Send the token as `Authorization` in the connection_init payload."
    )
    async def order_status_changed(self, info: Info, order_id: strawberry.ID) -> AsyncGenerator[Order, None]:
        who = await caller(info)
        key = order_key(order_id)
        order = await order_queries.read_order(who, key) if key else None
        if order is None:
            raise bad_user_input("No order with this id.")
        last = order.status
        async with info.context.bus.subscribe(events.ORDERS) as notices:
            while True:
                if await notices.get() != key:
                    continue
                order = await order_queries.read_order(who, key)
                if order is not None and order.status is not last:
                    last = order.status
                    yield Order.from_model(order)
