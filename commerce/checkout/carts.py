"""Carts: add, change and remove lines, with prices and stock from the database.

Every change runs in one transaction that first locks the cart row, so
concurrent changes to one cart apply one after another and none is lost
(PostgreSQL: `SELECT … FOR UPDATE`; SQLite: its single writer). A refused
change writes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tortoise.transactions import in_transaction

from commerce.access import Caller, can_use_cart
from commerce.errors import DomainError, UserErrorCode
from commerce.wallet.addresses import default_address_json
from models import Cart, CartLine, CartStatus, Product, ProductVariant

__all__ = ["MAX_LINE_QUANTITY", "locked_open_cart", "get_cart", "add_to_cart", "update_cart_line", "remove_from_cart", "purge_carts"]

MAX_LINE_QUANTITY = 999


def _check_quantity(quantity: int, field: str, *, minimum: int) -> None:
    if not minimum <= quantity <= MAX_LINE_QUANTITY:
        raise DomainError(
            UserErrorCode.INVALID,
            f"Quantity must be between {minimum} and {MAX_LINE_QUANTITY}.",
            [field],
        )


def _name(variant: ProductVariant) -> str:
    product: Product = variant.product
    return product.title if variant.title == "Default" else f"{product.title} ({variant.title})"


def _check_stock(variant: ProductVariant, quantity: int, field: str) -> None:
    if variant.stock <= 0:
        raise DomainError(UserErrorCode.OUT_OF_STOCK, f"{_name(variant)} is out of stock.", [field])
    if quantity > variant.stock:
        raise DomainError(
            UserErrorCode.INSUFFICIENT_STOCK,
            f"Only {variant.stock} of {_name(variant)} available.",
            [field],
        )


async def _variant_to_add(variant_id: int | None, product_id: int | None) -> tuple[ProductVariant, str]:
    """The variant to add and the input field that named it; a product names its only variant."""
    if variant_id is not None:
        variant = await ProductVariant.get_or_none(id=variant_id).select_related("product")
        if variant is None:
            raise DomainError.not_found("variant", "variantId")
        return variant, "variantId"
    variants = await ProductVariant.filter(product_id=product_id).select_related("product").limit(2)
    if not variants:
        if not await Product.exists(id=product_id):
            raise DomainError.not_found("product", "productId")
        raise DomainError(UserErrorCode.OUT_OF_STOCK, "This product has nothing for sale.", ["productId"])
    if len(variants) > 1:
        raise DomainError(
            UserErrorCode.INVALID, "This product comes in several variants: choose a variant (variantId).", ["productId"]
        )
    return variants[0], "productId"


async def _locked_open_cart(caller: Caller, cart_id: str) -> Cart:
    cart = await Cart.filter(id=cart_id).select_for_update().first()
    if cart is None or not can_use_cart(caller, cart):
        raise DomainError.not_found("cart", "cartId")
    if cart.status is not CartStatus.OPEN:
        raise DomainError(
            UserErrorCode.CART_ALREADY_CHECKED_OUT, "This cart has been checked out.", ["cartId"]
        )
    return cart


locked_open_cart = _locked_open_cart  # for the other cart changes (commerce.checkout.buyer)


async def get_cart(caller: Caller, cart_id: str) -> Cart | None:
    """The cart, or None when there is none or it is someone else's."""
    cart = await Cart.get_or_none(id=cart_id)
    return cart if cart is not None and can_use_cart(caller, cart) else None


async def add_to_cart(
    caller: Caller, cart_id: str | None, quantity: int, *, variant_id: int | None = None, product_id: int | None = None
) -> Cart:
    """Adds `quantity` of a variant (or of a product's only variant); with no `cart_id`, to a new cart."""
    if (variant_id is None) == (product_id is None):
        raise DomainError(UserErrorCode.INVALID, "Give a variantId.", ["variantId"])
    _check_quantity(quantity, "quantity", minimum=1)
    async with in_transaction():
        variant, field = await _variant_to_add(variant_id, product_id)
        product: Product = variant.product
        if cart_id is None:
            cart = await Cart.create(currency=product.currency, customer_id=caller.customer_id,
                                     shipping_address=await default_address_json(caller.customer_id))
            line = None
        else:
            cart = await _locked_open_cart(caller, cart_id)
            line = await CartLine.get_or_none(cart_id=cart.id, variant_id=variant.id)
        if product.currency != cart.currency:
            raise DomainError(
                UserErrorCode.INVALID, "This product is sold in another currency than the cart.", [field]
            )
        new_quantity = quantity + (line.quantity if line else 0)
        if new_quantity > MAX_LINE_QUANTITY:
            raise DomainError(
                UserErrorCode.INVALID, f"A line holds at most {MAX_LINE_QUANTITY}.", ["quantity"]
            )
        _check_stock(variant, new_quantity, "quantity")
        if line is None:
            await CartLine.create(cart_id=cart.id, product_id=product.id, variant_id=variant.id, quantity=new_quantity)
        else:
            line.quantity = new_quantity
            await line.save(update_fields=["quantity", "updated_at"])
        await cart.save(update_fields=["updated_at"])
    return cart


async def update_cart_line(caller: Caller, cart_id: str, line_id: int, quantity: int) -> Cart:
    """Sets a line's quantity; 0 removes the line."""
    _check_quantity(quantity, "quantity", minimum=0)
    async with in_transaction():
        cart = await _locked_open_cart(caller, cart_id)
        line = await CartLine.get_or_none(id=line_id, cart_id=cart.id).select_related("variant__product")
        if line is None:
            raise DomainError.not_found("line in this cart", "lineId")
        if quantity == 0:
            await line.delete()
        else:
            _check_stock(line.variant, quantity, "quantity")
            line.quantity = quantity
            await line.save(update_fields=["quantity", "updated_at"])
        await cart.save(update_fields=["updated_at"])
    return cart


async def remove_from_cart(caller: Caller, cart_id: str, line_id: int) -> Cart:
    async with in_transaction():
        cart = await _locked_open_cart(caller, cart_id)
        deleted = await CartLine.filter(id=line_id, cart_id=cart.id).delete()
        if not deleted:
            raise DomainError.not_found("line in this cart", "lineId")
        await cart.save(update_fields=["updated_at"])
    return cart


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
