"""Step 1 of the checkout saga: the cart is checked, priced and turned into an order.

`precheck` refuses a cart that cannot be checked out before anything reaches
Stripe. `open_order` does step 1 in one transaction: it replays a known
idempotency key, locks the cart and refuses it if it already has an open or
paid order, prices the lines from the database in the cart's market as it is in
that transaction (read with the cart, `commerce.checkout.cart_market`), counts
the discount codes' uses, reserves stock, creates the order PENDING_PAYMENT in
the market's currency and closes the cart.
An order whose total is zero is PAID in that same transaction
(`commerce.orders.free_orders`): there is nothing to ask of Stripe.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tortoise.transactions import in_transaction

from commerce.access import Caller, can_use_cart
from commerce.catalog.stock import reserve_stock
from commerce.checkout.buyer import check_email
from commerce.checkout.cart_contents import CartContents, cart_for_checkout, line_name, read_cart
from commerce.checkout.cart_costs import cost_lines, price_cart, require_delivery
from commerce.checkout.costs import CartCost
from commerce.discounts.usage import (
    CodeUseTaken, claim_discount, customer_key, record_redemptions, unclaim_discounts,
)
from commerce.checkout.order_copies import order_copies, order_line_copies
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.idempotency import key_reused
from commerce.money import amount_field
from commerce.orders.free_orders import pay_nothing_locked
from commerce.orders.lifecycle import CART_TAKEN_STATUSES
from commerce.outbound.outbox import record_order_event
from models import Cart, CartStatus, Order, OrderEventType, OrderLine, OrderNumber
from models.ids import new_secret_id

__all__ = ["CheckoutTerms", "Checkable", "PaymentNeeded", "Replay", "precheck", "open_order"]

_ATTEMPTS = 3  # one more than needed: the second attempt sees the use the first lost to


@dataclass(frozen=True)
class Replay:
    """An order this idempotency key already made."""

    order: Order


@dataclass(frozen=True)
class Checkable:
    """What the pre-check found: the email to charge under and the total to pay (minor units)."""

    email: str
    total: int


class PaymentNeeded(Exception):
    """The cart has something to pay, and the checkout was opened without a way to pay it."""


@dataclass(frozen=True)
class CheckoutTerms:
    """What the shopper agreed to: how prices are shown, the total they saw (in the cart's currency,
    read in step 1), and the language they shopped in (ISO 639-1; None: the shop's), which the order
    keeps for its emails; and the shop's currency (that of its own market)."""

    prices_include_tax: bool = False
    expected_total: Decimal | None = None
    language: str | None = None
    shop_currency: str = "USD"


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
        raise key_reused("cart", ["input", "idempotencyKey"])
    return order


async def _cart(caller: Caller, cart_id: str, *, lock: bool) -> Cart:
    query = Cart.filter(id=cart_id)
    cart = await (query.select_for_update() if lock else query).first()
    if cart is None or not can_use_cart(caller, cart):
        raise DomainError.not_found("cart", "input", "cartId")
    return cart


async def _checkable(caller: Caller, cart_id: str, terms: CheckoutTerms) -> CartContents:
    contents = await read_cart(caller, cart_id, terms.shop_currency)
    if contents is None:
        raise DomainError.not_found("cart", "input", "cartId")
    cart = contents.cart
    if cart.status is not CartStatus.OPEN or await Order.exists(cart_id=cart.id, status__in=CART_TAKEN_STATUSES):
        raise DomainError(Code.CART_ALREADY_CHECKED_OUT, "This cart has already been checked out.", ["input", "cartId"])
    if not contents.lines:
        raise DomainError(Code.CART_EMPTY, "The cart is empty.", ["input", "cartId"])
    return contents


async def _cost(caller: Caller, contents: CartContents, terms: CheckoutTerms) -> CartCost:
    """Every amount from the database, in the cart's market; refuses a line not for sale there (the
    market changed since the shopper looked) and what cannot be delivered."""
    cart, prices = contents.cart, contents.unit_prices()
    for line in contents.lines:
        if line.variant_id not in prices:
            raise DomainError(Code.NOT_AVAILABLE_IN_MARKET, f"{line_name(contents.variants[line.variant_id])} is not "
                              f"sold in {contents.market.name}; nothing was charged. Check the cart and try again.",
                              ["input", "cartId"])
    cost = await price_cart(cart, cost_lines(contents.lines, contents.variants, prices),
                            prices_include_tax=terms.prices_include_tax, customer_id=caller.customer_id,
                            rule=contents.rule)
    require_delivery(cart, cost, ["input", "cartId"])
    return cost


def _check_total(cost: CartCost, terms: CheckoutTerms, currency: str) -> None:
    """TOTAL_CHANGED when the shopper's total (read in the cart's currency) is not the one to charge."""
    if terms.expected_total is None:
        return
    if amount_field(terms.expected_total, currency, "input", "expectedTotal") != cost.total:
        raise DomainError(Code.TOTAL_CHANGED, "The total changed since you saw it; nothing was charged. "
                          "Check the cart and try again.", ["input", "expectedTotal"])


async def _claim_codes(caller: Caller, contents: CartContents, terms: CheckoutTerms,
                       email: str) -> tuple[CartCost, list[tuple[int, bool]]]:
    """Counts a use of each code that takes something off; a code with no use left is dropped
    and the cart priced again without it (inside step 1's transaction)."""
    cart = contents.cart
    cart.email = cart.email or email  # once-per-customer codes count this buyer
    who = customer_key(cart.customer_id or caller.customer_id, email)
    claimed: dict[str, tuple[int, bool]] = {}
    while True:
        cost = await _cost(caller, contents, terms)
        dropped = None
        for code, amount in cost.discount_applications.items():
            if amount <= 0 or code in claimed:
                continue
            claim = await claim_discount(code, who)
            if claim is None:
                dropped = code
                break
            claimed[code] = claim
        if dropped is None:
            break
        cart.discount_codes = [c for c in cart.discount_codes or [] if c != dropped]
    unused = [code for code in claimed if cost.discount_applications.get(code, 0) <= 0]
    await unclaim_discounts([claimed[code][0] for code in unused])
    return cost, [claim for code, claim in claimed.items() if code not in unused]


async def open_order(caller: Caller, cart_id: str, email: str | None, key: str | None,
                     terms: CheckoutTerms, *, paying: bool = True) -> Order | Replay:
    """Step 1, in one transaction. When another order of this customer took their use of a
    once-per-customer code meanwhile, the transaction is undone and step 1 runs again:
    the code is then seen as used and the cart priced without it (TOTAL_CHANGED when
    the shopper said what total they expected). Without `paying` (no payment method was
    prepared), a total above zero raises PaymentNeeded and nothing is written."""
    for _ in range(_ATTEMPTS):
        try:
            return await _open_order(caller, cart_id, email, key, terms, paying)
        except CodeUseTaken:
            continue
    raise DomainError(Code.PAYMENT_FAILED, "The checkout could not be completed, and nothing was charged. "
                      "Please try again.", None)


async def _locked_checkable(caller: Caller, cart_id: str, key: str | None,
                            terms: CheckoutTerms) -> CartContents | Replay:
    """The cart locked, then its lines, variants and products with its orders' standing (two
    statements, in that order: see `cart_for_checkout`); or the order this key already made."""
    found = await cart_for_checkout(await _cart(caller, cart_id, lock=True), key,
                                    [s.value for s in CART_TAKEN_STATUSES], terms.shop_currency)
    cart = found.contents.cart
    if found.known_order_id is not None:
        known = await Order.get(id=found.known_order_id)
        if known.cart_id != cart.id:
            raise key_reused("cart", ["input", "idempotencyKey"])
        return Replay(known)
    if cart.status is not CartStatus.OPEN or found.taken:
        raise DomainError(Code.CART_ALREADY_CHECKED_OUT, "This cart has already been checked out.", ["input", "cartId"])
    if not found.contents.lines:
        raise DomainError(Code.CART_EMPTY, "The cart is empty.", ["input", "cartId"])
    return found.contents


async def _open_order(caller: Caller, cart_id: str, email: str | None, key: str | None,
                      terms: CheckoutTerms, paying: bool) -> Order | Replay:
    async with in_transaction():
        contents = await _locked_checkable(caller, cart_id, key, terms)
        if isinstance(contents, Replay):
            return contents
        cart, lines, variants = contents.cart, contents.lines, contents.variants
        email = _email(email, cart)
        cost, claimed = await _claim_codes(caller, contents, terms, email)
        _check_total(cost, terms, contents.currency)
        if cost.total > 0 and not paying:
            raise PaymentNeeded(cart.id)
        await reserve_stock(
            {line.variant_id: line.quantity for line in lines},
            {v.id: line_name(v) for v in variants.values()},
        )
        number = await OrderNumber.create()
        order = await Order.create(
            id=new_secret_id(), number=1000 + number.id, email=email, currency=contents.currency,
            cart_id=cart.id, idempotency_key=key, customer_id=cart.customer_id or caller.customer_id,
            language=terms.language, **order_copies(cart, cost),
        )
        await OrderLine.bulk_create(order_line_copies(order.id, lines, variants, cost))
        await record_redemptions(order.id, claimed, customer_key(order.customer_id, email))
        await Cart.filter(id=cart.id).update(status=CartStatus.CHECKED_OUT)
        await record_order_event(order, OrderEventType.ORDER_CREATED, new_order=True)
        if order.total == 0:
            await pay_nothing_locked(order)
    return order


async def precheck(caller: Caller, cart_id: str, email: str | None, key: str | None,
                   terms: CheckoutTerms) -> Order | Checkable:
    """Refuses a cart that cannot be checked out before anything reaches Stripe.

    Returns the order of a concurrent request with the same key that got there
    first, or else the email to charge under and the total.
    """
    known = await _known_order(key, cart_id)
    if known is not None:
        return known
    try:
        contents = await _checkable(caller, cart_id, terms)
        email = _email(email, contents.cart)
        cost = await _cost(caller, contents, terms)
        _check_total(cost, terms, contents.currency)
        return Checkable(email, cost.total)
    except DomainError as error:
        if error.code is Code.CART_ALREADY_CHECKED_OUT:
            known = await _known_order(key, cart_id)
            if known is not None:
                return known
        raise
