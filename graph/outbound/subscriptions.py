"""`orderStatusChanged`: each change of an order, pushed over graphql-transport-ws.

What is pushed comes from the outbox, so nothing is missed: with `after` the
subscription first replays the order's events after that cursor; then each
notice (or a bus's RESYNC after its connection dropped) makes it read the
events after the last one it pushed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from commerce.errors import DomainError
from commerce.orders import queries as order_queries
from commerce.outbound import feed, notices
from graph.core.access import caller
from graph.core.context import Info
from graph.core.errors import bad_user_input
from graph.core.event_cursors import event_sequence
from graph.core.ids import secret_key
from graph.orders.types import Order

__all__ = ["OrderSubscription"]

_BATCH = 100


@strawberry.type
class OrderSubscription:
    @strawberry.subscription(
        description="The order after each of its changes (the same access rules as `order(id)`). With `after` "
        "(an `eventCursor`), the changes since that one come first, so a client that reconnects misses "
        "nothing. Send the token as `Authorization` in the connection_init payload."
    )
    async def order_status_changed(self, info: Info, order_id: strawberry.ID,
                                   after: str | None = None) -> AsyncGenerator[Order, None]:
        who = await caller(info)
        key = secret_key(order_id, "Order")
        order = await order_queries.read_order(who, key) if key else None
        if order is None:
            raise bad_user_input(DomainError.not_found("order", "orderId").message)
        since = event_sequence(after)
        async with info.context.bus.subscribe(notices.ORDERS) as heard:
            if after is None:  # only what happens from now on
                since = await feed.latest_order_event(key)
            while True:
                batch = await feed.order_events_since(who, order, since, limit=_BATCH)
                for event in batch:
                    since = event.sequence
                    yield Order.from_model(feed.order_as_it_was(event), event_sequence=event.sequence)
                if len(batch) == _BATCH:
                    continue  # more to replay
                while await heard.get() not in (key, notices.RESYNC):
                    pass
