"""Fulfilment: staff mark paid orders as shipped (API keys with orders:write)."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from commerce.outbound import events
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.orders.state import TRANSITIONS
from models import Order, OrderStatus

__all__ = ["mark_fulfilled"]


async def mark_fulfilled(order_id: str) -> Order:
    async with in_transaction():
        order = await Order.filter(id=order_id).select_for_update().first()
        if order is None:
            raise DomainError(Code.NOT_FOUND, "No order with this id.", ["orderId"])
        if order.status is OrderStatus.FULFILLED:
            return order
        if OrderStatus.FULFILLED not in TRANSITIONS[order.status]:
            raise DomainError(Code.INVALID, f"A {order.status.name} order cannot be fulfilled.", ["orderId"])
        order.status = OrderStatus.FULFILLED
        await order.save(update_fields=["status", "updated_at"])
    await events.order_changed(order.id)
    return order
