"""Carts: add, change and remove lines, with prices and stock from the database.

Every change runs in one transaction whose first statement locks the cart row
and touches it (`commerce.checkout.cart_contents.touch_open_cart`: an UPDATE,
so PostgreSQL's row lock and SQLite's single writer), so concurrent changes to
one cart apply one after another and none is lost. A refused change writes
nothing: its transaction is undone. The cart's lines, variants, products and
images come in one more statement (`cart_contents`), which the change returns
so the answer shows the cart without reading it again.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tortoise.transactions import in_transaction

from commerce.access import Caller
from commerce.checkout.cart_contents import (
    CartContents, cart_contents, line_name, read_cart, settle_market, touch_open_cart,
)
from commerce.errors import DomainError, UserErrorCode
from commerce.wallet.addresses import default_address_json
from models import Cart, CartLine, CartStatus, Product, ProductVariant

__all__ = ["MAX_LINE_QUANTITY", "get_cart", "add_to_cart", "update_cart_line", "remove_from_cart", "purge_carts"]

MAX_LINE_QUANTITY = 999


def _check_quantity(quantity: int, field: str, *, minimum: int) -> None:
    if not minimum <= quantity <= MAX_LINE_QUANTITY:
        raise DomainError(
            UserErrorCode.INVALID,
            f"Quantity must be between {minimum} and {MAX_LINE_QUANTITY}.",
            [field],
        )


def _check_stock(variant: ProductVariant, quantity: int, field: str) -> None:
    if variant.stock <= 0:
        raise DomainError(UserErrorCode.OUT_OF_STOCK, f"{line_name(variant)} is out of stock.", [field])
    if quantity > variant.stock:
        raise DomainError(
            UserErrorCode.INSUFFICIENT_STOCK,
            f"Only {variant.stock} of {line_name(variant)} available.",
            [field],
        )


async def _variant_id_of_product(product_id: int) -> int:
    """A product names its only variant (the deprecated `productId` of addToCart)."""
    variants = await ProductVariant.filter(product_id=product_id).limit(2).values_list("id", flat=True)
    if not variants:
        if not await Product.exists(id=product_id):
            raise DomainError.not_found("product", "productId")
        raise DomainError(UserErrorCode.OUT_OF_STOCK, "This product has nothing for sale.", ["productId"])
    if len(variants) > 1:
        raise DomainError(
            UserErrorCode.INVALID, "This product comes in several variants: choose a variant (variantId).", ["productId"]
        )
    return variants[0]


async def _locked_open_cart(caller: Caller, cart_id: str) -> Cart:
    return await touch_open_cart(caller, cart_id)


async def get_cart(caller: Caller, cart_id: str, shop_currency: str) -> CartContents | None:
    """The cart with its lines, or None when there is none or it is someone else's."""
    return await read_cart(caller, cart_id, shop_currency)


async def _new_cart(caller: Caller, variant_id: int, shop_currency: str, country: str | None) -> CartContents:
    """An empty new cart and the variant to add, read before the cart is written. Its market is that
    of the buyer's default address, else of `country` (the buyer's context), else the shop's own."""
    address = await default_address_json(caller.customer_id)
    placeholder = Cart(id="", country_code=country, shipping_address=address)  # no cart has this id
    contents = await cart_contents(placeholder, shop_currency, also_variant=variant_id)
    if contents.variants.get(variant_id) is None:
        raise DomainError.not_found("variant", "variantId")
    contents.cart = await Cart.create(currency=contents.currency, customer_id=caller.customer_id,
                                      country_code=country, shipping_address=address)
    return contents


async def add_to_cart(
    caller: Caller, cart_id: str | None, quantity: int, *, variant_id: int | None = None, product_id: int | None = None,
    shop_currency: str, country: str | None = None,
) -> CartContents:
    """Adds `quantity` of a variant (or of a product's only variant); with no `cart_id`, to a new cart
    whose buyer is in `country` (None: unknown). NOT_AVAILABLE_IN_MARKET for a variant with no price
    in the cart's market.

    Three statements for a variant: the cart locked and touched (or, for a new cart, the
    variant read first and the cart inserted), the cart's lines with the variant, the line.
    """
    if (variant_id is None) == (product_id is None):
        raise DomainError(UserErrorCode.INVALID, "Give a variantId.", ["variantId"])
    _check_quantity(quantity, "quantity", minimum=1)
    field = "variantId" if variant_id is not None else "productId"
    async with in_transaction():
        if variant_id is None:
            variant_id = await _variant_id_of_product(product_id)
        if cart_id is None:
            contents = await _new_cart(caller, variant_id, shop_currency, country)
        else:
            contents = await cart_contents(await _locked_open_cart(caller, cart_id), shop_currency,
                                           also_variant=variant_id)
        variant = contents.variants.get(variant_id)
        if variant is None:
            raise DomainError.not_found("variant", "variantId")
        if contents.unit_price(variant_id) is None:
            raise DomainError(UserErrorCode.NOT_AVAILABLE_IN_MARKET,
                              f"{line_name(variant)} is not sold in {contents.market.name}.", [field])
        await settle_market(contents)
        cart, line = contents.cart, contents.line_of(variant_id)
        new_quantity = quantity + (line.quantity if line else 0)
        if new_quantity > MAX_LINE_QUANTITY:
            raise DomainError(
                UserErrorCode.INVALID, f"A line holds at most {MAX_LINE_QUANTITY}.", ["quantity"]
            )
        _check_stock(variant, new_quantity, "quantity")
        if line is None:
            line = await CartLine.create(cart_id=cart.id, product_id=variant.product_id, variant_id=variant.id,
                                         quantity=new_quantity)
            contents.lines.append(line)
        else:
            line.quantity = new_quantity
            await line.save(update_fields=["quantity", "updated_at"])
    _drop_unlisted(contents)
    return contents


def _drop_unlisted(contents: CartContents) -> None:
    """Keeps only what the cart's lines hold (an add reads the added variant too)."""
    held = {line.variant_id for line in contents.lines}
    contents.variants = {i: v for i, v in contents.variants.items() if i in held}
    products = {v.product_id for v in contents.variants.values()}
    contents.products = {i: p for i, p in contents.products.items() if i in products}
    contents.images = {i: found for i, found in contents.images.items() if i in products}


async def update_cart_line(caller: Caller, cart_id: str, line_id: int, quantity: int, *,
                           shop_currency: str) -> CartContents:
    """Sets a line's quantity; 0 removes the line."""
    _check_quantity(quantity, "quantity", minimum=0)
    async with in_transaction():
        contents = await cart_contents(await _locked_open_cart(caller, cart_id), shop_currency)
        await settle_market(contents)
        line = next((line for line in contents.lines if line.id == line_id), None)
        if line is None:
            raise DomainError.not_found("line in this cart", "lineId")
        if quantity == 0:
            await line.delete()
            contents.lines.remove(line)
        else:
            _check_stock(contents.variants[line.variant_id], quantity, "quantity")
            line.quantity = quantity
            await line.save(update_fields=["quantity", "updated_at"])
    _drop_unlisted(contents)
    return contents


async def remove_from_cart(caller: Caller, cart_id: str, line_id: int, *, shop_currency: str) -> CartContents:
    async with in_transaction():
        contents = await cart_contents(await _locked_open_cart(caller, cart_id), shop_currency)
        await settle_market(contents)
        line = next((line for line in contents.lines if line.id == line_id), None)
        if line is None:
            raise DomainError.not_found("line in this cart", "lineId")
        await line.delete()
        contents.lines.remove(line)
    _drop_unlisted(contents)
    return contents


async def purge_carts(older_than: timedelta, now: datetime | None = None) -> int:
    """Deletes open guest carts with no lines untouched for `older_than`; returns how many."""
    cutoff = (now or datetime.now(timezone.utc)) - older_than
    async with in_transaction():
        ids = await Cart.filter(
            status=CartStatus.OPEN, customer_id=None, updated_at__lt=cutoff, lines__id__isnull=True
        ).values_list("id", flat=True)
        if not ids:
            return 0
        # A cart changed since it was read has a newer updated_at and is kept.
        return await Cart.filter(id__in=list(ids), updated_at__lt=cutoff).delete()
