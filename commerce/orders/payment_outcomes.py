"""The payment part of an order: applying what a PaymentIntent says, and cancelling.

Every change locks the order row and moves `financialStatus` only along
`lifecycle.PAYMENT_MOVES`, so the checkout, `checkoutConfirm`, the reconciler
and webhooks can all report the same outcome, in any order and any number of
times, and it is applied once: stock is released once, a payment recorded once.

A success that arrives after the order failed or was cancelled (a late
success) takes the order's stock again when all of it is still there. When it
is not, the order keeps no stock and stays CANCELLED (`lifecycle.late_cancelled`),
says why (`cancel_reason`), and the money goes back on its own: in the
transaction that records the payment, a refund `STOCK_UNAVAILABLE` of all that
was captured is created and the order marked as needing attention; the refund
is sent after the commit (`settle_late_payments`, below), and again by the
reconciler until Stripe gives the money back: when Stripe refused it, or a
refund that had succeeded failed later, a new one is made for what is still
owed (once Stripe's running total is read, so a refund made in its dashboard
counts). Then the mark goes. An authorisation is voided instead. So a late
payment never oversells (I3) and never ships.

A capture below the order's total makes it PARTIALLY_PAID, not PAID
(`lifecycle.captured_status`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from tortoise.transactions import in_transaction

from commerce.catalog.stock import count_sales, release_stock, retake_stock
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.idempotency import late_refund_key
from commerce.orders.attention import MONEY_NOT_BACK, clear_attention, mark_attention
from commerce.orders.free_orders import is_free
from commerce.orders.lifecycle import (
    MONEY_HELD, PAYMENT_MOVES, UNPAID_ENDS, WAITING_FOR_PAYMENT, captured_status, late_cancelled, lock_order,
    save_order,
)
from commerce.orders.refunds import send_automatic_refunds
from commerce.orders.stripe_refunds import note_stripe_total
from commerce.outbound import notices
from commerce.outbound.outbox import payment_event_type, record_order_event
from commerce.sql import fetch, model_of, projection, statement
from models import (
    Cart, CartStatus, Order, OrderEventType, OrderFinancialStatus, OrderFulfillmentStatus, OrderLine,
    Payment, PaymentStatus, Refund, RefundStatus,
)
from commerce.discounts.usage import count_again, customer_key, give_back_discounts
from payments.gateway import PaymentError, PaymentGateway, PaymentOutcome, PaymentResult

__all__ = [
    "apply_payment_result", "apply_payment_outcome", "apply_payment_result_locked",
    "cancel_unpaid_order", "cancel_free_order", "cancel_order", "cancel_at_stripe", "STOCK_UNAVAILABLE",
    "order_lines", "settle_late_payments", "still_owed", "owing_late_payments",
]

log = logging.getLogger("shopgraph.orders")

F = OrderFinancialStatus
R = RefundStatus
STOCK_UNAVAILABLE = "STOCK_UNAVAILABLE"  # the reason of the refund of a late payment whose stock was sold
_SOLD_OUT = ("Paid after the order had ended unpaid, and its stock had been sold meanwhile: "
             "the payment is given back in full.")
_TARGET = {
    PaymentOutcome.SUCCEEDED: F.PAID,
    PaymentOutcome.AUTHORIZED: F.AUTHORIZED,
    PaymentOutcome.REQUIRES_ACTION: F.ACTION_REQUIRED,
    PaymentOutcome.DECLINED: F.FAILED,
    PaymentOutcome.CANCELED: F.VOIDED,
}
_PAYMENT_STATUS = {
    F.PAID: PaymentStatus.SUCCEEDED, F.AUTHORIZED: PaymentStatus.PENDING,
    F.ACTION_REQUIRED: PaymentStatus.REQUIRES_ACTION, F.FAILED: PaymentStatus.FAILED, F.VOIDED: PaymentStatus.CANCELED,
}


async def _locked(order_id: str) -> Order:
    order = await lock_order(order_id)
    if order is None:
        raise LookupError(order_id)
    return order


async def order_lines(order: Order) -> list[tuple[int | None, int]]:
    return list(await OrderLine.filter(order_id=order.id).values_list("variant_id", "quantity"))


async def _end_unpaid(order: Order) -> None:
    """FAILED or VOIDED: stock back (once), and the cart open for another try."""
    if order.holds_stock:
        await release_stock(await order_lines(order))
        order.holds_stock = False
        await give_back_discounts(order.id)
    if order.cart_id is not None:
        await Cart.filter(id=order.cart_id, status=CartStatus.CHECKED_OUT).update(status=CartStatus.OPEN)


async def _take_stock_again(order: Order, payment: Payment, target: OrderFinancialStatus) -> None:
    """A late success: the stock again if all of it is there; otherwise the money goes back."""
    short = await retake_stock(await order_lines(order))
    if not short:
        order.holds_stock = True
        codes = [a["code"] for a in order.discount_applications or [] if a.get("amount", 0) > 0]
        await count_again(order.id, codes, customer_key(order.customer_id, order.email))
        if order.cart_id is not None:
            await Cart.filter(id=order.cart_id).update(status=CartStatus.CHECKED_OUT)
        return
    log.warning("order %s was paid late and variants %s are sold out: the money goes back", order.number, short)
    order.cancel_reason = _SOLD_OUT
    if target is F.PAID and not await Refund.exists(order_id=order.id, reason=STOCK_UNAVAILABLE):
        await Refund.create(order_id=order.id, amount=payment.amount_captured, currency=payment.currency,
                            reason=STOCK_UNAVAILABLE, idempotency_key=late_refund_key(order.id))
        await mark_attention(order, f"{MONEY_NOT_BACK}: the late payment of {payment.amount_captured} (its stock "
                             "was sold meanwhile) is being refunded.", datetime.now(timezone.utc))


def _record(payment: Payment, result: PaymentResult, target: OrderFinancialStatus) -> None:
    if result.card_brand:
        payment.card_brand = result.card_brand
    if result.card_last4:
        payment.card_last4 = result.card_last4
    if result.decline_code or result.message:
        payment.failure_code = result.decline_code
        payment.failure_message = (result.message or "")[:500]
    payment.status = _PAYMENT_STATUS[target]
    if target is F.PAID:
        payment.amount_captured = result.amount_captured or payment.capture_requested or payment.amount


async def apply_payment_result(order_id: str, result: PaymentResult, gateway: PaymentGateway | None = None) -> Order:
    """Moves the order (and its payment) to what the PaymentIntent says, once.

    Outcomes that say nothing final (UNCONFIRMED, PROCESSING, UNKNOWN) change
    nothing; neither does an outcome the order is already past. With a
    gateway, money owed back by a late success is given back right after.
    """
    return (await apply_payment_outcome(order_id, result, gateway))[0]


async def apply_payment_outcome(order_id: str, result: PaymentResult,
                                gateway: PaymentGateway | None = None) -> tuple[Order, Payment | None]:
    """`apply_payment_result`, with the payment as the change left it (None when nothing changed)."""
    async with in_transaction():
        order, payment, disputes = await _locked_with_payment(order_id)
        payment = await _apply_locked(order, result, payment, disputes)
        if payment is not None:
            await record_order_event(order, payment_event_type(order), payment=payment)
    if payment is not None:
        await notices.order_changed(order.id)
        if gateway is not None and order.cancel_reason is not None:  # only a late payment leaves money owed
            await settle_late_payments(gateway, order.id)
            return await Order.get(id=order.id), None
    return order, payment


async def apply_payment_result_locked(order: Order, result: PaymentResult) -> bool:
    """`apply_payment_result` inside the caller's transaction, on an order it has locked.

    Returns True when the order changed; the caller announces it after commit.
    """
    return await _apply_locked(order, result) is not None


def _payment_sql(dialect: str) -> str:
    return (f'SELECT {projection(Payment, "p")}, "d"."status" AS "dispute_status" FROM "order" "o" '
            'LEFT JOIN "payment" "p" ON "p"."order_id" = "o"."id" '
            'LEFT JOIN "dispute" "d" ON "d"."order_id" = "o"."id" WHERE "o"."id" = ?')


async def _locked_with_payment(order_id: str) -> tuple[Order, Payment | None, list[str]]:
    """The order locked (`lock_order`), then its payment and its disputes' statuses in one statement.

    Two statements, never one `SELECT … FOR UPDATE` with the joins: under PostgreSQL's READ
    COMMITTED, one that waited for the lock would see the payment as it was before the
    transaction it waited for (and `save()` would write that back)."""
    order = await _locked(order_id)
    rows = await fetch(statement("order-payment-disputes", _payment_sql), [order_id])
    return (order, model_of(Payment, rows[0], "p"),
            [row["dispute_status"] for row in rows if row["dispute_status"] is not None])


async def _apply_locked(order: Order, result: PaymentResult, payment: Payment | None = None,
                        disputes: list[str] | None = None) -> Payment | None:
    """The payment as the result left it, or None when nothing changed. `payment` and `disputes`
    come together, read with the order under its lock (`_locked_with_payment`); without
    `disputes`, both are read here."""
    if disputes is None:
        payment = await Payment.get_or_none(order_id=order.id)
    if payment is None or (result.intent_id and result.intent_id != payment.intent_id):
        log.warning("payment result for order %s does not name its PaymentIntent", order.number)
        return None
    target = _TARGET.get(result.outcome)
    if target is None or target not in PAYMENT_MOVES.get(order.financial_status, set()):
        return None
    if target is F.PAID and result.amount is not None and result.amount != payment.amount:
        log.error("order %s: Stripe charged %s, the payment is %s", order.number, result.amount, payment.amount)
    was = (order.financial_status, order.fulfillment_status, order.status)
    _record(payment, result, target)
    await payment.save()
    if target in UNPAID_ENDS:
        await _end_unpaid(order)
    elif target in (F.PAID, F.AUTHORIZED) and not order.holds_stock:
        await _take_stock_again(order, payment, target)
    if target is F.PAID and order.holds_stock and was[0] is not F.PAID:
        await count_sales(order.id)  # first time paid: counts for the best-selling sort
    order.financial_status = (captured_status(payment.amount_captured, payment.amount_refunded, order.total)
                              if target is F.PAID else target)
    await save_order(order, was=was, disputes=disputes)
    log.info("order %s is now %s", order.number, order.status.name)
    return payment


async def cancel_unpaid_order(order_id: str) -> Order | None:
    """VOIDED with stock released, for an open order that has no PaymentIntent stored.

    Checked under the order lock, where the checkout stores its PaymentIntent:
    None when one is there now (it must be cancelled at Stripe first).
    """
    async with in_transaction():
        order = await _locked(order_id)
        if order.financial_status not in WAITING_FOR_PAYMENT:
            return order
        if await Payment.exists(order_id=order.id):
            return None
        was = (order.financial_status, order.fulfillment_status, order.status)
        await _end_unpaid(order)
        order.financial_status = F.VOIDED
        await save_order(order, was=was)
        await record_order_event(order, OrderEventType.ORDER_CANCELLED)
    await notices.order_changed(order.id)
    return order


async def cancel_free_order(order_id: str) -> Order:
    """VOIDED with stock and code uses given back, for an order that had nothing to pay
    (`free_orders`) and of which nothing has shipped. Nothing is asked of Stripe."""
    async with in_transaction():
        order = await _locked(order_id)
        if order.financial_status is not F.PAID:
            return order
        if order.fulfillment_status is not OrderFulfillmentStatus.UNFULFILLED:
            raise DomainError(Code.INVALID, "Part of this order has shipped: it can no longer be cancelled.",
                              ["orderId"])
        was = (order.financial_status, order.fulfillment_status, order.status)
        await _end_unpaid(order)
        await Payment.filter(order_id=order.id).update(status=PaymentStatus.CANCELED)
        order.financial_status = F.VOIDED
        await save_order(order, was=was)
        await record_order_event(order, OrderEventType.ORDER_CANCELLED)
    await notices.order_changed(order.id)
    return order


async def cancel_at_stripe(gateway: PaymentGateway, order: Order) -> Order:
    payment = await Payment.get(order_id=order.id)
    try:
        result = await gateway.cancel_payment_intent(payment.intent_id)
    except PaymentError as error:  # kept as the cause: the reconciler tells an unknown PaymentIntent apart
        raise DomainError(Code.PAYMENT_FAILED, "Stripe could not cancel the payment now; the order is "
                          "unchanged. Try again.", None) from error
    return await apply_payment_result(order.id, result, gateway)


async def cancel_order(gateway: PaymentGateway, order_id: str) -> Order:
    """Cancels an order not yet paid, or voids an authorisation: its PaymentIntent at
    Stripe first, then the order follows Stripe's answer (VOIDED, stock released,
    cart reopened).

    Cancelling a cancelled or failed order changes nothing; a paid one is refused
    with ORDER_ALREADY_PAID (refund it instead), also when Stripe says it was
    paid in the meantime. An order that had nothing to pay is cancelled while
    nothing of it has shipped (`cancel_free_order`).
    """
    order = await Order.get_or_none(id=order_id)
    if order is None:
        raise DomainError.not_found("order", "orderId")
    if order.financial_status is F.PAID and is_free(order):
        order = await cancel_free_order(order.id)
    if order.financial_status in (*WAITING_FOR_PAYMENT, F.AUTHORIZED):
        cancelled = await cancel_unpaid_order(order.id) if order.financial_status in WAITING_FOR_PAYMENT else None
        order = cancelled or await cancel_at_stripe(gateway, order)
    if order.financial_status in UNPAID_ENDS:
        return order
    if order.financial_status in (*WAITING_FOR_PAYMENT, F.AUTHORIZED):
        raise DomainError(Code.PAYMENT_FAILED, "The payment is being processed and cannot be cancelled now.", None)
    raise DomainError(Code.ORDER_ALREADY_PAID, "This order is paid: refund it instead.", ["orderId"])


# ---- money a late success left owed ------------------------------------------------------------------------------

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
