"""The change feed: every order event once, in commit order, for keys with orders:read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from commerce.access import Caller, Scope, can_read_order, require_scope
from commerce.outbound.outbox import events_after
from models import Order, OrderEvent, OrderFinancialStatus, OrderFulfillmentStatus, OrderStatus

__all__ = ["EventPage", "order_event_feed", "order_events_since", "latest_order_event", "order_as_it_was"]


@dataclass(frozen=True)
class EventPage:
    events: list[OrderEvent]
    has_next_page: bool


async def order_event_feed(caller: Caller, *, first: int, after: int = 0) -> EventPage:
    """Events numbered above `after`, oldest first. Polling from the last number seen
    meets every change once: numbers follow commit order (`commerce.outbound.outbox`)."""
    require_scope(caller, Scope.ORDERS_READ)
    rows = await events_after(after, first + 1)
    return EventPage(rows[:first], has_next_page=len(rows) > first)


async def order_events_since(caller: Caller, order: Order, after: int, limit: int = 100) -> list[OrderEvent]:
    """One order's events numbered above `after`, for a caller who may read the order."""
    if not can_read_order(caller, order):
        return []
    return await events_after(after, limit, order_id=order.id)


async def latest_order_event(order_id: str) -> int:
    """The number of the order's newest event (0: none)."""
    newest = await OrderEvent.filter(order_id=order_id).order_by("-sequence").first()
    return newest.sequence if newest else 0


def order_as_it_was(event: OrderEvent) -> Order:
    """The order as the event's change left it (not saved; lines are read as they are)."""
    row = json.loads(event.snapshot)
    return Order(
        id=row["id"], number=row["number"], status=OrderStatus(row["status"]),
        financial_status=OrderFinancialStatus(row["financial_status"]),
        fulfillment_status=OrderFulfillmentStatus(row["fulfillment_status"]),
        cancel_reason=row["cancel_reason"], email=row["email"],
        currency=row["currency"], subtotal=row["subtotal"], total=row["total"],
        created_at=datetime.fromisoformat(row["created_at"]), updated_at=datetime.fromisoformat(row["updated_at"]),
    )
