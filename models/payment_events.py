"""What Stripe told us after the charge: webhook events seen, refunds and disputes."""

from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model


class StripeEvent(Model):
    """A Stripe webhook event that was applied. Recorded once per event id, so a repeated delivery changes nothing."""

    id = fields.IntField(primary_key=True)
    event_id = fields.CharField(max_length=255, unique=True)
    type = fields.CharField(max_length=100)
    object_id = fields.CharField(max_length=255, null=True, db_index=True)
    received_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "stripe_event"


class RefundStatus(str, Enum):
    PENDING = "pending"  # asked of Stripe, outcome not known yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Refund(Model):
    """Money given back on an order's payment. Ours carry the caller's idempotency key, refunds made at Stripe have none."""

    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation["Order"] = fields.ForeignKeyField(  # noqa: F821
        "shop.Order", related_name="refunds", on_delete=fields.CASCADE
    )
    stripe_refund_id = fields.CharField(max_length=255, null=True, unique=True)
    idempotency_key = fields.CharField(max_length=255, null=True, unique=True)
    amount = fields.IntField()
    currency = fields.CharField(max_length=3)
    status = fields.CharEnumField(RefundStatus, max_length=16, default=RefundStatus.PENDING)
    # Set when the shop refunded on its own (STOCK_UNAVAILABLE: a late payment for stock already sold), and
    # REPORTED_BY_STRIPE for a refund first seen in Stripe's running total.
    reason = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "refund"
        constraints = (CheckConstraint(check="amount > 0", name="refund_amount_positive"),)


class Dispute(Model):
    """A chargeback the card holder opened on an order's payment, and how it stands."""

    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation["Order"] = fields.ForeignKeyField(  # noqa: F821
        "shop.Order", related_name="disputes", on_delete=fields.CASCADE
    )
    stripe_dispute_id = fields.CharField(max_length=255, unique=True)
    status = fields.CharField(max_length=32)  # Stripe's: needs_response, under_review, won, lost…
    amount = fields.IntField(null=True)
    reason = fields.CharField(max_length=64, null=True)  # Stripe's: fraudulent, product_not_received…
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "dispute"
        constraints = (CheckConstraint(check="amount >= 0", name="dispute_amount_not_negative"),)
