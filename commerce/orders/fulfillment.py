"""Fulfillment: staff ship paid (or authorised) orders, in one or more shipments.

A fulfillment names order lines and quantities (none: all that is left) and
optional tracking. Under the order lock, each line's shipped total stays within
what was ordered, so concurrent calls cannot ship a unit twice. Fulfillments
change only `fulfillmentStatus` (`lifecycle.FULFILLMENT_MOVES`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from commerce.errors import DomainError, UserErrorCode as Code
from commerce.orders.lifecycle import FULFILLABLE, lock_order, save_order
from commerce.outbound import notices
from commerce.outbound.outbox import record_order_event
from models import Fulfillment, FulfillmentLine, Order, OrderEventType, OrderFulfillmentStatus, OrderLine

__all__ = ["Tracking", "create_fulfillment", "mark_fulfilled"]

U = OrderFulfillmentStatus


@dataclass(frozen=True)
class Tracking:
    company: str | None = None
    number: str | None = None
    url: str | None = None


def _check_tracking(tracking: Tracking) -> None:
    for name, value, most in (("company", tracking.company, 100), ("number", tracking.number, 100),
                              ("url", tracking.url, 500)):
        if value is not None and len(value) > most:
            raise DomainError(Code.INVALID, f"At most {most} characters.", ["tracking", name])
    if tracking.url is not None and not tracking.url.startswith(("https://", "http://")):
        raise DomainError(Code.INVALID, "A tracking URL starts with https://.", ["tracking", "url"])


async def _left_to_ship(order: Order) -> dict[int, int]:
    """Order line id → units not shipped yet."""
    left = dict(await OrderLine.filter(order_id=order.id).values_list("id", "quantity"))
    shipped = await FulfillmentLine.filter(fulfillment__order_id=order.id).values_list("order_line_id", "quantity")
    for line_id, quantity in shipped:
        left[line_id] -= quantity
    return left


def _wanted(left: dict[int, int], lines: list[tuple[int, int]] | None) -> dict[int, int]:
    if lines is None:
        wanted = {line_id: q for line_id, q in left.items() if q > 0}
        if not wanted:
            raise DomainError(Code.INVALID, "Everything on this order has been fulfilled.", ["orderId"])
        return wanted
    wanted: dict[int, int] = defaultdict(int)
    for index, (line_id, quantity) in enumerate(lines):
        if line_id not in left:
            raise DomainError(Code.NOT_FOUND, "No such line on this order.", ["lines", str(index), "orderLineId"])
        if quantity <= 0:
            raise DomainError(Code.INVALID, "The quantity must be at least 1.", ["lines", str(index), "quantity"])
        wanted[line_id] += quantity
        if wanted[line_id] > left[line_id]:
            raise DomainError(Code.INVALID, f"Only {left[line_id]} of this line are left to fulfil.",
                              ["lines", str(index), "quantity"])
    if not wanted:
        raise DomainError(Code.INVALID, "Name at least one line.", ["lines"])
    return dict(wanted)


async def create_fulfillment(order_id: str, lines: list[tuple[int, int]] | None = None,
                             tracking: Tracking = Tracking(), notify_customer: bool = True) -> tuple[Order, Fulfillment]:
    """Ships `lines` ((order line id, quantity); None: all that is left) of a paid or authorised order."""
    _check_tracking(tracking)
    async with in_transaction():
        order = await lock_order(order_id)
        if order is None:
            raise DomainError.not_found("order", "orderId")
        if order.financial_status not in FULFILLABLE or order.status.name in ("DISPUTED", "CANCELLED"):
            raise DomainError(Code.ORDER_NOT_PAID, f"A {order.status.name} order cannot be fulfilled.", ["orderId"])
        left = await _left_to_ship(order)
        wanted = _wanted(left, lines)
        fulfillment = await Fulfillment.create(order_id=order.id, tracking_company=tracking.company,
                                               tracking_number=tracking.number, tracking_url=tracking.url,
                                               notify_customer=notify_customer)
        await FulfillmentLine.bulk_create([FulfillmentLine(fulfillment_id=fulfillment.id, order_line_id=line_id,
                                                           quantity=q) for line_id, q in sorted(wanted.items())])
        everything = all(left[line_id] - wanted.get(line_id, 0) == 0 for line_id in left)
        was = (order.financial_status, order.fulfillment_status, order.status)
        order.fulfillment_status = U.FULFILLED if everything else U.PARTIALLY_FULFILLED
        await save_order(order, was=was)
        await record_order_event(order, OrderEventType.ORDER_FULFILLED)
    await notices.order_changed(order.id)
    return order, fulfillment


async def mark_fulfilled(order_id: str) -> Order:
    """Deprecated `orderMarkFulfilled`: fulfil everything left; an order fulfilled already stays as it is."""
    order = await Order.get_or_none(id=order_id)
    if order is not None and order.fulfillment_status is U.FULFILLED:
        return order
    try:
        order, _ = await create_fulfillment(order_id)
    except DomainError as error:
        if error.code is Code.ORDER_NOT_PAID:  # what this mutation always answered
            raise DomainError(Code.INVALID, error.message, error.field) from None
        raise
    return order
