"""What a cart costs, as the API shows it: delivery options, codes, tax lines and `CartCost`."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import strawberry

from commerce.checkout.costs import CartCost as Cost
from commerce.checkout.shipping import DeliveryRate
from graph.core.context import Info
from graph.core.money import Money
from models import Cart as CartModel

__all__ = ["DeliveryOption", "CartDiscountCode", "CartDiscountAllocation", "TaxLine", "CartCost",
           "ShippingLine", "DiscountApplication", "OrderCost", "load_cost", "delivery_option"]


@strawberry.type(description="A way to deliver the cart to its address, priced for this cart.")
class DeliveryOption:
    handle: str
    title: str
    estimated_cost: Money
    min_delivery_days: int | None
    max_delivery_days: int | None


@strawberry.type(description="A code entered on the cart; one that is unknown, expired or not met is not applicable.")
class CartDiscountCode:
    code: str
    applicable: bool


@strawberry.type(description="What one code takes off the cart.")
class CartDiscountAllocation:
    code: str
    discounted_amount: Money


@strawberry.type(description="A tax, its rate and the amount it comes to.")
class TaxLine:
    title: str
    rate_percentage: Decimal
    amount: Money


@strawberry.type(description="subtotal - discount + shipping + tax = total (tax is included in prices when the shop says so).")
class CartCost:
    subtotal: Money
    discount: Money
    shipping: Money
    tax: Money | None = strawberry.field(description="Null until the tax country is known.")
    total: Money
    taxes_included: bool


@strawberry.type(description="The delivery an order was bought with, as it was priced then.")
class ShippingLine:
    handle: str
    title: str
    price: Money
    discount: Money
    tax: Money


@strawberry.type(description="A discount code an order was bought with and what it took off.")
class DiscountApplication:
    code: str
    amount: Money


@strawberry.type(description="An order's amounts as computed at checkout.")
class OrderCost:
    subtotal: Money
    discount: Money
    shipping: Money
    tax: Money
    total: Money
    taxes_included: bool


def delivery_option(rate: DeliveryRate, currency: str) -> DeliveryOption:
    return DeliveryOption(handle=rate.handle, title=rate.title, estimated_cost=Money.of(rate.price, currency),
                          min_delivery_days=rate.min_delivery_days, max_delivery_days=rate.max_delivery_days)


def load_cost(info: Info, model: CartModel, memo: dict) -> "asyncio.Future[Cost]":
    """The cart's cost in its market, computed once per response however many fields ask for it, from
    what the change or the read brought (`memo["contents"]`, commerce.checkout.cart_contents)."""
    if "cost" not in memo:
        memo["cost"] = asyncio.ensure_future(memo["contents"].price(info.context.settings.prices_include_tax))
    return memo["cost"]
