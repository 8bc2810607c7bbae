"""Markets: where the shop sells, in which currency and language, and prices per currency.

The shop itself is the primary market (its currency is `SHOPGRAPH_CURRENCY`, its
language `SHOPGRAPH_LANGUAGE`) and has no row: a row here is another market, with
the countries it serves. A variant's price in a currency other than the shop's is
either a `VariantPrice` row (set by staff) or derived from its base price by the
market's exchange rate and rounding rule (`commerce.markets.prices`).
"""

from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model


class Rounding(str, Enum):
    NONE = "none"  # to the nearest minor unit
    WHOLE = "whole"  # up to a whole unit of the currency
    NINETY_NINE = "ninety_nine"  # up to the next .99


class Market(Model):
    id = fields.IntField(primary_key=True)
    handle = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=100)
    currency = fields.CharField(max_length=3)
    language = fields.CharField(max_length=2)  # ISO 639-1, upper-case
    # Units of the market's currency for one unit of the shop's, a decimal string ("0.92");
    # None: only variants with an explicit price in the market's currency are for sale there.
    exchange_rate = fields.CharField(max_length=32, null=True)
    rounding = fields.CharEnumField(Rounding, max_length=16, default=Rounding.NONE)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    countries: fields.ReverseRelation["MarketCountry"]

    class Meta:
        table = "market"


class MarketCountry(Model):
    """A country a market serves. A country is in at most one market (the primary one serves the rest)."""

    id = fields.IntField(primary_key=True)
    market: fields.ForeignKeyRelation[Market] = fields.ForeignKeyField(
        "shop.Market", related_name="countries", on_delete=fields.CASCADE
    )
    country = fields.CharField(max_length=2, unique=True)

    class Meta:
        table = "market_country"


class VariantPrice(Model):
    """A variant's explicit price in a currency other than the shop's, in that currency's minor units."""

    id = fields.IntField(primary_key=True)
    variant: fields.ForeignKeyRelation["ProductVariant"] = fields.ForeignKeyField(  # noqa: F821
        "shop.ProductVariant", related_name="prices", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyRelation["Product"] = fields.ForeignKeyField(  # noqa: F821
        "shop.Product", related_name="variant_prices", on_delete=fields.CASCADE
    )
    currency = fields.CharField(max_length=3)
    amount = fields.IntField()
    compare_at_amount = fields.IntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "variant_price"
        unique_together = (("variant", "currency"),)
        indexes = (("currency", "product_id"),)
        constraints = (CheckConstraint(check="amount >= 0", name="variant_price_not_negative"),)
