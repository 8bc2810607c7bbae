"""The cart's market (DESIGN §13): the currency and prices a cart is shown, changed and checked out in.

A cart's market serves the country of its shipping address, else its `country_code`
(`cartBuyerIdentityUpdate`, or `@inContext(country:)` when `addToCart` made it), else
it is the shop's own. The cart statements (`commerce.checkout.cart_contents`) read
that market joined on the cart's country, with the lines' explicit prices in its
currency, in the statement that reads the lines: always as it is in the database, at
no extra statement, so a cart change and checkout's step 1 price from the market of
their own transaction, never from a cached copy.

Delivery rates (their price and subtotal bounds), fixed-amount codes and minimum
subtotals are set in the shop's currency. In another market they are converted by the
market's rule as variant prices are (`derive`: its exchange rate and rounding), so the
buyer meets the shop's thresholds at the same value in their own money; percentages
(percentage codes, tax rates) hold in any currency and are unchanged. A market without
an exchange rate has no conversion: there a delivery rate is not offered and such a code
does not apply (it stays listed, not applicable). Charging a shop-currency amount as if
it were the market's would be wrong by the rate; refusing is what staff can see and fix
(give the market a rate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from commerce.checkout.addresses import MailingAddress
from commerce.checkout.shipping import DeliveryRate, Zone
from commerce.discounts.lines import Discount
from commerce.markets.markets import MarketView, market_view
from commerce.markets.prices import PriceRule, derive
from models import Cart
from models.shop_rules import DiscountKind

__all__ = ["CartWarningCode", "CartWarning", "MARKET_COLUMNS", "EXPLICIT_COLUMNS", "market_joins", "explicit_join", "row_country_sql", "cart_country",
           "market_in_row", "explicit_in_row", "convert_zones", "convert_discounts"]

_MARKET = ("id", "handle", "name", "currency", "language", "exchange_rate", "rounding")
MARKET_COLUMNS = ", ".join(f'"m"."{c}" AS "m__{c}"' for c in _MARKET)
EXPLICIT_COLUMNS = '"vp"."amount" AS "vp__amount", "vp"."compare_at_amount" AS "vp__compare_at_amount"'


class CartWarningCode(Enum):
    CURRENCY_CHANGED = "CURRENCY_CHANGED"
    MERCHANDISE_NOT_AVAILABLE = "MERCHANDISE_NOT_AVAILABLE"


@dataclass(frozen=True)
class CartWarning:
    """What a change did to the cart besides what was asked; `line_id`: the cart line it concerns."""

    code: CartWarningCode
    message: str
    line_id: int | None = None


def market_joins(country_sql: str) -> str:
    """The market serving `country_sql` (aliases mc, m) and the explicit price of variant "v" in its currency (vp)."""
    return (f' LEFT JOIN "market_country" "mc" ON "mc"."country" = {country_sql}'
            ' LEFT JOIN "market" "m" ON "m"."id" = "mc"."market_id"')


def explicit_join() -> str:
    return (' LEFT JOIN "variant_price" "vp" ON "vp"."variant_id" = "v"."id"'
            ' AND "vp"."currency" = "m"."currency"')


def row_country_sql(dialect: str) -> str:
    """The country of cart row "c": its shipping address's, else its `country_code`."""
    if dialect == "postgres":
        address = """("c"."shipping_address"->>'country_code')"""
    else:
        address = """json_extract("c"."shipping_address", '$.country_code')"""
    return f'COALESCE({address}, "c"."country_code")'


def cart_country(cart: Cart) -> str | None:
    address = MailingAddress.from_json(cart.shipping_address)
    return address.country_code if address else cart.country_code


def market_in_row(row: dict[str, Any], shop_currency: str, country: str | None) -> MarketView | None:
    """The market a cart statement's row names; None: the shop's own."""
    if row.get("m__id") is None:
        return None
    return market_view({c: row[f"m__{c}"] for c in _MARKET}, [country] if country else [], shop_currency)


def explicit_in_row(row: dict[str, Any]) -> tuple[int, int | None] | None:
    amount = row.get("vp__amount")
    return None if amount is None else (amount, row["vp__compare_at_amount"])


def _bound(rule: PriceRule, amount: int | None) -> tuple[bool, int | None]:
    if amount is None:
        return True, None
    converted = derive(rule, amount)
    return converted is not None, converted


def convert_zones(zones: Sequence[Zone], rule: PriceRule) -> list[Zone]:
    """The zones with their rates in the market's currency; a rate that cannot be converted is left out."""
    if rule.identity:
        return list(zones)
    converted = []
    for zone in zones:
        rates: list[DeliveryRate] = []
        for rate in zone.rates:
            price = derive(rule, rate.price)
            low_ok, low = _bound(rule, rate.min_subtotal)
            high_ok, high = _bound(rule, rate.max_subtotal)
            if price is not None and low_ok and high_ok:
                rates.append(replace(rate, price=price, min_subtotal=low, max_subtotal=high))
        converted.append(replace(zone, rates=rates))
    return converted


def convert_discounts(discounts: Sequence[Discount], rule: PriceRule) -> list[Discount]:
    """The codes with their amounts in the market's currency; one that cannot be converted does not apply."""
    if rule.identity:
        return list(discounts)
    converted = []
    for discount in discounts:
        value = discount.value
        if discount.kind is DiscountKind.FIXED_AMOUNT:
            value = derive(rule, discount.value)
            if value is None:
                continue
        ok, minimum = _bound(rule, discount.min_subtotal)
        if ok:
            converted.append(replace(discount, value=value, min_subtotal=minimum))
    return converted
