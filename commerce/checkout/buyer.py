"""Who buys, where it goes, how it travels and which codes apply: the cart's checkout details.

Each change locks the cart like every cart change (its first statement writes the change)
and writes nothing when refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tortoise.transactions import in_transaction

from commerce.access import Caller
from commerce.checkout.addresses import MailingAddress, validate_address
from commerce.checkout.cart_contents import CartContents, cart_contents, settle_market, touch_open_cart
from commerce.discounts.usage import count_unknown_codes, normalize_code
from commerce.shop_rules.checks import country_code
from commerce.shop_rules.zones import HANDLE
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.text import check_text
from models import Cart, DiscountCode

__all__ = ["EMAIL", "check_email", "update_buyer_identity", "update_shipping_address", "select_delivery_option",
           "update_discount_codes", "MAX_CODES", "MAX_CODES_SENT"]

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_CODES = 5
MAX_CODES_SENT = 10  # a longer list is refused before anything is looked up


def check_email(email: str, field: list[str]) -> str:
    email = check_text(email, *field, max_length=254).strip()
    if not EMAIL.match(email):
        raise DomainError(Code.INVALID, "Enter a valid email address.", field)
    return email


async def _settled(cart: Cart, shop_currency: str) -> CartContents:
    """The changed cart's contents in its market (which the change may have moved: see `settle_market`)."""
    contents = await cart_contents(cart, shop_currency)
    await settle_market(contents)
    return contents


async def update_buyer_identity(caller: Caller, cart_id: str, email: str | None, country: str | None, *,
                                shop_currency: str) -> CartContents:
    """Sets what is given: the email (receipts, once-per-customer codes), the country (taxes, and the
    cart's market before it has an address: its lines are repriced there, `contents.warnings` say what changed)."""
    email = None if email is None else check_email(email, ["email"])
    country = None if country is None else country_code(country, "countryCode")
    changes = {name: value for name, value in (("email", email), ("country_code", country)) if value is not None}
    async with in_transaction():
        return await _settled(await touch_open_cart(caller, cart_id, **changes), shop_currency)


async def _priced(cart: Cart, prices_include_tax: bool, shop_currency: str) -> CartContents:
    contents = await _settled(cart, shop_currency)
    await contents.price(prices_include_tax)
    return contents


async def update_shipping_address(caller: Caller, cart_id: str, address: MailingAddress, *,
                                  prices_include_tax: bool = False, shop_currency: str) -> CartContents:
    """Sets the address (and so the cart's market: its lines are repriced there, `contents.warnings` say
    what changed); a delivery option that does not serve it any more is dropped."""
    address = validate_address(address)
    async with in_transaction():
        cart = await touch_open_cart(caller, cart_id, shipping_address=address.to_json())
        if cart.delivery_handle is None:
            return await _settled(cart, shop_currency)  # nothing to check: the answer prices it
        contents = await _priced(cart, prices_include_tax, shop_currency)
        if contents.cost.selected_delivery is None:  # priced the same without it: the cost stands
            await Cart.filter(id=cart.id).update(delivery_handle=None)
            cart.delivery_handle = None
    return contents


async def select_delivery_option(caller: Caller, cart_id: str, handle: str, *,
                                 prices_include_tax: bool = False, shop_currency: str) -> CartContents:
    """Chooses one of the cart's delivery options by handle (written first, undone when it does not fit)."""
    if not HANDLE.match(handle):  # no option has it; and the cart is written before it is priced
        async with in_transaction():
            cart = await touch_open_cart(caller, cart_id)
            if not cart.shipping_address:
                raise DomainError(Code.SHIPPING_ADDRESS_REQUIRED, "Add a shipping address first.", ["handle"])
            raise DomainError(Code.NOT_FOUND, "This cart has no delivery option with this handle.", ["handle"])
    async with in_transaction():
        cart = await touch_open_cart(caller, cart_id, delivery_handle=handle)
        if not cart.shipping_address:
            raise DomainError(Code.SHIPPING_ADDRESS_REQUIRED, "Add a shipping address first.", ["handle"])
        contents = await _priced(cart, prices_include_tax, shop_currency)
        if contents.cost.selected_delivery is None:
            raise DomainError(Code.NOT_FOUND, "This cart has no delivery option with this handle.", ["handle"])
    return contents


async def update_discount_codes(caller: Caller, cart_id: str, codes: Sequence[str], client: str = "unknown", *,
                                shop_currency: str) -> CartContents:
    """Replaces the cart's codes. Unknown or expired ones stay listed, not applicable.

    A code the cart did not have yet and the shop does not know costs a try
    (`count_unknown_codes`, per cart and per `client` address); over the limit
    the change is refused with RateLimited and the cart keeps its codes.
    """
    if len(codes) > MAX_CODES_SENT:
        raise DomainError(Code.INVALID, f"Send at most {MAX_CODES_SENT} codes.", ["codes"])
    cleaned = list(dict.fromkeys(normalize_code(c) for c in codes if c.strip()))
    if len(cleaned) > MAX_CODES:
        raise DomainError(Code.INVALID, f"At most {MAX_CODES} codes.", ["codes"])
    for i, code in enumerate(cleaned):
        check_text(code, "codes", i, max_length=64)
    async with in_transaction():
        cart = await touch_open_cart(caller, cart_id)  # locked: the codes it had are these
        contents = await _settled(cart, shop_currency)
        found = list(await DiscountCode.filter(code__in=cleaned)) if cleaned else []
        await count_unknown_codes(cart.id, client, [c for c in cleaned if c not in (cart.discount_codes or [])],
                                  known={d.code for d in found})
        cart.discount_codes = cleaned
        await cart.save(update_fields=["discount_codes", "updated_at"])
    contents.code_rows = found  # the answer prices with them, reading them not again
    return contents
