"""The catalog: products, their options and variants, images, tags and collections.

What a shopper buys is a variant; the product is its page. Money is in the
currency's minor units (cents for USD).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model


class Product(Model):
    """A catalog product. `price` is its lowest variant price, kept by `commerce.catalog`
    so the catalog sorts and pages by price on an index; `units_sold` counts units in
    paid orders, for the best-selling sort."""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=120, unique=True)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    price = fields.IntField()
    currency = fields.CharField(max_length=3)
    units_sold = fields.IntField(default=0, db_default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    variants: fields.ReverseRelation["ProductVariant"]
    options: fields.ReverseRelation["ProductOption"]
    images: fields.ReverseRelation["ProductImage"]

    class Meta:
        table = "product"
        indexes = (
            Index(fields=("title", "id"), name="product_title_id_idx"),
            Index(fields=("price", "id"), name="product_price_id_idx"),
            Index(fields=("created_at", "id"), name="product_created_id_idx"),
            Index(fields=("units_sold", "id"), name="product_sold_id_idx"),
        )
        constraints = (CheckConstraint(check="price >= 0", name="product_price_not_negative"),)

    def __str__(self) -> str:
        return self.slug


class ProductImage(Model):
    """An image of a product, by URL (there is no upload service)."""

    id = fields.IntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "shop.Product", related_name="images", on_delete=fields.CASCADE
    )
    url = fields.CharField(max_length=500)
    alt_text = fields.CharField(max_length=300, default="")
    width = fields.IntField(null=True)
    height = fields.IntField(null=True)
    position = fields.IntField(default=0)

    class Meta:
        table = "product_image"
        indexes = (("product_id", "position"),)


class ProductOption(Model):
    """A choice a product offers (Size: S, M, L), in the order the shop shows them."""

    id = fields.IntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "shop.Product", related_name="options", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    position = fields.IntField(default=0)
    values = fields.JSONField(default=list)

    class Meta:
        table = "product_option"
        unique_together = (("product", "name"),)


class ProductVariant(Model):
    """What goes in a cart: one combination of a product's options, with its own price and stock."""

    id = fields.IntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "shop.Product", related_name="variants", on_delete=fields.CASCADE
    )
    sku = fields.CharField(max_length=100, null=True, unique=True)
    title = fields.CharField(max_length=300, default="Default")
    selected_options = fields.JSONField(default=list)  # [{"name": "Size", "value": "M"}, …]
    price = fields.IntField()
    compare_at_price = fields.IntField(null=True)
    stock = fields.IntField(default=0)
    weight_grams = fields.IntField(default=0)
    requires_shipping = fields.BooleanField(default=True)
    image: fields.ForeignKeyNullableRelation[ProductImage] = fields.ForeignKeyField(
        "shop.ProductImage", related_name="variants", null=True, on_delete=fields.SET_NULL
    )
    position = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "product_variant"
        indexes = (("product_id", "position"), ("price", "product_id"))
        constraints = (
            CheckConstraint(check="stock >= 0", name="variant_stock_not_negative"),
            CheckConstraint(check="price >= 0", name="variant_price_not_negative"),
            CheckConstraint(check="weight_grams >= 0", name="variant_weight_not_negative"),
        )


class VariantOptionValue(Model):
    """One selected option of a variant, as a row, for filters and facets."""

    id = fields.IntField(primary_key=True)
    variant: fields.ForeignKeyRelation[ProductVariant] = fields.ForeignKeyField(
        "shop.ProductVariant", related_name="option_values", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "shop.Product", related_name="option_values", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    value = fields.CharField(max_length=100)

    class Meta:
        table = "variant_option_value"
        indexes = (("name", "value"), ("product_id",))


class ProductTag(Model):
    id = fields.IntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "shop.Product", related_name="tag_rows", on_delete=fields.CASCADE
    )
    tag = fields.CharField(max_length=100, db_index=True)

    class Meta:
        table = "product_tag"
        unique_together = (("product", "tag"),)


class Collection(Model):
    """A set of products to browse (a category, a season, a sale)."""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=120, unique=True)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    image_url = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "collection"


class CollectionProduct(Model):
    id = fields.IntField(primary_key=True)
    collection: fields.ForeignKeyRelation[Collection] = fields.ForeignKeyField(
        "shop.Collection", related_name="memberships", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "shop.Product", related_name="memberships", on_delete=fields.CASCADE
    )
    position = fields.IntField(default=0)

    class Meta:
        table = "collection_product"
        unique_together = (("collection", "product"),)
        indexes = (("product_id",),)
