"""The checkout saga: a cart becomes an order and a charge, exactly once.

1. One transaction: replay a known idempotency key; lock the cart and refuse
   it if it already has an open or paid order; price the lines from the
   database; reserve stock; create the order PENDING_PAYMENT; close the cart.
2. Create the PaymentIntent unconfirmed (naming the order) and store it in its
   own commit, under the order lock and only while the order still waits for
   payment: a `cancelOrder` that got there first wins, the PaymentIntent is
   cancelled unconfirmed, and nothing is charged. A cancel that comes after
   finds the PaymentIntent and cancels it at Stripe, which settles the race
   (cancelled, or paid and ORDER_ALREADY_PAID).
3. Confirm the stored PaymentIntent.
4. Apply the outcome (`commerce.orders.apply_payment_result`).

Network calls happen outside transactions. A crash between any two steps
leaves a state the reconciler finishes (`commerce.reconcile`).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from commerce.outbound import events
from commerce.outbound.outbox import record_order_event
from commerce.access import Caller, can_read_order, can_use_cart
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.orders.state import OPEN_ORDER_STATUSES, apply_payment_result, cancel_unpaid_order, lock_order
from commerce.checkout.buyer import check_email
from commerce.checkout.cart_costs import cost_lines, price_cart, require_delivery
from commerce.checkout.costs import CartCost
from commerce.checkout.discount_codes import claim_discount, customer_key, record_redemptions, unclaim_discounts
from commerce.checkout.order_copies import order_copies, order_line_copies
from commerce.catalog.stock import reserve_stock
from models import (
    Cart, CartLine, CartStatus, Order, OrderEventType, OrderFinancialStatus, OrderLine, OrderNumber, OrderStatus, Payment, ProductVariant,
)
from models.ids import new_secret_id
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

_BLOCKING_STATUSES = (*OPEN_ORDER_STATUSES, OrderStatus.AUTHORIZED, OrderStatus.PAID, OrderStatus.FULFILLED,
                      OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED, OrderStatus.DISPUTED)
REPLAY_WAIT_SECONDS = 10.0
_NOTHING_CHARGED = "The payment could not be started, and nothing was charged. Please try again."


@dataclass(frozen=True)
class CheckoutResult:
    """The order as it stands, what the browser must do next, and why it is not paid."""

    order: Order
    client_secret: str | None = None
    error: DomainError | None = None


def _unreadable_card() -> DomainError:
    return DomainError(Code.INVALID, "The card details could not be read. Please enter them again.",
                       ["input", "paymentToken"])


@dataclass(frozen=True)
class _Replay:
    order: Order


@dataclass(frozen=True)
class CheckoutTerms:
    """What the shopper agreed to: how prices are shown, and the total they saw (minor units)."""

    prices_include_tax: bool = False
    expected_total: int | None = None


def _check_key(idempotency_key: str | None) -> None:
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 255:
        raise DomainError(Code.INVALID, "The idempotency key must be 1 to 255 characters.", ["input", "idempotencyKey"])


def _email(given: str | None, cart: Cart) -> str:
    email = given if given is not None and given.strip() else cart.email
    if not email:
        raise DomainError(Code.INVALID, "Enter an email address.", ["input", "email"])
    return check_email(email, ["input", "email"])


async def _known_order(key: str | None, cart_id: str) -> Order | None:
    """The order this key already made (for this cart); IDEMPOTENCY_KEY_REUSED for another cart."""
    if key is None:
        return None
    order = await Order.get_or_none(idempotency_key=key)
    if order is not None and order.cart_id != cart_id:
        raise DomainError(
            Code.IDEMPOTENCY_KEY_REUSED, "This idempotency key was used for another cart.", ["input", "idempotencyKey"]
        )
    return order


async def _cart(caller: Caller, cart_id: str, *, lock: bool) -> Cart:
    query = Cart.filter(id=cart_id)
    cart = await (query.select_for_update() if lock else query).first()
    if cart is None or not can_use_cart(caller, cart):
        raise DomainError(Code.NOT_FOUND, "No cart with this id.", ["input", "cartId"])
    return cart


async def _checkable_lines(cart: Cart) -> list[CartLine]:
    if cart.status is not CartStatus.OPEN or await Order.exists(cart_id=cart.id, status__in=_BLOCKING_STATUSES):
        raise DomainError(Code.CART_ALREADY_CHECKED_OUT, "This cart has already been checked out.", ["input", "cartId"])
    lines = await CartLine.filter(cart_id=cart.id).order_by("id")
    if not lines:
        raise DomainError(Code.CART_EMPTY, "The cart is empty.", ["input", "cartId"])
    return lines


def _line_title(variant: ProductVariant) -> str:
    title = variant.product.title
    return title if variant.title == "Default" else f"{title} ({variant.title})"


async def _cost(caller: Caller, cart: Cart, lines: list[CartLine], variants: dict[int, ProductVariant],
                terms: CheckoutTerms) -> CartCost:
    """Every amount from the database; refuses what cannot be delivered or differs from what was shown."""
    cost = await price_cart(cart, cost_lines(lines, variants), prices_include_tax=terms.prices_include_tax,
                            customer_id=caller.customer_id)
    require_delivery(cart, cost, ["input", "cartId"])
    return cost


def _check_total(cost: CartCost, terms: CheckoutTerms) -> None:
    if terms.expected_total is not None and terms.expected_total != cost.total:
        raise DomainError(Code.TOTAL_CHANGED, "The total changed since you saw it; nothing was charged. "
                          "Check the cart and try again.", ["input", "expectedTotal"])


async def _claim_codes(caller: Caller, cart: Cart, lines: list[CartLine], variants: dict[int, ProductVariant],
                       terms: CheckoutTerms, email: str) -> tuple[CartCost, list[int]]:
    """Counts a use of each code that takes something off; a code with no use left is dropped
    and the cart priced again without it (inside step 1's transaction)."""
    cart.email = cart.email or email  # once-per-customer codes count this buyer
    who = customer_key(cart.customer_id or caller.customer_id, email)
    claimed: dict[str, int] = {}
    while True:
        cost = await _cost(caller, cart, lines, variants, terms)
        dropped = None
        for code, amount in cost.discount_applications.items():
            if amount <= 0 or code in claimed:
                continue
            discount_id = await claim_discount(code, who)
            if discount_id is None:
                dropped = code
                break
            claimed[code] = discount_id
        if dropped is None:
            break
        cart.discount_codes = [c for c in cart.discount_codes or [] if c != dropped]
    unused = [i for code, i in claimed.items() if cost.discount_applications.get(code, 0) <= 0]
    await unclaim_discounts(unused)
    return cost, [i for i in claimed.values() if i not in unused]


async def _open_order(caller: Caller, cart_id: str, email: str | None, key: str | None,
                      terms: CheckoutTerms) -> Order | _Replay:
    """Step 1, in one transaction."""
    async with in_transaction():
        cart = await _cart(caller, cart_id, lock=True)
        known = await _known_order(key, cart.id)
        if known is not None:
            return _Replay(known)
        lines = await _checkable_lines(cart)
        variants = {v.id: v for v in await ProductVariant.filter(
            id__in=[line.variant_id for line in lines]).select_related("product")}
        email = _email(email, cart)
        cost, claimed = await _claim_codes(caller, cart, lines, variants, terms, email)
        _check_total(cost, terms)
        await reserve_stock(
            {line.variant_id: line.quantity for line in lines},
            {v.id: _line_title(v) for v in variants.values()},
        )
        number = await OrderNumber.create()
        order = await Order.create(
            id=new_secret_id(), number=1000 + number.id, email=email, currency=cart.currency,
            cart_id=cart.id, idempotency_key=key, customer_id=cart.customer_id or caller.customer_id,
            **order_copies(cart, cost),
        )
        await OrderLine.bulk_create(order_line_copies(order.id, lines, variants, cost))
        await record_redemptions(order.id, claimed, customer_key(order.customer_id, email))
        await Cart.filter(id=cart.id).update(status=CartStatus.CHECKED_OUT)
        await record_order_event(order, OrderEventType.ORDER_CREATED)
    return order


async def _precheck(caller: Caller, cart_id: str, email: str | None, key: str | None,
                    terms: CheckoutTerms) -> Order | str:
    """Refuses a cart that cannot be checked out before anything reaches Stripe.

    Returns the order of a concurrent request with the same key that got there
    first, or else the email to charge under.
    """
    known = await _known_order(key, cart_id)
    if known is not None:
        return known
    try:
        cart = await _cart(caller, cart_id, lock=False)
        lines = await _checkable_lines(cart)
        email = _email(email, cart)
        variants = {v.id: v for v in await ProductVariant.filter(id__in=[line.variant_id for line in lines])}
        _check_total(await _cost(caller, cart, lines, variants, terms), terms)
        return email
    except DomainError as error:
        if error.code is Code.CART_ALREADY_CHECKED_OUT:
            known = await _known_order(key, cart_id)
            if known is not None:
                return known
        raise


async def _result(gateway: PaymentGateway, order: Order, client_secret: str | None = None) -> CheckoutResult:
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
    return CheckoutResult(order)


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
               capture_manually: bool = False) -> CheckoutResult:
    """Steps 2 to 4."""
    try:
        intent_id = await gateway.create_payment_intent(
            amount=order.total, currency=order.currency, method=method,
            order_id=order.id, idempotency_key=f"shopgraph-pi-{order.id}", capture_manually=capture_manually,
        )
    except InvalidPaymentToken:  # a pm_ id Stripe does not know
        order = await cancel_unpaid_order(order.id) or order
        return CheckoutResult(order, error=_unreadable_card())
    except PaymentError:
        # Nothing was confirmed, so nothing can have been charged.
        return await _result(gateway, await cancel_unpaid_order(order.id) or order)
    if not await _store_payment(order, intent_id, capture_manually):
        return await _cancelled_meanwhile(gateway, order, intent_id)

    result = await gateway.confirm_payment_intent(intent_id, idempotency_key=f"shopgraph-confirm-{order.id}")
    if result.outcome is PaymentOutcome.UNKNOWN:
        try:  # the confirmation may have gone through: ask rather than guess
            result = await gateway.retrieve_payment_intent(intent_id)
        except GatewayUnavailable:
            pass  # the order stays PENDING_PAYMENT; the reconciler settles it
    order = await apply_payment_result(order.id, result, gateway)
    return await _result(gateway, order, result.client_secret)


async def checkout(
    gateway: PaymentGateway,
    *,
    caller: Caller,
    cart_id: str,
    email: str | None,
    payment_token: str,
    idempotency_key: str | None = None,
    capture_manually: bool = False,
    terms: CheckoutTerms = CheckoutTerms(),
) -> CheckoutResult:
    """Turns the cart into an order and charges its `cost.total` (or, `capture_manually`,
    authorises it). Raises DomainError when no order is made.

    `email` may be left out when the cart has one.
    """
    _check_key(idempotency_key)
    known = await _precheck(caller, cart_id, email, idempotency_key, terms)
    if isinstance(known, Order):
        return await _result(gateway, await _settled(known))
    email = known

    try:
        method = await gateway.prepare_payment_method(
            payment_token, email=email,
            idempotency_key=f"shopgraph-customer-{idempotency_key or uuid.uuid4().hex}",
        )
    except InvalidPaymentToken:
        raise _unreadable_card() from None
    except PaymentDeclined as declined:
        raise DomainError(Code.CARD_DECLINED, declined.message, ["input", "paymentToken"]) from None
    except GatewayUnavailable:
        raise DomainError(Code.PAYMENT_FAILED, _NOTHING_CHARGED, None) from None

    try:
        opened = await _open_order(caller, cart_id, email, idempotency_key, terms)
    except IntegrityError:  # the same key, at the same moment, for another cart
        raise DomainError(Code.IDEMPOTENCY_KEY_REUSED, "This idempotency key was used for another cart.",
                          ["input", "idempotencyKey"]) from None
    if isinstance(opened, _Replay):
        return await _result(gateway, await _settled(opened.order))
    await events.order_changed(opened.id)  # a new order, and stock taken from the catalog

    return await _pay(gateway, opened, method, capture_manually)


async def confirm_checkout(gateway: PaymentGateway, caller: Caller, order_id: str) -> CheckoutResult:
    """After 3-D Secure: read the PaymentIntent again and move the order on."""
    order = await Order.get_or_none(id=order_id)
    if order is None or not can_read_order(caller, order):
        raise DomainError(Code.NOT_FOUND, "No order with this id.", ["orderId"])
    payment = await Payment.get_or_none(order_id=order.id)
    if payment is not None and order.status in OPEN_ORDER_STATUSES:
        try:
            result = await gateway.retrieve_payment_intent(payment.intent_id)
        except GatewayUnavailable:
            raise DomainError(Code.PAYMENT_FAILED, "The payment provider could not be reached. Try again.", None) from None
        order = await apply_payment_result(order.id, result, gateway)
        return await _result(gateway, order, result.client_secret)
    return await _result(gateway, order)
