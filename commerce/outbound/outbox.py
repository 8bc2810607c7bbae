"""The transactional outbox: every change of an order appends an `OrderEvent`.

`record_order_event` is called inside the transaction that changes the order,
as its last write, so the event commits (or rolls back) with the change. It is
one SQL statement. Events are numbered in commit order:

- PostgreSQL: the statement increments the single `outbox_counter` row and
  inserts the event with the new value. The row stays locked until the
  transaction commits, so a second numbering transaction waits for the first
  to commit and then gets the next number: numbers follow commit order, and a
  reader that has seen event n never later meets one below n. (A plain serial
  id does not: a transaction that took id 5 can commit after the one that took 6.)
- SQLite: one writer at a time, so the next number is the highest one plus one.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from tortoise.connection import get_connection

from models import Order, OrderEvent, OrderEventType, OrderFinancialStatus as F, OrderStatus, Payment

__all__ = ["record_order_event", "payment_event_type", "snapshot_of", "latest_sequence", "events_after"]

_POSTGRES = """
WITH counter AS (
    INSERT INTO outbox_counter (id, value) VALUES (1, 1)
    ON CONFLICT (id) DO UPDATE SET value = outbox_counter.value + 1
    RETURNING value
)
INSERT INTO order_event (sequence, order_id, type, snapshot, created_at)
SELECT counter.value, $1, $2, $3, $4 FROM counter
"""
_SQLITE = """
INSERT INTO order_event (sequence, order_id, type, snapshot, created_at)
SELECT COALESCE(MAX(sequence), 0) + 1, ?, ?, ?, ? FROM order_event
"""

_BY_FINANCIAL_STATUS = {
    F.PAID: OrderEventType.ORDER_PAID,
    F.PARTIALLY_PAID: OrderEventType.ORDER_PAID,
    F.AUTHORIZED: OrderEventType.ORDER_AUTHORIZED,
    F.ACTION_REQUIRED: OrderEventType.ORDER_ACTION_REQUIRED,
    F.FAILED: OrderEventType.ORDER_PAYMENT_FAILED,
    F.VOIDED: OrderEventType.ORDER_CANCELLED,
}


def payment_event_type(order: Order) -> OrderEventType:
    """The event a payment outcome made of `order` (paid, authorized, action required, failed, voided;
    cancelled, for a late payment whose stock was sold)."""
    if order.status is OrderStatus.CANCELLED:
        return OrderEventType.ORDER_CANCELLED
    return _BY_FINANCIAL_STATUS.get(order.financial_status, OrderEventType.ORDER_PAID)


def snapshot_of(order: Order, now: datetime, captured: int = 0, refunded: int = 0) -> dict[str, Any]:
    """The order row as the change left it (lines never change after checkout), with what its
    payment captured and what was refunded of it."""
    return {
        "amount_captured": captured, "amount_refunded": refunded,
        "id": order.id, "number": order.number, "status": order.status.value,
        "financial_status": order.financial_status.value, "fulfillment_status": order.fulfillment_status.value,
        "cancel_reason": order.cancel_reason, "email": order.email,
        "currency": order.currency, "subtotal": order.subtotal, "total": order.total,
        "created_at": order.created_at.isoformat() if order.created_at else now.isoformat(),
        "updated_at": (order.updated_at or now).isoformat(),
    }


async def record_order_event(order: Order, type: OrderEventType, *, payment: Payment | None = None,
                             new_order: bool = False) -> None:
    """Appends the event of `order`'s change; call inside that change's transaction, last.

    The snapshot's money comes from `payment` (the order's, as the change left it), is
    nothing for a `new_order` (no payment yet), and is read otherwise.
    """
    connection = get_connection("default")
    now = datetime.now(timezone.utc)
    if payment is not None:
        captured, refunded = payment.amount_captured, payment.amount_refunded
    elif new_order:
        captured, refunded = 0, 0
    else:
        money = await Payment.filter(order_id=order.id).values_list("amount_captured", "amount_refunded")
        captured, refunded = money[0] if money else (0, 0)
    values = [order.id, type.value, json.dumps(snapshot_of(order, now, captured, refunded)), now]
    dialect = connection.capabilities.dialect
    await connection.execute_query(_POSTGRES if dialect == "postgres" else _SQLITE, values)


async def latest_sequence() -> int:
    """The number of the newest event (0 when there is none)."""
    newest = await OrderEvent.all().order_by("-sequence").first().values_list("sequence", flat=True)
    return int(newest or 0)


async def events_after(sequence: int, limit: int, order_id: str | None = None) -> list[OrderEvent]:
    """Events numbered above `sequence`, oldest first (of one order, or of every order)."""
    query = OrderEvent.filter(sequence__gt=sequence)
    if order_id is not None:
        query = query.filter(order_id=order_id)
    return await query.order_by("sequence").limit(limit)
