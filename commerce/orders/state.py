"""Order state: the allowed transitions and applying a payment's outcome.

Every change locks the order row and moves it only forward along
`TRANSITIONS`, so the checkout, `checkoutConfirm`, the reconciler and
webhooks can all report the same outcome, in any order and any number of
times, and it is applied once: stock is released once, a payment recorded once.
"""

from __future__ import annotations

import logging

from tortoise.transactions import in_transaction

from commerce.outbound import events
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.catalog.stock import release_stock, retake_stock
from commerce.checkout.discount_codes import count_again, customer_key, give_back_discounts
from models import Cart, CartStatus, Order, OrderLine, OrderStatus, Payment, PaymentStatus
from payments.gateway import PaymentError, PaymentGateway, PaymentOutcome, PaymentResult

__all__ = [
    "TRANSITIONS", "OPEN_ORDER_STATUSES", "REFUNDABLE_STATUSES", "get_order", "lock_order",
    "apply_payment_result", "apply_payment_result_locked", "cancel_unpaid_order",
    "apply_refunded_total", "apply_refunded_total_locked", "move_order", "status_after_refunds", "cancel_order",
]

log = logging.getLogger("shopgraph.orders")

S = OrderStatus
TRANSITIONS: dict[OrderStatus, set[OrderStatus]] = {
    S.PENDING_PAYMENT: {S.ACTION_REQUIRED, S.PAID, S.PAYMENT_FAILED, S.CANCELLED},
    S.ACTION_REQUIRED: {S.PAID, S.PAYMENT_FAILED, S.CANCELLED},
    # A payment that succeeds after all (a late webhook) still makes the order paid.
    S.PAYMENT_FAILED: {S.PAID},
    S.CANCELLED: {S.PAID},
    S.PAID: {S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED, S.FULFILLED},
    S.PARTIALLY_REFUNDED: {S.REFUNDED, S.DISPUTED},
    # A dispute closes won (back to what the refunds say) or lost (the money went back).
    S.DISPUTED: {S.PAID, S.PARTIALLY_REFUNDED, S.REFUNDED},
    S.REFUNDED: set(),
    S.FULFILLED: {S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED},
}
# Orders still waiting for their payment: they hold stock and keep the cart closed.
OPEN_ORDER_STATUSES = (S.PENDING_PAYMENT, S.ACTION_REQUIRED)
_UNPAID_ENDS = (S.PAYMENT_FAILED, S.CANCELLED)
# Orders whose payment went through and may still give money back.
REFUNDABLE_STATUSES = (S.PAID, S.PARTIALLY_REFUNDED, S.FULFILLED)


async def get_order(order_id: str) -> Order | None:
    return await Order.get_or_none(id=order_id)


async def lock_order(order_id: str) -> Order | None:
    """The order, its row locked until the caller's transaction ends (PostgreSQL).

    SQLite has no row locks; there Tortoise runs one transaction at a time.
    """
    return await Order.filter(id=order_id).select_for_update().first()


async def _locked(order_id: str) -> Order:
    order = await lock_order(order_id)
    if order is None:
        raise LookupError(order_id)
    return order


async def move_order(order: Order, target: OrderStatus) -> bool:
    """Moves a locked, paid-for order to `target` if `TRANSITIONS` allow it; True if it moved."""
    if target is order.status or target not in TRANSITIONS[order.status]:
        return False
    order.status = target
    await order.save(update_fields=["status", "updated_at"])
    return True


async def _lines(order: Order) -> list[tuple[int | None, int]]:
    return list(await OrderLine.filter(order_id=order.id).values_list("product_id", "quantity"))


async def _end_unpaid(order: Order, status: OrderStatus) -> None:
    """PAYMENT_FAILED or CANCELLED: stock back, and the cart open for another try."""
    order.status = status
    await order.save(update_fields=["status", "updated_at"])
    await release_stock(await _lines(order))
    await give_back_discounts(order.id)
    if order.cart_id is not None:
        await Cart.filter(id=order.cart_id, status=CartStatus.CHECKED_OUT).update(status=CartStatus.OPEN)


async def _take_stock_again(order: Order) -> None:
    """A late success for an order whose stock went back: take it again where it is there."""
    for product_id in await retake_stock(await _lines(order)):
        log.error("order %s was paid late; product %s is short: needs attention", order.number, product_id)
    codes = [a["code"] for a in order.discount_applications or [] if a.get("amount", 0) > 0]
    await count_again(order.id, codes, customer_key(order.customer_id, order.email))
    if order.cart_id is not None:
        await Cart.filter(id=order.cart_id).update(status=CartStatus.CHECKED_OUT)


def _record(payment: Payment, result: PaymentResult) -> None:
    if result.card_brand:
        payment.card_brand = result.card_brand
    if result.card_last4:
        payment.card_last4 = result.card_last4
    if result.decline_code or result.message:
        payment.failure_code = result.decline_code
        payment.failure_message = (result.message or "")[:500]


async def apply_payment_result(order_id: str, result: PaymentResult) -> Order:
    """Moves the order (and its payment) to what the PaymentIntent says, once.

    Outcomes that say nothing final (UNCONFIRMED, PROCESSING, UNKNOWN) change
    nothing; neither does an outcome the order is already past.
    """
    async with in_transaction():
        order = await _locked(order_id)
        changed = await apply_payment_result_locked(order, result)
    if changed:
        await events.order_changed(order.id)
    return order


async def apply_payment_result_locked(order: Order, result: PaymentResult) -> bool:
    """`apply_payment_result` inside the caller's transaction, on an order it has locked.

    Returns True when the order changed; the caller announces it after commit.
    """
    payment = await Payment.get_or_none(order_id=order.id)
    if payment is None or (result.intent_id and result.intent_id != payment.intent_id):
        log.warning("payment result for order %s does not name its PaymentIntent", order.number)
        return False
    target = {
        PaymentOutcome.SUCCEEDED: S.PAID,
        PaymentOutcome.REQUIRES_ACTION: S.ACTION_REQUIRED,
        PaymentOutcome.DECLINED: S.PAYMENT_FAILED,
        PaymentOutcome.CANCELED: S.CANCELLED,
    }.get(result.outcome)
    if target is None or target is order.status or target not in TRANSITIONS[order.status]:
        return False
    if target is S.PAID and result.amount is not None and result.amount != order.total:
        log.error("order %s: Stripe charged %s, the order is %s", order.number, result.amount, order.total)

    _record(payment, result)
    payment.status = {
        S.PAID: PaymentStatus.SUCCEEDED,
        S.ACTION_REQUIRED: PaymentStatus.REQUIRES_ACTION,
        S.PAYMENT_FAILED: PaymentStatus.FAILED,
        S.CANCELLED: PaymentStatus.CANCELED,
    }[target]
    await payment.save()
    if target in _UNPAID_ENDS:
        await _end_unpaid(order, target)
    else:
        if order.status in _UNPAID_ENDS:
            await _take_stock_again(order)
        order.status = target
        await order.save(update_fields=["status", "updated_at"])
    log.info("order %s is now %s", order.number, order.status.name)
    return True


def status_after_refunds(payment: Payment) -> OrderStatus:
    """What a paid order's refunds make of it: REFUNDED, PARTIALLY_REFUNDED or PAID."""
    if payment.amount_refunded >= payment.amount:
        return S.REFUNDED
    return S.PARTIALLY_REFUNDED if payment.amount_refunded > 0 else S.PAID


async def apply_refunded_total_locked(order: Order, payment: Payment, refunded: int) -> bool:
    """Raises the payment's refunded amount to `refunded` (Stripe's running total) and
    moves the order on. The amount only grows, so late or repeated reports change
    nothing. Returns True when the order's status changed."""
    if refunded > payment.amount_refunded:
        payment.amount_refunded = min(refunded, payment.amount)
        if refunded > payment.amount:
            log.error("order %s: Stripe refunded %s of %s", order.number, refunded, payment.amount)
        if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED):
            payment.status = (PaymentStatus.REFUNDED if payment.amount_refunded >= payment.amount
                              else PaymentStatus.PARTIALLY_REFUNDED)
        await payment.save(update_fields=["amount_refunded", "status", "updated_at"])
    if order.status is S.DISPUTED:  # the dispute decides; a full refund ends it all the same
        return payment.amount_refunded >= payment.amount and await move_order(order, S.REFUNDED)
    target = status_after_refunds(payment)
    return target is not S.PAID and await move_order(order, target)


async def apply_refunded_total(order_id: str, refunded: int) -> Order:
    """`apply_refunded_total_locked` in a transaction of its own, announced after commit."""
    async with in_transaction():
        order = await _locked(order_id)
        payment = await Payment.get_or_none(order_id=order.id)
        changed = payment is not None and await apply_refunded_total_locked(order, payment, refunded)
    if changed:
        log.info("order %s is now %s", order.number, order.status.name)
        await events.order_changed(order.id)
    return order


async def cancel_unpaid_order(order_id: str) -> Order:
    """CANCELLED with stock released, for an order that never got a PaymentIntent."""
    async with in_transaction():
        order = await _locked(order_id)
        if S.CANCELLED in TRANSITIONS[order.status] and order.status in OPEN_ORDER_STATUSES:
            await _end_unpaid(order, S.CANCELLED)
            payment = await Payment.get_or_none(order_id=order.id)
            if payment is not None:
                payment.status = PaymentStatus.CANCELED
                await payment.save(update_fields=["status", "updated_at"])
            changed = True
        else:
            changed = False
    if changed:
        await events.order_changed(order.id)
    return order


async def cancel_order(gateway: PaymentGateway, order_id: str) -> Order:
    """Cancels an order not yet paid: its PaymentIntent at Stripe first, then the order
    follows Stripe's answer (CANCELLED, stock released, cart reopened).

    Cancelling a cancelled or failed order changes nothing; a paid one is refused
    (refund it instead), also when Stripe says it was paid in the meantime.
    """
    order = await Order.get_or_none(id=order_id)
    if order is None:
        raise DomainError(Code.NOT_FOUND, "No order with this id.", ["orderId"])
    if order.status in OPEN_ORDER_STATUSES:
        payment = await Payment.get_or_none(order_id=order.id)
        if payment is None:
            order = await cancel_unpaid_order(order.id)
        else:
            try:
                result = await gateway.cancel_payment_intent(payment.intent_id)
            except PaymentError:
                raise DomainError(Code.PAYMENT_FAILED, "Stripe could not cancel the payment now; the order is "
                                  "unchanged. Try again.", None) from None
            order = await apply_payment_result(order.id, result)
    if order.status in _UNPAID_ENDS:
        return order
    if order.status in OPEN_ORDER_STATUSES:
        raise DomainError(Code.PAYMENT_FAILED, "The payment is being processed and cannot be cancelled now.", None)
    raise DomainError(Code.ORDER_ALREADY_PAID, "This order is paid: refund it instead.", ["orderId"])
