"""Money a late success left owed: given back until Stripe has it back.

A payment that succeeds after its order ended unpaid, once the order's stock
was sold to someone else, leaves the order CANCELLED with its payment recorded,
a refund `STOCK_UNAVAILABLE` of all that was captured, and a needs-attention
mark (`commerce.orders.payment_outcomes`, all in one transaction). `settle_late_payments`
sends that refund after the commit; when Stripe refused it, or a refund that
had succeeded failed later, a new one is made for what is still owed (once
Stripe's running total is read, so a refund made in its dashboard counts) and sent.
It runs after every payment change and on every reconciler pass, so the refund
is retried until the money is back; then the mark goes. A late authorisation
(manual capture) is voided instead.
"""

from __future__ import annotations

import logging

from tortoise.transactions import in_transaction

from commerce.errors import DomainError
from commerce.idempotency import late_refund_key
from commerce.orders.attention import MONEY_NOT_BACK, clear_attention
from commerce.orders.lifecycle import MONEY_HELD, late_cancelled, lock_order
from commerce.orders.refunds import send_automatic_refunds
from commerce.orders.payment_outcomes import STOCK_UNAVAILABLE, cancel_at_stripe
from commerce.orders.stripe_refunds import note_stripe_total
from models import Order, OrderFinancialStatus, Payment, Refund, RefundStatus
from payments.gateway import PaymentGateway

__all__ = ["settle_late_payments", "still_owed", "owing_late_payments"]

log = logging.getLogger("shopgraph.orders")
F = OrderFinancialStatus
R = RefundStatus


async def owing_late_payments() -> list[Order]:
    """The orders a late success may have left money owed on (for the reconciler)."""
    return await Order.filter(cancel_reason__not_isnull=True, holds_stock=False,
                              financial_status__in=MONEY_HELD)


async def _owed(order: Order, payment: Payment) -> int:
    """Captured, less what succeeded and what is on its way."""
    pending = await Refund.filter(order_id=order.id, status=R.PENDING).values_list("amount", flat=True)
    return payment.amount_captured - payment.amount_refunded - sum(pending)


async def _refund_again(order_id: str) -> None:
    """A new refund for what is still owed when the earlier one failed (none is on its way)."""
    async with in_transaction():
        order = await lock_order(order_id)
        payment = await Payment.get_or_none(order_id=order_id)
        if order is None or payment is None or not late_cancelled(order):
            return
        owed = await _owed(order, payment)
        if owed <= 0:
            return
        tries = await Refund.filter(order_id=order_id, reason=STOCK_UNAVAILABLE).count()
        await Refund.create(order_id=order_id, amount=owed, currency=payment.currency, reason=STOCK_UNAVAILABLE,
                            idempotency_key=late_refund_key(order_id, tries + 1))
        log.warning("order %s: the refund of its late payment failed; %s is sent again", order.number, owed)


async def settle_late_payments(gateway: PaymentGateway, order_id: str) -> None:
    """Gives back what a late success left owed: sends the order's automatic refund (a new
    one when the last failed), or voids an authorisation that holds no stock. Safe to repeat."""
    order = await Order.get(id=order_id)
    if order.cancel_reason is None:
        return
    if order.financial_status is F.AUTHORIZED and not order.holds_stock:
        try:
            await cancel_at_stripe(gateway, order)
        except DomainError:
            log.warning("order %s: voiding its late authorisation failed; the reconciler retries", order.number)
        return
    if not late_cancelled(order):
        return
    if not await Refund.exists(order_id=order_id, reason=STOCK_UNAVAILABLE, status=R.PENDING, stripe_refund_id=None):
        # A refund made in Stripe's dashboard meanwhile counts first: never give the money back twice.
        payment = await Payment.get(order_id=order_id)
        await note_stripe_total(order_id, (await gateway.retrieve_payment_intent(payment.intent_id)).amount_refunded)
        await _refund_again(order_id)
    await send_automatic_refunds(gateway, order_id)
    order = await Order.get(id=order_id)
    if await still_owed(order_id) is None and (order.attention_reason or "").startswith(MONEY_NOT_BACK):
        await clear_attention(order)


async def still_owed(order_id: str) -> str | None:
    """Why money a late success left owed is not back yet (None: it is back)."""
    order = await Order.get(id=order_id)
    if order.cancel_reason is None:
        return None
    if order.financial_status is F.AUTHORIZED and not order.holds_stock:
        return f"{MONEY_NOT_BACK}: the authorisation of a late payment could not be voided at Stripe yet; it is retried."
    payment = await Payment.get_or_none(order_id=order_id)
    if payment is None or not late_cancelled(order) or payment.amount_refunded >= payment.amount_captured:
        return None
    owed = payment.amount_captured - payment.amount_refunded
    last = await Refund.filter(order_id=order_id, reason=STOCK_UNAVAILABLE).order_by("-id").first()
    if last is not None and last.status is R.FAILED:
        return (f"{MONEY_NOT_BACK}: Stripe refused the refund of {owed} owed for a late payment whose stock was "
                "sold; it is retried on every reconciler pass (or refund it at Stripe).")
    return (f"{MONEY_NOT_BACK}: the refund of {owed} owed for a late payment whose stock was sold has no answer "
            "from Stripe yet; it is retried.")
