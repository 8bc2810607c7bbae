"""Staff operations behind scopes: the catalog (catalog:write) and fulfilment (orders:write)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from commerce.catalog import admin as catalog_admin
from commerce.orders import fulfillment
from commerce.access import Scope
from graph.core.access import require_scope
from graph.catalog.types import Product, product_key
from graph.core.context import Info
from graph.core.errors import UserError, mutation
from graph.orders.types import Order, order_key
from graph.catalog.staff_variants import ImageInput, ProductOptionInput, ProductVariantInput

__all__ = ["StaffMutation"]


@strawberry.input(description="Product fields; on update, the ones left out stay as they are.")
class ProductInput:
    slug: str | None = None
    title: str | None = None
    description: str | None = None
    price: Decimal | None = strawberry.field(default=None, description='In the shop currency, such as "19.99".')
    image_url: str | None = strawberry.field(default=None, description="Deprecated: use `images`.")
    stock: int | None = strawberry.field(default=None, description="For a product with one variant; else on variants.")
    options: list[ProductOptionInput] | None = strawberry.field(default=None, description="With `variants`: replaces both.")
    variants: list[ProductVariantInput] | None = strawberry.field(
        default=None, description="Replaces the variants; one with the same option values keeps its id.")
    images: list[ImageInput] | None = strawberry.field(default=None, description="Replaces the images, in order.")
    tags: list[str] | None = strawberry.field(default=None, description="Replaces the tags.")

    def changes(self) -> catalog_admin.ProductChanges:
        return catalog_admin.ProductChanges(
            slug=self.slug, title=self.title, description=self.description,
            price=self.price, image_url=self.image_url, stock=self.stock,
            options=None if self.options is None else [o.spec() for o in self.options],
            variants=None if self.variants is None else [v.spec() for v in self.variants],
            images=None if self.images is None else [i.spec() for i in self.images],
            tags=self.tags,
        )


@strawberry.type
class ProductCreatePayload:
    product: Product | None
    user_errors: list[UserError]


@strawberry.type
class ProductUpdatePayload:
    product: Product | None
    user_errors: list[UserError]


@strawberry.type
class ProductDeletePayload:
    deleted_product_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.type
class OrderMarkFulfilledPayload:
    order: Order | None
    user_errors: list[UserError]


@strawberry.type
class StaffMutation:
    @mutation(description="Adds a product (catalog:write).")
    async def product_create(self, info: Info, input: ProductInput) -> ProductCreatePayload:
        await require_scope(info, Scope.CATALOG_WRITE)
        model = await catalog_admin.create_product(input.changes(), info.context.settings.currency)
        return ProductCreatePayload(product=Product.from_model(model), user_errors=[])

    @mutation(description="Changes a product's price, stock, title, … (catalog:write).")
    async def product_update(self, info: Info, id: strawberry.ID, input: ProductInput) -> ProductUpdatePayload:
        await require_scope(info, Scope.CATALOG_WRITE)
        model = await catalog_admin.update_product(product_key(id, field="id"), input.changes())
        info.context.loaders.forget_catalog()
        return ProductUpdatePayload(product=Product.from_model(model), user_errors=[])

    @mutation(description="Removes a product; orders keep their copy of it (catalog:write).")
    async def product_delete(self, info: Info, id: strawberry.ID) -> ProductDeletePayload:
        await require_scope(info, Scope.CATALOG_WRITE)
        await catalog_admin.delete_product(product_key(id, field="id"))
        info.context.loaders.product_by_id.clear_all()
        return ProductDeletePayload(deleted_product_id=id, user_errors=[])

    @mutation(description="Marks a paid order as fulfilled (orders:write).",
                         deprecation_reason="Use fulfillmentCreate, which ships lines with tracking.")
    async def order_mark_fulfilled(self, info: Info, order_id: strawberry.ID) -> OrderMarkFulfilledPayload:
        await require_scope(info, Scope.ORDERS_WRITE)
        model = await fulfillment.mark_fulfilled(order_key(order_id))
        return OrderMarkFulfilledPayload(order=Order.from_model(model), user_errors=[])
