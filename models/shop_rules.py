"""What the shop charges besides prices: shipping zones and rates, tax rates, discount codes."""

from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model


class ShippingZone(Model):
    """Countries that share delivery rates. `*` in `countries` is the rest of the world."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    countries: list[str] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    rates: fields.ReverseRelation["ShippingRate"]

    class Meta:
        table = "shipping_zone"


class ShippingRate(Model):
    """A delivery option of a zone, offered when the cart meets its conditions (bounds inclusive)."""

    id = fields.IntField(primary_key=True)
    zone: fields.ForeignKeyRelation[ShippingZone] = fields.ForeignKeyField(
        "shop.ShippingZone", related_name="rates", on_delete=fields.CASCADE
    )
    handle = fields.CharField(max_length=64)
    title = fields.CharField(max_length=100)
    price = fields.IntField()
    min_subtotal = fields.IntField(null=True)
    max_subtotal = fields.IntField(null=True)
    min_weight_grams = fields.IntField(null=True)
    max_weight_grams = fields.IntField(null=True)
    min_delivery_days = fields.IntField(null=True)
    max_delivery_days = fields.IntField(null=True)

    class Meta:
        table = "shipping_rate"
        unique_together = (("zone", "handle"),)
        constraints = (CheckConstraint(check="price >= 0", name="shipping_rate_price_not_negative"),)


class TaxRate(Model):
    """A sales tax of a country (empty `province_code`) or of one of its provinces. They add up.
    `rate` is a percentage as a decimal string ("7.25"), never a float."""

    id = fields.IntField(primary_key=True)
    country_code = fields.CharField(max_length=2)
    province_code = fields.CharField(max_length=8, default="")
    rate = fields.CharField(max_length=16)
    title = fields.CharField(max_length=100)
    applies_to_shipping = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "tax_rate"
        unique_together = (("country_code", "province_code"),)


class DiscountKind(str, Enum):
    PERCENTAGE = "percentage"
    FIXED_AMOUNT = "fixed_amount"
    FREE_SHIPPING = "free_shipping"


class DiscountCode(Model):
    """A code shoppers enter. Its value is in basis points for PERCENTAGE (1000 is 10%), minor units for FIXED_AMOUNT."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    kind = fields.CharEnumField(DiscountKind, max_length=16)
    value = fields.IntField(default=0)
    min_subtotal = fields.IntField(null=True)
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    usage_limit = fields.IntField(null=True)
    used_count = fields.IntField(default=0)
    once_per_customer = fields.BooleanField(default=False)
    collection_ids: list[int] = fields.JSONField(default=list)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "discount_code"
        constraints = (CheckConstraint(check="used_count >= 0", name="discount_code_used_count_not_negative"),)


class DiscountRedemption(Model):
    """A discount code held by an order. Deleted, and the use given back, when the order ends unpaid.

    `once_key` is the customer's key when this is their one use of a once-per-customer
    code (null for other codes): unique per code, so two orders never both hold it.
    """

    id = fields.IntField(primary_key=True)
    discount: fields.ForeignKeyRelation[DiscountCode] = fields.ForeignKeyField(
        "shop.DiscountCode", related_name="redemptions", on_delete=fields.CASCADE
    )
    order: fields.ForeignKeyRelation["Order"] = fields.ForeignKeyField(  # noqa: F821
        "shop.Order", related_name="discount_redemptions", on_delete=fields.CASCADE
    )
    customer_key = fields.CharField(max_length=300, db_index=True)
    once_key = fields.CharField(max_length=300, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "discount_redemption"
        unique_together = (("discount", "order"), ("discount", "once_key"))
