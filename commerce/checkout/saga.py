"""The checkout saga: a cart becomes an order and a charge, exactly once.

1. One transaction (`commerce.checkout.opening`): replay a known idempotency
   key; lock the cart and refuse it if it already has an open or paid order;
   price the lines from the database; reserve stock; create the order
   PENDING_PAYMENT; close the cart. An order with nothing to pay is PAID here,
   and the saga ends: no steps 2 to 4, nothing sent to Stripe.
2. Create the PaymentIntent unconfirmed (naming the order) and store it in its
   own commit, under the order lock and only while the order still waits for
   payment: a `cancelOrder` that got there first wins, the PaymentIntent is
   cancelled unconfirmed, and nothing is charged. A cancel that comes after
   finds the PaymentIntent and cancels it at Stripe, which settles the race
   (cancelled, or paid and ORDER_ALREADY_PAID).
3. Confirm the stored PaymentIntent.
4. Apply the outcome (`commerce.orders.payment_outcomes.apply_payment_result`).

Network calls happen outside transactions. A crash between any two steps
leaves a state the reconciler finishes (`commerce.orders.reconcile`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from commerce.outbound import notices
from commerce.access import Caller, can_read_order
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.idempotency import check_client_key, checkout_customer_key, confirm_key, key_reused, payment_intent_key
from commerce.orders.lifecycle import OPEN_ORDER_STATUSES, lock_order
from commerce.orders.payment_outcomes import apply_payment_outcome, apply_payment_result, cancel_unpaid_order
from commerce.wallet.cards import card_for_checkout
from commerce.checkout.opening import CheckoutTerms, PaymentNeeded, Replay, open_order, precheck
from models import Order, OrderFinancialStatus, OrderStatus, Payment
from payments.gateway import (
    GatewayUnavailable,
    InvalidPaymentToken,
    PaymentDeclined,
    PaymentError,
    PaymentGateway,
    PaymentMethodRef,
    PaymentOutcome,
)

__all__ = ["CheckoutResult", "CheckoutTerms", "checkout", "confirm_checkout", "REPLAY_WAIT_SECONDS"]

REPLAY_WAIT_SECONDS = 10.0
_KEY_FIELD = ("input", "idempotencyKey")
_PAYMENT_METHOD = "pm_"  # a Stripe PaymentMethod id, charged directly (a `tok_` becomes a customer's card first)
_NOTHING_CHARGED = "The payment could not be started, and nothing was charged. Please try again."


@dataclass(frozen=True)
class CheckoutResult:
    """The order as it stands, what the browser must do next, and why it is not paid."""

    order: Order
    client_secret: str | None = None
    error: DomainError | None = None
    payment: Payment | None = None  # the order's payment as the checkout left it, when it has one in hand


def _unreadable_card(saved: bool = False) -> DomainError:
    if saved:  # a card of the wallet Stripe no longer takes (detached or deleted there)
        return DomainError(Code.INVALID, "This saved card can no longer be charged; nothing was charged. "
                           "Choose another card.", ["input", "savedPaymentMethodId"])
    return DomainError(Code.INVALID, "The card details could not be read. Please enter them again.",
                       ["input", "paymentToken"])


async def _result(gateway: PaymentGateway, order: Order, client_secret: str | None = None,
                  payment: Payment | None = None) -> CheckoutResult:
    """What the shopper is told about `order` as it stands."""
    if order.status is OrderStatus.ACTION_REQUIRED:
        if client_secret is None:
            payment = await Payment.get(order_id=order.id)
            try:
                client_secret = (await gateway.retrieve_payment_intent(payment.intent_id)).client_secret
            except PaymentError:
                client_secret = None
        error = DomainError(Code.PAYMENT_ACTION_REQUIRED, "Your bank asks you to confirm this payment.", ["input", "paymentToken"])
        return CheckoutResult(order, client_secret=client_secret, error=error)
    if order.status is OrderStatus.PAYMENT_FAILED:
        payment = await Payment.get_or_none(order_id=order.id)
        message = (payment and payment.failure_message) or "Your card was declined."
        return CheckoutResult(order, error=DomainError(Code.CARD_DECLINED, message, ["input", "paymentToken"]))
    if order.status is OrderStatus.CANCELLED:
        return CheckoutResult(order, error=DomainError(Code.PAYMENT_FAILED, _NOTHING_CHARGED, None))
    return CheckoutResult(order, payment=payment)


async def _settled(order: Order) -> Order:
    """A replayed order, once the attempt that made it has finished (or after a wait)."""
    deadline = asyncio.get_running_loop().time() + REPLAY_WAIT_SECONDS
    while order.status is OrderStatus.PENDING_PAYMENT and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
        order = await Order.get(id=order.id)
    return order


async def _store_payment(order: Order, intent_id: str, capture_manually: bool) -> bool:
    """Step 2's commit: the PaymentIntent on the order, if it still waits for payment."""
    async with in_transaction():
        locked = await lock_order(order.id)
        if locked is None or locked.financial_status is not OrderFinancialStatus.PENDING:
            return False
        await Payment.create(order_id=order.id, intent_id=intent_id, amount=order.total, currency=order.currency,
                             capture_method="manual" if capture_manually else "automatic")
    return True


async def _cancelled_meanwhile(gateway: PaymentGateway, order: Order, intent_id: str) -> CheckoutResult:
    """The order was cancelled before its PaymentIntent was stored: never confirm it."""
    try:
        await gateway.cancel_payment_intent(intent_id)
    except PaymentError:
        pass  # unconfirmed either way: it can never charge the card
    return await _result(gateway, await Order.get(id=order.id))


async def _pay(gateway: PaymentGateway, order: Order, method: PaymentMethodRef,
               capture_manually: bool = False, saved: bool = False) -> CheckoutResult:
    """Steps 2 to 4."""
    try:
        intent_id = await gateway.create_payment_intent(
            amount=order.total, currency=order.currency, method=method,
            order_id=order.id, idempotency_key=payment_intent_key(order.id), capture_manually=capture_manually,
        )
    except InvalidPaymentToken:  # a pm_ id Stripe does not know
        order = await cancel_unpaid_order(order.id) or order
        return CheckoutResult(order, error=_unreadable_card(saved))
    except PaymentError:
        # Nothing was confirmed, so nothing can have been charged.
        return await _result(gateway, await cancel_unpaid_order(order.id) or order)
    if not await _store_payment(order, intent_id, capture_manually):
        return await _cancelled_meanwhile(gateway, order, intent_id)

    result = await gateway.confirm_payment_intent(intent_id, idempotency_key=confirm_key(order.id))
    if result.outcome is PaymentOutcome.UNKNOWN:
        try:  # the confirmation may have gone through: ask rather than guess
            result = await gateway.retrieve_payment_intent(intent_id)
        except GatewayUnavailable:
            pass  # the order stays PENDING_PAYMENT; the reconciler settles it
    order, payment = await apply_payment_outcome(order.id, result, gateway)
    return await _result(gateway, order, result.client_secret, payment)


async def _payment_method(gateway: PaymentGateway, payment_token: str | None, email: str,
                          idempotency_key: str | None, saved: PaymentMethodRef | None = None) -> PaymentMethodRef:
    """The shopper's card as Stripe knows it (the pre-check's `tok_` to a customer's card, or
    the saved card of the wallet)."""
    if saved is not None:
        return saved
    if not payment_token:
        raise DomainError(Code.INVALID, "Enter your card details.", ["input", "paymentToken"])
    try:
        return await gateway.prepare_payment_method(
            payment_token, email=email,
            idempotency_key=checkout_customer_key(idempotency_key),
        )
    except InvalidPaymentToken:
        raise _unreadable_card() from None
    except PaymentDeclined as declined:
        raise DomainError(Code.CARD_DECLINED, declined.message, ["input", "paymentToken"]) from None
    except GatewayUnavailable:
        raise DomainError(Code.PAYMENT_FAILED, _NOTHING_CHARGED, None) from None


async def _open(caller: Caller, cart_id: str, email: str, key: str | None, terms: CheckoutTerms,
                paying: bool) -> Order | Replay:
    try:
        return await open_order(caller, cart_id, email, key, terms, paying=paying)
    except IntegrityError:  # the same key, at the same moment, for another cart
        raise key_reused("cart", _KEY_FIELD) from None


async def checkout(
    gateway: PaymentGateway,
    *,
    caller: Caller,
    cart_id: str,
    email: str | None,
    payment_token: str | None,
    idempotency_key: str | None = None,
    capture_manually: bool = False,
    terms: CheckoutTerms = CheckoutTerms(),
    saved_payment_method: int | None = None,
) -> CheckoutResult:
    """Turns the cart into an order and charges its `cost.total` (or, `capture_manually`,
    authorises it). Raises DomainError when no order is made.

    `email` may be left out when the cart has one. A total of zero needs no
    `payment_token`: the order is paid at once and nothing reaches Stripe.
    `saved_payment_method` (a card of the caller's wallet) pays instead of a token.
    """
    check_client_key(idempotency_key, _KEY_FIELD)
    if saved_payment_method is not None and payment_token:
        raise DomainError(Code.INVALID, "Give a paymentToken or a savedPaymentMethodId, not both.",
                          ["input", "savedPaymentMethodId"])
    saved = None
    if saved_payment_method is None and payment_token and payment_token.startswith(_PAYMENT_METHOD):
        # Charged as it is (§3): nothing reaches Stripe before step 1, whose checks under
        # the lock are the pre-check's; the cart is read and priced once.
        method = await _payment_method(gateway, payment_token, email or "", idempotency_key)
        opened = await _open(caller, cart_id, email, idempotency_key, terms, paying=True)
    else:
        known = await precheck(caller, cart_id, email, idempotency_key, terms)
        if isinstance(known, Order):
            return await _result(gateway, await _settled(known))
        email = known.email
        saved = None if saved_payment_method is None else await card_for_checkout(caller, saved_payment_method)
        method = await _payment_method(gateway, payment_token, email, idempotency_key, saved) if known.total else None
        try:
            opened = await _open(caller, cart_id, email, idempotency_key, terms, paying=method is not None)
        except PaymentNeeded:  # the total is no longer zero (a code's last use went meanwhile)
            method = await _payment_method(gateway, payment_token, email, idempotency_key, saved)
            opened = await _open(caller, cart_id, email, idempotency_key, terms, paying=True)
    if isinstance(opened, Replay):
        return await _result(gateway, await _settled(opened.order))
    await notices.order_changed(opened.id)  # a new order, and stock taken from the catalog
    if method is None or opened.financial_status is OrderFinancialStatus.PAID:  # there was nothing to pay
        return CheckoutResult(opened)
    return await _pay(gateway, opened, method, capture_manually, saved=saved is not None)


async def confirm_checkout(gateway: PaymentGateway, caller: Caller, order_id: str) -> CheckoutResult:
    """After 3-D Secure: read the PaymentIntent again and move the order on."""
    order = await Order.get_or_none(id=order_id)
    if order is None or not can_read_order(caller, order):
        raise DomainError.not_found("order", "orderId")
    payment = await Payment.get_or_none(order_id=order.id)
    if payment is not None and order.status in OPEN_ORDER_STATUSES:
        try:
            result = await gateway.retrieve_payment_intent(payment.intent_id)
        except GatewayUnavailable:
            raise DomainError(Code.PAYMENT_FAILED, "The payment provider could not be reached. Try again.", None) from None
        order = await apply_payment_result(order.id, result, gateway)
        return await _result(gateway, order, result.client_secret)
    return await _result(gateway, order)
