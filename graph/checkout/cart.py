"""Cart types, the `cart` query and the cart mutations."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from commerce.checkout import carts
from commerce.checkout.cart_contents import CartContents
from commerce.checkout.cart_market import CartWarning as CartWarningData, CartWarningCode as _CartWarningCode
from commerce.checkout.pricing import PricedLine, cart_totals, price_line
from graph.core.access import caller
from graph.catalog.types import Product, ProductVariant, product_key, variant_key
from graph.checkout.addresses import MailingAddress
from graph.checkout.cost import (
    CartCost, CartDiscountAllocation, CartDiscountCode, DeliveryOption, TaxLine, delivery_option, load_cost,
)
from graph.core.context import Info
from graph.core.errors import UserError, mutation
from graph.core.money import CurrencyCode, Money
from graph.core.node import Node, register_node
from graph.core.ids import int_key, known, secret_key, secret_key_of, to_global_id
from models import Cart as CartModel, CartLine as CartLineModel, CartStatus as _CartStatus

__all__ = ["Cart", "CartLine", "CartWarning", "CartQuery", "CartMutation", "cart_key", "cart_warnings"]

CartStatus = strawberry.enum(
    Enum("CartStatus", {s.name: s.name for s in _CartStatus}),
    description="OPEN carts take changes; a CHECKED_OUT cart became an order.",
)


CartWarningCode = strawberry.enum(
    Enum("CartWarningCode", {c.name: c.name for c in _CartWarningCode}),
    description="What a cart change did besides what was asked.",
)


@strawberry.type(description="Something a change did to the cart that the buyer should know, as Shopify's CartWarning: "
                 "its currency changed with its market (CURRENCY_CHANGED), a line was removed because its "
                 "variant is not sold in the new market (MERCHANDISE_NOT_AVAILABLE, `target` names the line).")
class CartWarning:
    code: CartWarningCode
    message: str
    target: strawberry.ID | None


def cart_warnings(contents: CartContents) -> list[CartWarning]:
    return [_warning(w) for w in contents.warnings]


def _warning(warning: CartWarningData) -> CartWarning:
    target = None if warning.line_id is None else strawberry.ID(to_global_id("CartLine", warning.line_id))
    return CartWarning(code=CartWarningCode[warning.code.name], message=warning.message, target=target)


@strawberry.type(description="One variant in a cart, priced now from the catalog in the cart's market.")
class CartLine:
    id: strawberry.ID
    quantity: int
    variant: ProductVariant
    product: Product
    unit_price: Money
    total: Money

    @strawberry.field(description="The variant bought, in the cart's currency (as `variant`).")
    def merchandise(self) -> ProductVariant:
        return self.variant


@strawberry.type(description="A shopper's cart. Its id is unguessable; keep it to come back to the cart.")
class Cart(Node):
    status: CartStatus
    created_at: datetime
    updated_at: datetime
    email: str | None
    shipping_address: MailingAddress | None
    pk: strawberry.Private[str]
    currency: strawberry.Private[str]
    model: strawberry.Private[CartModel]
    memo: strawberry.Private[dict]

    @classmethod
    def from_model(cls, model: CartModel) -> "Cart":
        return cls(
            id=strawberry.ID(to_global_id("Cart", model.id)),
            pk=model.id,
            currency=model.currency,
            status=CartStatus[model.status.name],
            created_at=model.created_at,
            updated_at=model.updated_at,
            email=model.email,
            shipping_address=MailingAddress.of(model.shipping_address),
            model=model,
            memo={},
        )

    @classmethod
    def from_contents(cls, info: Info, contents: CartContents) -> "Cart":
        """The cart as a change or a read left it: its lines, variants, products, images (and
        cost, when the change priced it) become this request's, so the answer reads nothing again."""
        loaders = info.context.loaders
        loaders.forget_catalog()
        loaders.cart_lines_by_cart_id.prime(contents.cart.id, contents.lines, force=True)
        loaders.variant_by_id.prime_many(contents.variants, force=True)
        loaders.product_by_id.prime_many(contents.products, force=True)
        loaders.images_by_product_id.prime_many(contents.images, force=True)
        cart = cls.from_model(contents.cart)
        cart.currency = contents.currency
        cart.memo["contents"] = contents  # priced from these (`load_cost`), once, if the answer asks
        return cart

    async def _priced(self, info: Info) -> list[tuple[CartLineModel, ProductVariant, Product, PricedLine]]:
        """The lines for sale in the cart's market, priced there (a line that is not is left out until
        the next change removes it)."""
        contents: CartContents = self.memo["contents"]
        found = []
        for line in contents.lines:
            variant = contents.variants.get(line.variant_id)
            product = contents.products.get(line.product_id)
            shown = None if variant is None else ProductVariant.priced(
                variant, contents.rule, contents.explicit.get(variant.id))
            if shown is None or product is None:
                continue
            found.append((line, shown, Product.from_model(product),
                          price_line(line.quantity, contents.unit_price(variant.id)[0])))
        return found

    @strawberry.field(description="The cart's currency: its market's.")
    def currency_code(self) -> CurrencyCode:
        return CurrencyCode(self.currency)

    @strawberry.field
    async def lines(self, info: Info) -> list[CartLine]:
        return [
            CartLine(
                id=strawberry.ID(to_global_id("CartLine", line.id)),
                quantity=line.quantity,
                variant=variant,
                product=product,
                unit_price=Money.of(priced.unit_price, self.currency),
                total=Money.of(priced.total, self.currency),
            )
            for line, variant, product, priced in await self._priced(info)
        ]

    @strawberry.field
    async def total_quantity(self, info: Info) -> int:
        return cart_totals(p for *_, p in await self._priced(info)).quantity

    @strawberry.field(description="The sum of the lines at today's prices.")
    async def subtotal(self, info: Info) -> Money:
        return Money.of(cart_totals(p for *_, p in await self._priced(info)).subtotal, self.currency)

    @strawberry.field(description="What checkout would charge now (`cost.total`).")
    async def total(self, info: Info) -> Money:
        return Money.of((await load_cost(info, self.model, self.memo)).total, self.currency)

    @strawberry.field(description="Whether any line is delivered; then checkout needs an address and an option.")
    async def requires_shipping(self, info: Info) -> bool:
        return (await load_cost(info, self.model, self.memo)).requires_shipping

    @strawberry.field(description="The options of the address's zone that fit this cart, cheapest first.")
    async def delivery_options(self, info: Info) -> list[DeliveryOption]:
        cost = await load_cost(info, self.model, self.memo)
        return [delivery_option(rate, self.currency) for rate in cost.delivery_options]

    @strawberry.field(description="The chosen option; null when none is chosen or it no longer fits.")
    async def selected_delivery_option(self, info: Info) -> DeliveryOption | None:
        selected = (await load_cost(info, self.model, self.memo)).selected_delivery
        return None if selected is None else delivery_option(selected, self.currency)

    @strawberry.field
    async def discount_codes(self, info: Info) -> list[CartDiscountCode]:
        cost = await load_cost(info, self.model, self.memo)
        return [CartDiscountCode(code=c, applicable=c in cost.applicable_codes) for c in self.model.discount_codes or []]

    @strawberry.field
    async def discount_allocations(self, info: Info) -> list[CartDiscountAllocation]:
        cost = await load_cost(info, self.model, self.memo)
        return [CartDiscountAllocation(code=c, discounted_amount=Money.of(a, self.currency))
                for c, a in cost.discount_applications.items()]

    @strawberry.field
    async def tax_lines(self, info: Info) -> list[TaxLine]:
        cost = await load_cost(info, self.model, self.memo)
        return [TaxLine(title=t.title, rate_percentage=t.percentage, amount=Money.of(t.amount, self.currency))
                for t in cost.tax_lines]

    @strawberry.field
    async def cost(self, info: Info) -> CartCost:
        cost = await load_cost(info, self.model, self.memo)
        m = lambda amount: Money.of(amount, self.currency)  # noqa: E731
        return CartCost(subtotal=m(cost.subtotal), discount=m(cost.discount), shipping=m(cost.shipping),
                        tax=None if cost.tax is None else m(cost.tax), total=m(cost.total),
                        taxes_included=cost.taxes_included)


def cart_key(global_id: str | None, field: str = "cartId") -> str:
    """The database id inside a Cart id; NOT_FOUND for anything else."""
    return known(secret_key(global_id, "Cart"), "cart", field)


def _line_key(global_id: str) -> int:
    return known(int_key(global_id, "CartLine"), "line in this cart", "lineId")


async def _cart_node(info: Info, key: str) -> Cart | None:
    contents = await carts.get_cart(await caller(info), key, info.context.settings.currency)
    return None if contents is None else Cart.from_contents(info, contents)


register_node("Cart", secret_key_of, _cart_node)


@strawberry.type
class AddToCartPayload:
    cart: Cart | None
    user_errors: list[UserError]
    warnings: list[CartWarning] = strawberry.field(
        default_factory=list, description="What the change did besides: a new currency, lines removed.")


@strawberry.type
class UpdateCartLinePayload:
    cart: Cart | None
    user_errors: list[UserError]


@strawberry.type
class RemoveFromCartPayload:
    cart: Cart | None
    user_errors: list[UserError]


def _fresh(info: Info, contents: CartContents) -> Cart:
    """The changed cart, with what this request read before the change replaced."""
    return Cart.from_contents(info, contents)


@strawberry.type
class CartQuery:
    @strawberry.field(description="A cart by its id; null when there is none.")
    async def cart(self, info: Info, id: strawberry.ID) -> Cart | None:
        key = secret_key(id, "Cart")
        return None if key is None else await _cart_node(info, key)


@strawberry.type
class CartMutation:
    @mutation(description="Adds a variant to a cart; with no cartId, to a new cart.")
    async def add_to_cart(
        self,
        info: Info,
        variant_id: strawberry.ID | None = None,
        cart_id: strawberry.ID | None = None,
        quantity: int = 1,
        product_id: Annotated[strawberry.ID | None, strawberry.argument(
            deprecation_reason="Use `variantId`; a product id works only for a product with one variant."
        )] = None,
    ) -> AddToCartPayload:
        key = None if cart_id is None else cart_key(cart_id)
        contents = await carts.add_to_cart(
            await caller(info), key, quantity,
            variant_id=None if variant_id is None else variant_key(variant_id, field="variantId"),
            product_id=None if product_id is None else product_key(product_id, field="productId"),
            shop_currency=info.context.settings.currency, country=info.context.country,
        )
        return AddToCartPayload(cart=_fresh(info, contents), user_errors=[], warnings=cart_warnings(contents))

    @mutation(description="Sets a line's quantity; 0 removes the line.")
    async def update_cart_line(
        self, info: Info, cart_id: strawberry.ID, line_id: strawberry.ID, quantity: int
    ) -> UpdateCartLinePayload:
        contents = await carts.update_cart_line(await caller(info), cart_key(cart_id), _line_key(line_id), quantity,
                                                shop_currency=info.context.settings.currency)
        return UpdateCartLinePayload(cart=_fresh(info, contents), user_errors=[])

    @mutation(description="Removes a line from a cart.")
    async def remove_from_cart(self, info: Info, cart_id: strawberry.ID, line_id: strawberry.ID) -> RemoveFromCartPayload:
        contents = await carts.remove_from_cart(await caller(info), cart_key(cart_id), _line_key(line_id),
                                                shop_currency=info.context.settings.currency)
        return RemoveFromCartPayload(cart=_fresh(info, contents), user_errors=[])
