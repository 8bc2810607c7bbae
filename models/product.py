from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model


class Product(Model):
    """A catalog product. `price` is in the currency's minor units (cents for USD)."""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=120, unique=True)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    price = fields.IntField()
    currency = fields.CharField(max_length=3)
    image_url = fields.CharField(max_length=500, null=True)
    stock = fields.IntField(default=0)
    # Whether a line of it needs delivery (an address and a delivery option at checkout), and its weight.
    requires_shipping = fields.BooleanField(default=False)
    weight_grams = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "product"
        indexes = (
            Index(fields=("title", "id"), name="product_title_id_idx"),
            Index(fields=("price", "id"), name="product_price_id_idx"),
            Index(fields=("created_at", "id"), name="product_created_id_idx"),
        )
        constraints = (
            CheckConstraint(check="stock >= 0", name="product_stock_not_negative"),
            CheckConstraint(check="price >= 0", name="product_price_not_negative"),
        )

    def __str__(self) -> str:
        return self.slug
