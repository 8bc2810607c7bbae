"""Refunds: money goes back to the card at Stripe first, and the order follows.

1. One transaction, the order row locked: replay a known idempotency key;
   refuse an order that is not paid; check the amount against what is left
   (the payment minus what Stripe refunded minus refunds still in flight);
   record the refund PENDING under its key.
2. Ask Stripe for the refund (outside any transaction; Stripe's idempotency
   key is made from our refund's id). Only the request that recorded the refund
   asks, so concurrent retries and concurrent refunds never send two.
3. Apply Stripe's answer under the order lock: the refund SUCCEEDED or FAILED,
   the payment's refunded amount raised, the order PARTIALLY_REFUNDED or REFUNDED.

The refunded amount is always the sum of the refunds that succeeded
(`refund_records.refresh_refunds_locked`), so a refund that fails later (`refund.failed`)
gives its amount back to what is refundable and the status follows; each change
of it is one ORDER_REFUNDED.

Refunds made at Stripe, and what Stripe's running total says, are
`commerce.orders.stripe_refunds`. A refund
row moves only along `lifecycle.REFUND_MOVES`: a late `refund.updated` cannot revive a
failed refund. Refunds only touch orders whose money was taken
(`lifecycle.REFUND_STATES`).

localstripe accepts over-refunds and ignores idempotency keys (DESIGN §5), so
"never more than is left" and "once per key" are our own records' doing. A
refund whose answer was lost stays PENDING (it still counts against what is
left) until the reconciler settles it from Stripe's running total
(`stripe_refunds.settle_unanswered_refunds`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from commerce.outbound import notices
from commerce.outbound.outbox import record_order_event
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.idempotency import check_client_key, key_reused, refund_key, refund_record_key
from commerce.money import amount_field, to_decimal
from commerce.orders.refund_records import record_refund_locked, refund_status
from commerce.orders.stripe_refunds import note_stripe_total
from commerce.orders.lifecycle import PAYMENT_REFUNDABLE, REFUNDABLE, lock_order
from models import Order, OrderEventType, OrderFinancialStatus, OrderStatus, Payment, Refund, RefundStatus
from payments.gateway import GatewayUnavailable, PaymentError, PaymentGateway, RefundResult

__all__ = ["RefundOutcome", "refund_order", "REPLAY_WAIT_SECONDS", "send_automatic_refunds"]

log = logging.getLogger("shopgraph.refunds")

REPLAY_WAIT_SECONDS = 10.0
_KEY_FIELD = ("idempotencyKey",)
F = OrderFinancialStatus
R = RefundStatus
_UNKNOWN = ("Stripe did not answer, so the refund's outcome is not known yet. It will be checked; "
            "retry with the same idempotencyKey to see it.")


@dataclass(frozen=True)
class RefundOutcome:
    """The order as it stands, the refund asked for, and why it did not go through."""

    order: Order
    refund: Refund
    error: DomainError | None = None


@dataclass(frozen=True)
class _Replay:
    refund: Refund


def _minor_units(amount: Decimal | str | None, currency: str) -> int | None:
    return None if amount is None else amount_field(amount, currency, "amount")


def _not_refundable(order: Order) -> DomainError:
    if order.financial_status is F.REFUNDED:
        return DomainError(Code.INVALID, "This order has been refunded in full.", ["orderId"])
    if order.status is OrderStatus.DISPUTED:
        return DomainError(Code.INVALID, "This order's payment is disputed: the dispute decides.", ["orderId"])
    return DomainError(Code.ORDER_NOT_PAID, "Only a paid order can be refunded.", ["orderId"])


async def _in_flight(order_id: str) -> int:
    amounts = await Refund.filter(order_id=order_id, status=RefundStatus.PENDING).values_list("amount", flat=True)
    return sum(amounts)


async def _record_request(order_id: str, amount: Decimal | str | None, key: str | None) -> tuple[Refund, str] | _Replay:
    """Step 1, in one transaction."""
    async with in_transaction():
        order = await lock_order(order_id)
        if order is None:
            raise DomainError.not_found("order", "orderId")
        minor = _minor_units(amount, order.currency)
        if key is not None:
            known = await Refund.get_or_none(idempotency_key=key)
            if known is not None:
                if known.order_id != order.id or (minor is not None and minor != known.amount):
                    raise key_reused("refund", _KEY_FIELD)
                return _Replay(known)
        payment = await Payment.get_or_none(order_id=order.id)
        refundable = order.financial_status in REFUNDABLE and order.status is not OrderStatus.DISPUTED
        if not refundable or payment is None or payment.status not in PAYMENT_REFUNDABLE:
            raise _not_refundable(order)
        left = payment.amount_captured - payment.amount_refunded - await _in_flight(order.id)
        if minor is None:
            minor = left
            if minor <= 0:
                raise DomainError(Code.INVALID, "Nothing is left to refund on this order.", ["amount"])
        if minor <= 0:
            raise DomainError(Code.INVALID, "The amount must be more than zero.", ["amount"])
        if minor > left:
            raise DomainError(
                Code.INVALID,
                f"At most {to_decimal(max(left, 0), order.currency)} {order.currency} is left to refund.", ["amount"],
            )
        refund = await Refund.create(
            order_id=order.id, amount=minor, currency=order.currency,
            idempotency_key=key or refund_record_key(),
        )
    return refund, payment.intent_id


async def _apply_answer(refund_id: int, answer: RefundResult | None) -> tuple[Order, Refund]:
    """Step 3: Stripe's answer (None: it refused) on the refund and the order."""
    async with in_transaction():
        refund = await Refund.get(id=refund_id)
        order = await lock_order(refund.order_id)
        refund = await Refund.get(id=refund_id)  # as it stands now that the order is locked
        if answer is None:
            refund.status = RefundStatus.FAILED if refund.status is RefundStatus.PENDING else refund.status
            await refund.save(update_fields=["status", "updated_at"])
            changed = False
        else:
            changed = await record_refund_locked(order, refund, answer.refund_id, refund_status(answer.status))
        if changed:
            await record_order_event(order, OrderEventType.ORDER_REFUNDED)
    if changed:
        log.info("order %s is now %s", order.number, order.status.name)
        await notices.order_changed(order.id)
    return order, refund


async def _running_total(gateway: PaymentGateway, order: Order, intent_id: str) -> Order:
    """Stripe's own running total, which also counts refunds made at Stripe (best effort)."""
    try:
        result = await gateway.retrieve_payment_intent(intent_id)
    except PaymentError:
        return order
    return await note_stripe_total(order.id, result.amount_refunded)


async def _replayed(refund: Refund) -> RefundOutcome:
    """A refund asked for before with this key: its result once the request that asked has its answer."""
    deadline = asyncio.get_running_loop().time() + REPLAY_WAIT_SECONDS
    while (refund.status is RefundStatus.PENDING and refund.stripe_refund_id is None
           and asyncio.get_running_loop().time() < deadline):
        await asyncio.sleep(0.05)
        refund = await Refund.get(id=refund.id)
    return _outcome(await Order.get(id=refund.order_id), refund)


def _outcome(order: Order, refund: Refund) -> RefundOutcome:
    if refund.status is RefundStatus.FAILED:
        return RefundOutcome(order, refund, DomainError(Code.PAYMENT_FAILED, "Stripe refused the refund.", None))
    if refund.status is RefundStatus.PENDING and refund.stripe_refund_id is None:
        return RefundOutcome(order, refund, DomainError(Code.PAYMENT_FAILED, _UNKNOWN, None))
    return RefundOutcome(order, refund)


async def refund_order(
    gateway: PaymentGateway,
    order_id: str,
    *,
    amount: Decimal | str | None = None,
    idempotency_key: str | None = None,
) -> RefundOutcome:
    """Refunds `amount` (in the order's currency; None: all that is left) of a paid order.

    Raises DomainError when nothing was asked of Stripe. The same key always
    answers the same refund and never asks Stripe twice.
    """
    check_client_key(idempotency_key, _KEY_FIELD)
    try:
        recorded = await _record_request(order_id, amount, idempotency_key)
    except IntegrityError:  # the same key, at the same moment, for another order
        raise key_reused("refund", _KEY_FIELD) from None
    if isinstance(recorded, _Replay):
        return await _replayed(recorded.refund)
    refund, intent_id = recorded
    order, refund = await _send(gateway, refund, intent_id)
    if refund.status is RefundStatus.SUCCEEDED:
        order = await _running_total(gateway, order, intent_id)
    return _outcome(order, refund)


async def _send(gateway: PaymentGateway, refund: Refund, intent_id: str) -> tuple[Order, Refund]:
    """Step 2 and 3: ask Stripe for `refund` and apply its answer."""
    try:
        answer = await gateway.refund(intent_id, amount=refund.amount, idempotency_key=refund_key(refund.id))
    except GatewayUnavailable:
        log.warning("refund %s of order %s: Stripe did not answer; left for the reconciler", refund.id, refund.order_id)
        return await Order.get(id=refund.order_id), refund
    except PaymentError as error:
        log.error("refund %s of order %s refused by Stripe: %s", refund.id, refund.order_id, error)
        return await _apply_answer(refund.id, None)
    return await _apply_answer(refund.id, answer)


async def send_automatic_refunds(gateway: PaymentGateway, order_id: str) -> None:
    """Sends the refunds the shop made on its own (a late payment for sold-out stock)
    that have no answer from Stripe yet; Stripe's idempotency key makes a resend safe."""
    payment = await Payment.get_or_none(order_id=order_id)
    waiting = await Refund.filter(order_id=order_id, status=R.PENDING, stripe_refund_id=None,
                                  reason__not_isnull=True)
    for refund in waiting if payment is not None else []:
        await _send(gateway, refund, payment.intent_id)
