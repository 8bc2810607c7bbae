"""Shipments of an order: which lines, how many, and how to track them."""

from __future__ import annotations

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model


class Fulfillment(Model):
    """One shipment of some (or all) of an order's lines."""

    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation["Order"] = fields.ForeignKeyField(  # noqa: F821
        "shop.Order", related_name="fulfillments", on_delete=fields.CASCADE
    )
    tracking_company = fields.CharField(max_length=100, null=True)
    tracking_number = fields.CharField(max_length=100, null=True)
    tracking_url = fields.CharField(max_length=500, null=True)
    notify_customer = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    lines: fields.ReverseRelation["FulfillmentLine"]

    class Meta:
        table = "fulfillment"


class FulfillmentLine(Model):
    """How many units of one order line a shipment holds."""

    id = fields.IntField(primary_key=True)
    fulfillment: fields.ForeignKeyRelation[Fulfillment] = fields.ForeignKeyField(
        "shop.Fulfillment", related_name="lines", on_delete=fields.CASCADE
    )
    order_line: fields.ForeignKeyRelation["OrderLine"] = fields.ForeignKeyField(  # noqa: F821
        "shop.OrderLine", related_name="fulfillment_lines", on_delete=fields.CASCADE
    )
    quantity = fields.IntField()

    class Meta:
        table = "fulfillment_line"
        constraints = (CheckConstraint(check="quantity > 0", name="fulfillment_line_quantity_positive"),)
