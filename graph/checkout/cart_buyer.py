"""Cart mutations for checkout details: buyer, shipping address, delivery option, discount codes."""

from __future__ import annotations

import strawberry

from commerce.checkout import buyer
from graph.core.access import caller, client_address
from graph.checkout.addresses import MailingAddressInput
from graph.checkout.cart import Cart, CartWarning, cart_key, cart_warnings
from graph.core.context import Info
from graph.core.errors import UserError, mutation

__all__ = ["CartBuyerMutation"]


@strawberry.type
class CartBuyerIdentityUpdatePayload:
    cart: Cart | None
    user_errors: list[UserError]
    warnings: list[CartWarning] = strawberry.field(
        default_factory=list, description="What the change did besides: a new currency, lines removed.")


@strawberry.type
class CartShippingAddressUpdatePayload:
    cart: Cart | None
    user_errors: list[UserError]
    warnings: list[CartWarning] = strawberry.field(
        default_factory=list, description="What the change did besides: a new currency, lines removed.")


@strawberry.type
class CartSelectedDeliveryOptionUpdatePayload:
    cart: Cart | None
    user_errors: list[UserError]


@strawberry.type
class CartDiscountCodesUpdatePayload:
    cart: Cart | None
    user_errors: list[UserError]


@strawberry.type
class CartBuyerMutation:
    @mutation(description="Sets the buyer's email and country (the country prices taxes before an address).")
    async def cart_buyer_identity_update(
        self, info: Info, cart_id: strawberry.ID, email: str | None = None, country_code: str | None = None
    ) -> CartBuyerIdentityUpdatePayload:
        contents = await buyer.update_buyer_identity(await caller(info), cart_key(cart_id), email, country_code,
                                                     shop_currency=info.context.settings.currency)
        return CartBuyerIdentityUpdatePayload(cart=Cart.from_contents(info, contents), user_errors=[],
                                              warnings=cart_warnings(contents))

    @mutation(description="Sets where the cart is delivered; refusals name the field, such as address.zip.")
    async def cart_shipping_address_update(
        self, info: Info, cart_id: strawberry.ID, address: MailingAddressInput
    ) -> CartShippingAddressUpdatePayload:
        contents = await buyer.update_shipping_address(
            await caller(info), cart_key(cart_id), address.parse(),
            prices_include_tax=info.context.settings.prices_include_tax, shop_currency=info.context.settings.currency)
        return CartShippingAddressUpdatePayload(cart=Cart.from_contents(info, contents), user_errors=[],
                                                warnings=cart_warnings(contents))

    @mutation(description="Chooses one of `Cart.deliveryOptions` by its handle.")
    async def cart_selected_delivery_option_update(
        self, info: Info, cart_id: strawberry.ID, handle: str
    ) -> CartSelectedDeliveryOptionUpdatePayload:
        contents = await buyer.select_delivery_option(
            await caller(info), cart_key(cart_id), handle,
            prices_include_tax=info.context.settings.prices_include_tax, shop_currency=info.context.settings.currency)
        return CartSelectedDeliveryOptionUpdatePayload(cart=Cart.from_contents(info, contents), user_errors=[])

    @mutation(description="Replaces the cart's discount codes; each is listed with whether it applies.")
    async def cart_discount_codes_update(
        self, info: Info, cart_id: strawberry.ID, codes: list[str]
    ) -> CartDiscountCodesUpdatePayload:
        contents = await buyer.update_discount_codes(await caller(info), cart_key(cart_id), codes,
                                                     client=client_address(info),
                                                     shop_currency=info.context.settings.currency)
        return CartDiscountCodesUpdatePayload(cart=Cart.from_contents(info, contents), user_errors=[])
