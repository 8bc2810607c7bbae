"""A refund row and what follows from it: Stripe's word on one refund (`record_refund_locked`),
and the payment's refunded amount and the order's financial status from the refunds that
succeeded (`refresh_refunds_locked`). Shared by our own refunds (`commerce.orders.refunds`) and
the refunds Stripe tells of (`commerce.orders.stripe_refunds`)."""

from __future__ import annotations

import logging

from commerce.orders.attention import MONEY_NOT_BACK, clear_attention
from commerce.orders.lifecycle import (
    PAYMENT_CAPTURED, REFUND_MOVES, REFUND_STATES, captured_status, late_cancelled, save_order,
)
from models import Order, OrderFinancialStatus, Payment, PaymentStatus, Refund, RefundStatus

__all__ = ["record_refund_locked", "refresh_refunds_locked", "refund_status"]

F = OrderFinancialStatus
R = RefundStatus

log = logging.getLogger("shopgraph.refunds")


def refund_status(stripe_status: str | None) -> RefundStatus:
    """Stripe's refund status in our terms: only `succeeded` gives money back, only
    `failed` and `canceled` end a refund without it."""
    if stripe_status == "succeeded":
        return RefundStatus.SUCCEEDED
    if stripe_status in ("failed", "canceled"):
        return RefundStatus.FAILED
    return RefundStatus.PENDING


async def record_refund_locked(order: Order, refund: Refund, stripe_refund_id: str, status: RefundStatus) -> bool:
    """Stripe's word on `refund` (our request, or one made at Stripe), inside the
    caller's transaction on the locked order. A refund's final status is set once.
    Returns True when the order's status changed."""
    if refund.stripe_refund_id is None:
        # A webhook may have told us of this Stripe refund before our request got its answer.
        twin = await Refund.get_or_none(stripe_refund_id=stripe_refund_id)
        if twin is not None and twin.id != refund.id:
            if twin.status is not RefundStatus.PENDING and status is RefundStatus.PENDING:
                status = twin.status
            await twin.delete()
        refund.stripe_refund_id = stripe_refund_id
    if status in REFUND_MOVES[refund.status]:
        refund.status = status
    elif status is not refund.status and status is not RefundStatus.PENDING:
        log.warning("refund %s is %s; a late report of %s changes nothing", stripe_refund_id, refund.status.name,
                    status.name)
    await refund.save()
    return await refresh_refunds_locked(order, await Payment.get(order_id=order.id))


async def refresh_refunds_locked(order: Order, payment: Payment) -> bool:
    """The payment's refunded amount from its refunds that succeeded, and the order's
    financial status from it (only for an order whose money was taken).
    Returns True when the order changed: its status, or the amount refunded."""
    succeeded = sum(await Refund.filter(order_id=order.id, status=R.SUCCEEDED).values_list("amount", flat=True))
    if succeeded > payment.amount_captured:
        log.error("order %s: refunds of %s on %s captured", order.number, succeeded, payment.amount_captured)
    refunded = min(succeeded, payment.amount_captured)
    amount_changed = refunded != payment.amount_refunded
    if amount_changed:
        payment.amount_refunded = refunded
        if payment.status in PAYMENT_CAPTURED:
            payment.status = (PaymentStatus.REFUNDED if refunded >= payment.amount_captured else
                              PaymentStatus.PARTIALLY_REFUNDED if refunded else PaymentStatus.SUCCEEDED)
        await payment.save(update_fields=["amount_refunded", "status", "updated_at"])
    if order.financial_status not in REFUND_STATES:
        return False
    target = captured_status(payment.amount_captured, refunded, order.total)
    if target is F.REFUNDED and late_cancelled(order) and (order.attention_reason or "").startswith(MONEY_NOT_BACK):
        await clear_attention(order)  # the money a late payment left owed is back
    if target is order.financial_status and not amount_changed:
        return False
    was = (order.financial_status, order.fulfillment_status, order.status)
    order.financial_status = target
    return await save_order(order, was=was) or amount_changed
