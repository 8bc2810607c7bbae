"""Reading orders: one by id, a customer's own, and the partner feed by update time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from commerce.access import Caller, Scope, can_read_order, require_customer, require_scope
from models import Order, OrderStatus

__all__ = ["OrderPage", "read_order", "customer_orders", "order_feed"]

FeedKey = tuple[datetime, str]  # (updated_at, order id)


@dataclass(frozen=True)
class OrderPage:
    orders: list[Order]
    has_next_page: bool


def _beyond(field: str, key: FeedKey, op: str) -> Q:
    """Orders past `key` = (time, id) in `field` order; `op` is "gt" (oldest first) or "lt"."""
    moment, pk = key
    return Q(**{f"{field}__{op}": moment}) | Q(Q(**{field: moment}), Q(**{f"id__{op}": pk}), join_type="AND")


async def read_order(caller: Caller, order_id: str) -> Order | None:
    """The order, or None when there is none or the caller may not see it.

    An API key must hold orders:read (FORBIDDEN otherwise)."""
    if caller.api_key_id is not None:
        require_scope(caller, Scope.ORDERS_READ)
    order = await Order.get_or_none(id=order_id)
    return order if order is not None and can_read_order(caller, order) else None


async def customer_orders(caller: Caller, first: int, after: tuple[datetime, str] | None) -> OrderPage:
    """The signed-in customer's own orders, newest first."""
    customer_id = require_customer(caller)
    query = Order.filter(customer_id=customer_id)
    if after is not None:
        query = query.filter(_beyond("created_at", after, "lt"))
    rows = await query.order_by("-created_at", "-id").limit(first + 1)
    return OrderPage(rows[:first], has_next_page=len(rows) > first)


async def order_feed(
    caller: Caller,
    *,
    first: int,
    after: FeedKey | None = None,
    statuses: list[OrderStatus] | None = None,
    updated_since: datetime | None = None,
    needs_attention: bool | None = None,
) -> OrderPage:
    """Every order in update order (oldest change first), for keys with orders:read.

    An order that changes moves to the end of the feed, so a partner that pages
    on from its last cursor (or polls `updated_since` its last sync) sees each
    change once. `needs_attention` keeps only the orders the reconciler marked (or
    only the others).
    """
    require_scope(caller, Scope.ORDERS_READ)
    query = Order.all()
    if statuses:
        query = query.filter(status__in=statuses)
    if updated_since is not None:
        query = query.filter(updated_at__gt=updated_since)
    if needs_attention is not None:
        query = query.filter(attention_reason__isnull=not needs_attention)
    if after is not None:
        query = query.filter(_beyond("updated_at", after, "gt"))
    rows = await query.order_by("updated_at", "id").limit(first + 1)
    return OrderPage(rows[:first], has_next_page=len(rows) > first)
