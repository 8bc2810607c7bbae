from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.ids import new_secret_id


class CartStatus(str, Enum):
    OPEN = "open"
    CHECKED_OUT = "checked_out"


class Cart(Model):
    """A shopper's cart. Its id is unguessable: holding it is what lets a guest use the cart."""

    id = fields.CharField(max_length=32, primary_key=True, default=new_secret_id)
    status = fields.CharEnumField(CartStatus, max_length=16, default=CartStatus.OPEN)
    currency = fields.CharField(max_length=3)
    customer: fields.ForeignKeyNullableRelation["Customer"] = fields.ForeignKeyField(  # noqa: F821
        "shop.Customer", related_name="carts", null=True, on_delete=fields.CASCADE
    )
    email = fields.CharField(max_length=254, null=True)
    # The buyer's country before there is an address (taxes and delivery need one).
    country_code = fields.CharField(max_length=2, null=True)
    shipping_address: dict | None = fields.JSONField(null=True)
    delivery_handle = fields.CharField(max_length=64, null=True)
    discount_codes: list[str] | None = fields.JSONField(null=True)  # None: no codes
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True, db_index=True)

    lines: fields.ReverseRelation["CartLine"]

    class Meta:
        table = "cart"


class CartLine(Model):
    """One variant in a cart, once: adding it again raises the quantity. `product` is the variant's."""

    id = fields.IntField(primary_key=True)
    cart: fields.ForeignKeyRelation[Cart] = fields.ForeignKeyField(
        "shop.Cart", related_name="lines", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyRelation["Product"] = fields.ForeignKeyField(  # noqa: F821
        "shop.Product", related_name="cart_lines", on_delete=fields.CASCADE
    )
    variant: fields.ForeignKeyRelation["ProductVariant"] = fields.ForeignKeyField(  # noqa: F821
        "shop.ProductVariant", related_name="cart_lines", on_delete=fields.CASCADE
    )
    quantity = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "cart_line"
        unique_together = (("cart", "variant"),)
        constraints = (CheckConstraint(check="quantity > 0", name="cart_line_quantity_positive"),)
