from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.ids import new_secret_id


class OrderStatus(str, Enum):
    PENDING_PAYMENT = "pending_payment"
    ACTION_REQUIRED = "action_required"
    PAID = "paid"
    PAYMENT_FAILED = "payment_failed"
    CANCELLED = "cancelled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    DISPUTED = "disputed"
    FULFILLED = "fulfilled"


class PaymentStatus(str, Enum):
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class OrderNumber(Model):
    """Hands out short, unique, human-friendly order numbers (1001, 1002, …)."""

    id = fields.IntField(primary_key=True)
    # A column to insert: Tortoise cannot insert a row that has only its primary key.
    issued_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "order_number"


class Order(Model):
    """An order made from a cart at checkout. Its id is unguessable."""

    id = fields.CharField(max_length=32, primary_key=True, default=new_secret_id)
    number = fields.IntField(unique=True)
    status = fields.CharEnumField(OrderStatus, max_length=24, default=OrderStatus.PENDING_PAYMENT)
    email = fields.CharField(max_length=254)
    currency = fields.CharField(max_length=3)
    subtotal = fields.IntField()
    # What checkout computed, copied so later changes to rates and codes never touch it.
    discount = fields.IntField(default=0)
    shipping = fields.IntField(default=0)
    tax = fields.IntField(default=0)
    taxes_included = fields.BooleanField(default=False)
    total = fields.IntField()
    shipping_address: dict | None = fields.JSONField(null=True)
    shipping_line: dict | None = fields.JSONField(null=True)
    tax_lines: list[dict] | None = fields.JSONField(null=True)
    discount_applications: list[dict] | None = fields.JSONField(null=True)
    cart: fields.ForeignKeyNullableRelation["Cart"] = fields.ForeignKeyField(  # noqa: F821
        "shop.Cart", related_name="orders", null=True, on_delete=fields.SET_NULL
    )
    customer: fields.ForeignKeyNullableRelation["Customer"] = fields.ForeignKeyField(  # noqa: F821
        "shop.Customer", related_name="orders", null=True, on_delete=fields.SET_NULL
    )
    idempotency_key = fields.CharField(max_length=255, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True, db_index=True)

    lines: fields.ReverseRelation["OrderLine"]
    payment: fields.BackwardOneToOneRelation["Payment"]

    class Meta:
        table = "order"
        indexes = (("status", "updated_at"), ("updated_at", "id"), ("customer_id", "created_at"))
        constraints = (CheckConstraint(check="total >= 0", name="order_total_not_negative"),)


class OrderLine(Model):
    """A product as it was sold: title and price are copied at checkout."""

    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "shop.Order", related_name="lines", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyNullableRelation["Product"] = fields.ForeignKeyField(  # noqa: F821
        "shop.Product", related_name="order_lines", null=True, on_delete=fields.SET_NULL
    )
    title = fields.CharField(max_length=200)
    quantity = fields.IntField()
    unit_price = fields.IntField()
    total = fields.IntField()
    discount = fields.IntField(default=0)
    tax = fields.IntField(default=0)

    class Meta:
        table = "order_line"
        constraints = (CheckConstraint(check="quantity > 0", name="order_line_quantity_positive"),)


class Payment(Model):
    """The order's Stripe PaymentIntent and what became of it."""

    id = fields.IntField(primary_key=True)
    order: fields.OneToOneRelation[Order] = fields.OneToOneField(
        "shop.Order", related_name="payment", on_delete=fields.CASCADE
    )
    provider = fields.CharField(max_length=16, default="stripe")
    intent_id = fields.CharField(max_length=255, unique=True)
    status = fields.CharEnumField(PaymentStatus, max_length=24, default=PaymentStatus.PENDING)
    amount = fields.IntField()
    amount_refunded = fields.IntField(default=0)
    currency = fields.CharField(max_length=3)
    card_brand = fields.CharField(max_length=32, null=True)
    card_last4 = fields.CharField(max_length=4, null=True)
    failure_code = fields.CharField(max_length=64, null=True)
    failure_message = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "payment"
