"""Staff operations on variants, stock and collections (catalog:write)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from commerce.access import Scope
from commerce.catalog import variant_admin
from commerce.catalog.variant_admin import CollectionChanges, ImageSpec, OptionSpec, VariantSpec
from commerce.errors import DomainError, UserErrorCode as Code
from graph.core.access import require_scope
from graph.catalog.collections import Collection
from graph.core.context import Info
from graph.core.errors import UserError, mutation
from graph.catalog.types import Product, ProductVariant, SelectedOptionInput, product_key, variant_key
from graph.core.ids import int_key, known
from models import Product as ProductModel

__all__ = ["StaffCatalogMutation", "ProductOptionInput", "ProductVariantInput", "ImageInput"]


@strawberry.input
class ProductOptionInput:
    name: str
    values: list[str]

    def spec(self) -> OptionSpec:
        return OptionSpec(self.name, tuple(self.values))


@strawberry.input(description="A variant's fields; on update, the ones left out stay as they are.")
class ProductVariantInput:
    selected_options: list[SelectedOptionInput] | None = None
    sku: str | None = None
    price: Decimal | None = None
    compare_at_price: Decimal | None = None
    stock: int | None = None
    weight_grams: int | None = None
    requires_shipping: bool | None = None
    image_url: str | None = strawberry.field(default=None, description="One of the product's images (added if new).")

    def spec(self) -> VariantSpec:
        return VariantSpec(
            selected_options=None if self.selected_options is None else tuple(
                (o.name, o.value) for o in self.selected_options),
            sku=self.sku, price=self.price, compare_at_price=self.compare_at_price, stock=self.stock,
            weight_grams=self.weight_grams, requires_shipping=self.requires_shipping, image_url=self.image_url,
        )


@strawberry.input
class ImageInput:
    url: str
    alt_text: str = ""
    width: int | None = None
    height: int | None = None

    def spec(self) -> ImageSpec:
        return ImageSpec(self.url, self.alt_text, self.width, self.height)


@strawberry.input(description="Collection fields; on update, the ones left out stay as they are.")
class CollectionInput:
    slug: str | None = None
    title: str | None = None
    description: str | None = None
    image_url: str | None = None
    product_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="On create only.")


@strawberry.type
class ProductVariantPayload:
    product_variant: ProductVariant | None
    user_errors: list[UserError]


@strawberry.type
class ProductVariantDeletePayload:
    deleted_product_variant_id: strawberry.ID | None
    product: Product | None
    user_errors: list[UserError]


@strawberry.type
class InventoryAdjustPayload:
    product_variant: ProductVariant | None
    user_errors: list[UserError]


@strawberry.type
class CollectionPayload:
    collection: Collection | None
    user_errors: list[UserError]


@strawberry.type
class CollectionDeletePayload:
    deleted_collection_id: strawberry.ID | None
    user_errors: list[UserError]


def collection_key(global_id: str, field: str) -> int:
    return known(int_key(global_id, "Collection"), "collection", field)


def _product_keys(ids: list[strawberry.ID], field: str) -> list[int]:
    return [product_key(i, field=f"{field}.{n}") for n, i in enumerate(ids)]


async def _variant(info: Info, model) -> ProductVariant:
    info.context.loaders.forget_catalog()
    product = await ProductModel.get(id=model.product_id)
    return ProductVariant.from_model(model, product.currency)


@strawberry.type
class StaffCatalogMutation:
    @mutation(description="Adds a variant to a product (catalog:write).")
    async def product_variant_create(self, info: Info, product_id: strawberry.ID,
                                     input: ProductVariantInput) -> ProductVariantPayload:
        await require_scope(info, Scope.CATALOG_WRITE)
        model = await variant_admin.create_variant(product_key(product_id, "productId"), input.spec())
        return ProductVariantPayload(product_variant=await _variant(info, model), user_errors=[])

    @mutation(description="Changes a variant's price, stock, options, … (catalog:write).")
    async def product_variant_update(self, info: Info, id: strawberry.ID,
                                     input: ProductVariantInput) -> ProductVariantPayload:
        await require_scope(info, Scope.CATALOG_WRITE)
        model = await variant_admin.update_variant(variant_key(id, "id"), input.spec())
        return ProductVariantPayload(product_variant=await _variant(info, model), user_errors=[])

    @mutation(description="Removes a variant; orders keep their copy of it (catalog:write).")
    async def product_variant_delete(self, info: Info, id: strawberry.ID) -> ProductVariantDeletePayload:
        await require_scope(info, Scope.CATALOG_WRITE)
        product_id = await variant_admin.delete_variant(variant_key(id, "id"))
        info.context.loaders.forget_catalog()
        return ProductVariantDeletePayload(deleted_product_variant_id=id, user_errors=[],
                                           product=Product.from_model(await ProductModel.get(id=product_id)))

    @mutation(description="Adds `delta` units to a variant's stock (negative removes); never below zero.")
    async def inventory_adjust(self, info: Info, variant_id: strawberry.ID, delta: int) -> InventoryAdjustPayload:
        await require_scope(info, Scope.CATALOG_WRITE)
        model = await variant_admin.adjust_inventory(variant_key(variant_id, "variantId"), delta)
        return InventoryAdjustPayload(product_variant=await _variant(info, model), user_errors=[])

    @mutation(description="Makes a collection (catalog:write).")
    async def collection_create(self, info: Info, input: CollectionInput) -> CollectionPayload:
        await require_scope(info, Scope.CATALOG_WRITE)
        model = await variant_admin.create_collection(CollectionChanges(
            slug=input.slug, title=input.title, description=input.description, image_url=input.image_url,
            product_ids=tuple(_product_keys(input.product_ids or [], "input.productIds"))))
        return CollectionPayload(collection=Collection.from_model(model), user_errors=[])

    @mutation(description="Changes a collection's slug, title, … (catalog:write).")
    async def collection_update(self, info: Info, id: strawberry.ID, input: CollectionInput) -> CollectionPayload:
        await require_scope(info, Scope.CATALOG_WRITE)
        if input.product_ids is not None:
            raise DomainError(Code.INVALID, "Use collectionAddProducts to add products.", ["input", "productIds"])
        model = await variant_admin.update_collection(collection_key(id, "id"), CollectionChanges(
            slug=input.slug, title=input.title, description=input.description, image_url=input.image_url))
        info.context.loaders.collection_by_id.clear_all()
        return CollectionPayload(collection=Collection.from_model(model), user_errors=[])

    @mutation(description="Removes a collection; its products stay (catalog:write).")
    async def collection_delete(self, info: Info, id: strawberry.ID) -> CollectionDeletePayload:
        await require_scope(info, Scope.CATALOG_WRITE)
        await variant_admin.delete_collection(collection_key(id, "id"))
        return CollectionDeletePayload(deleted_collection_id=id, user_errors=[])

    @mutation(description="Adds products to a collection (catalog:write).")
    async def collection_add_products(self, info: Info, collection_id: strawberry.ID,
                                      product_ids: list[strawberry.ID]) -> CollectionPayload:
        await require_scope(info, Scope.CATALOG_WRITE)
        model = await variant_admin.add_to_collection(collection_key(collection_id, "collectionId"),
                                                      _product_keys(product_ids, "productIds"))
        return CollectionPayload(collection=Collection.from_model(model), user_errors=[])

    @mutation(description="Takes products out of a collection (catalog:write).")
    async def collection_remove_products(self, info: Info, collection_id: strawberry.ID,
                                         product_ids: list[strawberry.ID]) -> CollectionPayload:
        await require_scope(info, Scope.CATALOG_WRITE)
        model = await variant_admin.remove_from_collection(collection_key(collection_id, "collectionId"),
                                                           _product_keys(product_ids, "productIds"))
        return CollectionPayload(collection=Collection.from_model(model), user_errors=[])
