"""Applying Stripe's webhook events to orders (invariant I5).

Stripe delivers events late, twice and out of order. Each event is applied in
one transaction with its order row locked, and its id is recorded in that same
transaction, so a repeated delivery changes nothing and an event that failed
half-way is applied again when Stripe retries it. An event for a PaymentIntent
no order names is logged and acknowledged.

Each event type changes only its own part of the order (`commerce.orders.lifecycle`):

| Stripe event                                   | may change                                              |
|------------------------------------------------|---------------------------------------------------------|
| `payment_intent.succeeded`                     | an order waiting for payment (or failed, cancelled, or  |
| `payment_intent.amount_capturable_updated`     | authorised) becomes PAID (PARTIALLY_PAID: `amount_      |
|                                                | received` below the total) / AUTHORIZED; stock is taken |
|                                                | again, or it stays CANCELLED and the money goes back    |
| `payment_intent.requires_action`               | PENDING → ACTION_REQUIRED                               |
| `payment_intent.payment_failed`                | a waiting order → FAILED, stock released                |
| `payment_intent.canceled`                      | a waiting or authorised order → VOIDED, stock released  |
| `refund.created/updated/failed`,               | one refund, by its Stripe id (PENDING → SUCCEEDED →     |
| `charge.refund.updated`                        | FAILED); the refunded amount and PAID ↔                 |
|                                                | PARTIALLY_REFUNDED ↔ REFUNDED, only once money was taken|
| `charge.refunded`                              | the refunds it lists, by id; beyond them, records as an |
|                                                | amount refunds made at Stripe we did not know of; their |
|                                                | refund objects claim it later (one whose amount Stripe's|
|                                                | running total, read then, holds beside it is new)       |
| `charge.dispute.created/updated/closed`        | the dispute only                                        |

No payment event touches an order whose money was taken; no refund event
touches one whose money was not; none of them touches fulfillment.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import Enum

from tortoise.transactions import in_transaction

from commerce.outbound import notices
from commerce.outbound.outbox import payment_event_type, record_order_event
from commerce.orders.disputes import apply_dispute_locked
from commerce.orders.lifecycle import lock_order
from commerce.orders.payment_outcomes import apply_payment_result_locked, settle_late_payments
from commerce.orders.refund_records import refund_status
from commerce.orders.stripe_refunds import (claims_an_amount, has_failed_at_stripe, note_stripe_total_locked,
                                            record_listed_refunds_locked, record_stripe_refund_locked)
from models import Order, OrderEventType, OrderStatus, Payment, StripeEvent
from payments.gateway import PaymentError, PaymentGateway
from payments.stripe_events import PaymentEvent

__all__ = ["EventOutcome", "apply_payment_event", "HANDLED_EVENT_TYPES"]

log = logging.getLogger("shopgraph.webhooks")


class EventOutcome(Enum):
    APPLIED = "applied"  # the order changed
    UNCHANGED = "unchanged"  # recorded; the order was already there or past it
    DUPLICATE = "duplicate"  # this event id was applied before
    UNKNOWN_PAYMENT = "unknown_payment"  # no order has this PaymentIntent
    IGNORED = "ignored"  # not an event type shopgraph acts on


async def _payment_intent(order: Order, payment: Payment, event: PaymentEvent) -> int:
    return event.payment is not None and await apply_payment_result_locked(order, event.payment)


async def _charge_refunded(order: Order, payment: Payment, event: PaymentEvent,
                           stripe_refunded: int | None = None) -> int:
    """`charge.refunded`: the refunds the charge lists, each by its id, then its running total
    for those it does not list: the event's snapshot, or the total read from Stripe just now
    (`stripe_refunded`) when the snapshot is ambiguous. (After a partial capture the released
    rest can be listed as a refund: then only the total, which accounts for it, is read.)"""
    changes = 0
    if payment.amount_captured == payment.amount:
        changes += await record_listed_refunds_locked(order, payment, event.refunds)
        payment = await Payment.get(id=payment.id)
    if stripe_refunded is not None:
        changes += await note_stripe_total_locked(order, payment, stripe_refunded, current=True)
    elif event.amount_refunded is not None:
        changes += await note_stripe_total_locked(order, payment, event.amount_refunded, current=False)
    return changes


async def _refund(order: Order, payment: Payment, event: PaymentEvent, stripe_refunded: int | None = None) -> int:
    """`refund.*` / `charge.refund.updated`: one refund, ours or one made at Stripe, by its id."""
    if event.object_id is None:
        return False
    return await record_stripe_refund_locked(order, payment, event.object_id, event.amount,
                                             refund_status(event.status), stripe_refunded)


async def _dispute(order: Order, payment: Payment, event: PaymentEvent) -> int:
    """`charge.dispute.*`: the dispute only (`commerce.orders.disputes`)."""
    if event.object_id is None or not event.status:
        return False
    return await apply_dispute_locked(order, event.object_id, event.status, event.amount, event.reason)


async def _running_total_if_ambiguous(event: PaymentEvent, payment: Payment,
                                     gateway: PaymentGateway | None) -> int | None:
    """Two refund events cannot be read alone. A refund object we do not know, on an order
    holding refunded amounts no id names yet, may be the refund one of them stands for or one
    made since: its amount cannot tell. A `charge.refunded` snapshot on an order one of whose
    refunds failed may or may not count it. The charge's running total as Stripe holds it now
    tells both: read before the transaction (a network call). Unanswered, the event is read
    alone, never counting more than Stripe holds, and the reconciler's next look at the running
    total records what is missing."""
    if gateway is None or payment.intent_id is None:
        return None
    if event.type == "charge.refunded":
        if not await has_failed_at_stripe(payment.order_id):
            return None
    elif event.object_id is None or not await claims_an_amount(payment.order_id, event.object_id):
        return None
    try:
        return (await gateway.retrieve_payment_intent(payment.intent_id)).amount_refunded
    except PaymentError as error:
        log.warning("Stripe event %s: the running total of PaymentIntent %s could not be read (%s)",
                    event.event_id, payment.intent_id, error)
        return None


# A handler answers how many changes it made to the order (True: one); each is one outbox event.
_Handler = Callable[[Order, Payment, PaymentEvent], Awaitable[int]]
_HANDLERS: dict[str, _Handler] = {
    "payment_intent.succeeded": _payment_intent,
    "payment_intent.payment_failed": _payment_intent,
    "payment_intent.canceled": _payment_intent,
    "payment_intent.requires_action": _payment_intent,
    "payment_intent.amount_capturable_updated": _payment_intent,
    "charge.refunded": _charge_refunded,
    "charge.refund.updated": _refund,
    "refund.created": _refund,
    "refund.updated": _refund,
    "refund.failed": _refund,
    "charge.dispute.created": _dispute,
    "charge.dispute.updated": _dispute,
    "charge.dispute.closed": _dispute,
}
HANDLED_EVENT_TYPES = tuple(_HANDLERS)


def _order_event_type(stripe_type: str, order: Order) -> OrderEventType:
    """The outbox event of an order a Stripe event changed."""
    if stripe_type.startswith("payment_intent."):
        return payment_event_type(order)
    if stripe_type.startswith("charge.dispute."):
        return (OrderEventType.ORDER_DISPUTE_OPENED if order.status is OrderStatus.DISPUTED
                else OrderEventType.ORDER_DISPUTE_CLOSED)
    return OrderEventType.ORDER_REFUNDED


async def apply_payment_event(event: PaymentEvent, gateway: PaymentGateway | None = None) -> EventOutcome:
    """Applies one verified event to the order its PaymentIntent belongs to, once."""
    handler = _HANDLERS.get(event.type)
    if handler is None:
        return EventOutcome.IGNORED
    payment = await Payment.get_or_none(intent_id=event.intent_id) if event.intent_id else None
    if payment is None:
        log.warning("Stripe event %s (%s) names PaymentIntent %s, which no order has: acknowledged",
                    event.event_id, event.type, event.intent_id)
        return EventOutcome.UNKNOWN_PAYMENT
    stripe_refunded = (await _running_total_if_ambiguous(event, payment, gateway)
                       if handler in (_refund, _charge_refunded) else None)
    async with in_transaction():
        order = await lock_order(payment.order_id)
        if order is None:
            return EventOutcome.UNKNOWN_PAYMENT
        # Checked with the order locked, so two deliveries of one event apply it once.
        if await StripeEvent.exists(event_id=event.event_id):
            return EventOutcome.DUPLICATE
        payment = await Payment.get(id=payment.id)
        changed = await (handler(order, payment, event) if stripe_refunded is None
                         else handler(order, payment, event, stripe_refunded))
        await StripeEvent.create(event_id=event.event_id, type=event.type,
                                 object_id=event.object_id or event.intent_id)
        for _ in range(int(changed)):
            await record_order_event(order, _order_event_type(event.type, order))
    if changed:
        log.info("Stripe event %s (%s): order %s is now %s", event.event_id, event.type, order.number,
                 order.status.name)
        await notices.order_changed(order.id)
        if gateway is not None:
            await settle_late_payments(gateway, order.id)
    return EventOutcome.APPLIED if changed else EventOutcome.UNCHANGED
