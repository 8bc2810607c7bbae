"""A cart's cost from the database: its lines, codes, delivery zones and tax rates.

The same function prices a cart read and checkout's first transaction, in a
fixed number of queries whatever the number of lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from commerce.checkout.addresses import MailingAddress
from commerce.checkout.cart_market import convert_discounts, convert_zones
from commerce.checkout.costs import CartCost, CostInput, CostLine, cart_costs, compute_costs
from commerce.discounts.usage import customer_key, live_discounts
from commerce.checkout.taxes import RateTableCalculator, TaxCalculator
from commerce.shop_rules.zones import load_zones, load_zones_and_tax_rates
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.markets.prices import PriceRule
from models import Cart, CartLine, DiscountCode, ProductVariant

__all__ = ["BUILT_IN_TAXES", "cost_lines", "price_cart", "require_delivery"]

BUILT_IN_TAXES = RateTableCalculator()


def cost_lines(lines: Sequence[CartLine], variants: dict[int, ProductVariant],
               prices: dict[int, int]) -> list[CostLine]:
    """Cart lines as the cost computation sees them: the unit price in the cart's market (`prices`, by
    variant id; a line whose variant is not for sale there is left out), weight and delivery from the variant."""
    return [
        CostLine(line.id, line.quantity, prices[line.variant_id],
                 weight_grams=variants[line.variant_id].weight_grams,
                 requires_shipping=variants[line.variant_id].requires_shipping)
        for line in lines
        if line.variant_id in variants and line.variant_id in prices
    ]


async def price_cart(
    cart: Cart,
    lines: Sequence[CostLine],
    *,
    prices_include_tax: bool,
    customer_id: int | None = None,
    calculator: TaxCalculator = BUILT_IN_TAXES,
    now: datetime | None = None,
    code_rows: Sequence[DiscountCode] | None = None,
    rule: PriceRule | None = None,
) -> CartCost:
    """What the cart costs now, in the currency of `rule` (the cart's market; None: the shop's own), with
    delivery rates and codes converted into it (`commerce.checkout.cart_market`); `code_rows`: the shop's
    codes among the cart's, when just read."""
    address = MailingAddress.from_json(cart.shipping_address)
    who = customer_key(cart.customer_id or customer_id, cart.email)
    country = address.country_code if address else cart.country_code
    province = address.province_code if address else ""
    discounts = await live_discounts(cart.discount_codes or [], who, now, code_rows)
    # delivery is priced only once a country is known (costs.py): no zones to read before
    ships = country is not None and any(line.requires_shipping for line in lines)
    rates = None
    if ships and calculator is BUILT_IN_TAXES:  # zones and tax rates in one statement
        zones, rates = await load_zones_and_tax_rates(country, province)
    else:
        zones = await load_zones() if ships else ()
    if rule is not None:
        discounts, zones = convert_discounts(discounts, rule), convert_zones(zones, rule)
    data = CostInput(lines=lines, discounts=discounts, zones=zones, country_code=country, province_code=province,
                     delivery_handle=cart.delivery_handle, prices_include_tax=prices_include_tax)
    return compute_costs(data, rates) if rates is not None else await cart_costs(data, calculator)


def require_delivery(cart: Cart, cost: CartCost, field: list[str]) -> None:
    """A cart that ships needs an address and a delivery option that fits it."""
    if not cost.requires_shipping:
        return
    if not cart.shipping_address:
        raise DomainError(Code.SHIPPING_ADDRESS_REQUIRED, "Add a shipping address first.", field)
    if cost.selected_delivery is None:
        message = ("Choose a delivery option." if cost.delivery_options
                   else "We do not deliver to this address.")
        raise DomainError(Code.DELIVERY_OPTION_REQUIRED, message, field)
