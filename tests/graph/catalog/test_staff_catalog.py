"""Staff build a catalog of options, variants, images, tags and collections (catalog:write)."""

from __future__ import annotations

import asyncio

import pytest

from models import Product, ProductVariant
from tests.graph.accounts.test_accounts import api_key, as_

CREATE = """mutation($input: ProductInput!) { productCreate(input: $input) {
  product { id slug options { name values } tags images { url altText }
    priceRange { minVariantPrice { minorUnits } maxVariantPrice { minorUnits } }
    variants(first: 10) { nodes { id sku title price { minorUnits } quantityAvailable image { url } } } }
  userErrors { field code message } } }"""
SEARCH = 'query($q: String!) { products(first: 5, query: $q) { nodes { slug } } }'
VARIANT_CREATE = """mutation($p: ID!, $input: ProductVariantInput!) { productVariantCreate(productId: $p, input: $input) {
  productVariant { id title sku price { minorUnits } } userErrors { field code } } }"""
VARIANT_UPDATE = """mutation($id: ID!, $input: ProductVariantInput!) { productVariantUpdate(id: $id, input: $input) {
  productVariant { id title price { minorUnits } quantityAvailable } userErrors { field code } } }"""
VARIANT_DELETE = """mutation($id: ID!) { productVariantDelete(id: $id) {
  deletedProductVariantId product { variants { totalCount } } userErrors { field code } } }"""
ADJUST = """mutation($v: ID!, $d: Int!) { inventoryAdjust(variantId: $v, delta: $d) {
  productVariant { quantityAvailable } userErrors { field code message } } }"""
COLLECTION_CREATE = """mutation($input: CollectionInput!) { collectionCreate(input: $input) {
  collection { id slug products(first: 10) { totalCount nodes { slug } } } userErrors { field code } } }"""
COLLECTION_ADD = """mutation($c: ID!, $p: [ID!]!) { collectionAddProducts(collectionId: $c, productIds: $p) {
  collection { products(first: 10) { nodes { slug } } } userErrors { field code } } }"""
COLLECTION_REMOVE = """mutation($c: ID!, $p: [ID!]!) { collectionRemoveProducts(collectionId: $c, productIds: $p) {
  collection { products(first: 10) { nodes { slug } } } userErrors { field code } } }"""

SHIRT = {
    "slug": "staff-shirt", "title": "Staff Shirt", "tags": ["Linen", "summer"],
    "images": [{"url": "/images/staff-shirt-white.svg", "altText": "White"}],
    "options": [{"name": "Size", "values": ["S", "M"]}, {"name": "Color", "values": ["White", "Blue"]}],
    "variants": [
        {"selectedOptions": [{"name": "Size", "value": "S"}, {"name": "Color", "value": "White"}],
         "sku": "SS-S-W", "price": "40.00", "stock": 2, "imageUrl": "/images/staff-shirt-white.svg"},
        {"selectedOptions": [{"name": "Size", "value": "M"}, {"name": "Color", "value": "Blue"}],
         "sku": "SS-M-B", "price": "45.00", "stock": 1},
    ],
}


def shirt(slug: str, variants: int = 2) -> dict:
    """SHIRT under another slug, with SKUs of its own (SKUs are unique in the shop)."""
    return {**SHIRT, "slug": slug, "variants": [{**v, "sku": f"{slug}-{v['sku']}"} for v in SHIRT["variants"][:variants]]}


@pytest.fixture
async def staff(gql):
    return as_(gql, await api_key("catalog:write"))


async def test_a_product_is_created_with_options_variants_images_and_tags_and_is_searchable(staff, gql):
    made = (await staff.data(CREATE, {"input": SHIRT}))["productCreate"]
    assert made["userErrors"] == []
    product = made["product"]
    assert product["options"] == [{"name": "Size", "values": ["S", "M"]}, {"name": "Color", "values": ["White", "Blue"]}]
    assert product["tags"] == ["linen", "summer"]
    assert product["priceRange"] == {"minVariantPrice": {"minorUnits": 4000}, "maxVariantPrice": {"minorUnits": 4500}}
    assert [(v["title"], v["sku"], v["quantityAvailable"]) for v in product["variants"]["nodes"]] == [
        ("S / White", "SS-S-W", 2), ("M / Blue", "SS-M-B", 1)]
    assert product["variants"]["nodes"][0]["image"] == {"url": "/images/staff-shirt-white.svg"}
    assert (await gql.data(SEARCH, {"q": "ss-m-b"}))["products"]["nodes"] == [{"slug": "staff-shirt"}]
    assert (await gql.data(SEARCH, {"q": "summer"}))["products"]["nodes"] == [{"slug": "staff-shirt"}]


@pytest.mark.parametrize("change, code, field", [
    ({"variants": []}, "INVALID", ["input", "variants"]),
    ({"variants": [{"selectedOptions": [{"name": "Size", "value": "XL"}, {"name": "Color", "value": "Blue"}],
                    "price": "1.00"}]}, "INVALID", ["input", "variants", "0", "selectedOptions"]),
    ({"variants": [{"selectedOptions": [{"name": "Size", "value": "S"}], "price": "1.00"}]},
     "INVALID", ["input", "variants", "0", "selectedOptions"]),
    ({"variants": [{"selectedOptions": [{"name": "Size", "value": "S"}, {"name": "Color", "value": "Blue"}],
                    "price": "-1.00"}]}, "INVALID", ["input", "variants", "0", "price"]),
    ({"price": "3.00"}, "INVALID", ["input", "price"]),
])
async def test_a_refused_product_is_a_typed_error_and_writes_nothing(staff, change, code, field):
    before = (await Product.all().count(), await ProductVariant.all().count())
    answer = (await staff.data(CREATE, {"input": {**shirt("refused-shirt"), **change}}))["productCreate"]
    assert answer["product"] is None
    assert [(e["code"], e["field"]) for e in answer["userErrors"]] == [(code, field)]
    assert (await Product.all().count(), await ProductVariant.all().count()) == before


async def test_variants_are_added_changed_and_deleted_and_a_product_keeps_one(staff):
    made = (await staff.data(CREATE, {"input": shirt("variant-shirt", variants=1)}))
    product = made["productCreate"]["product"]
    [only] = product["variants"]["nodes"]
    added = (await staff.data(VARIANT_CREATE, {"p": product["id"], "input": {
        "selectedOptions": [{"name": "Size", "value": "M"}, {"name": "Color", "value": "White"}],
        "sku": "VS-M-W", "price": "42.00", "stock": 4}}))["productVariantCreate"]
    assert added["userErrors"] == [] and added["productVariant"]["title"] == "M / White"
    same = (await staff.data(VARIANT_CREATE, {"p": product["id"], "input": {
        "selectedOptions": [{"name": "Size", "value": "M"}, {"name": "Color", "value": "White"}],
        "price": "1.00"}}))["productVariantCreate"]
    assert [(e["code"], e["field"]) for e in same["userErrors"]] == [("TAKEN", ["input", "selectedOptions"])]
    taken_sku = (await staff.data(VARIANT_UPDATE, {"id": added["productVariant"]["id"],
                                                  "input": {"sku": "SS-S-W"}}))["productVariantUpdate"]
    assert [(e["code"], e["field"]) for e in taken_sku["userErrors"]] == [("TAKEN", ["input", "sku"])]
    changed = (await staff.data(VARIANT_UPDATE, {"id": added["productVariant"]["id"],
                                                 "input": {"price": "39.00"}}))["productVariantUpdate"]
    assert changed["productVariant"]["price"] == {"minorUnits": 3900}
    assert (await Product.get(slug="variant-shirt")).price == 3900  # the catalog's lowest price follows
    deleted = (await staff.data(VARIANT_DELETE, {"id": added["productVariant"]["id"]}))["productVariantDelete"]
    assert deleted["userErrors"] == [] and deleted["product"]["variants"]["totalCount"] == 1
    last = (await staff.data(VARIANT_DELETE, {"id": only["id"]}))["productVariantDelete"]
    assert [(e["code"], e["field"]) for e in last["userErrors"]] == [("INVALID", ["id"])]


async def test_inventory_adjust_is_atomic_and_never_goes_below_zero(staff):
    variant = await ProductVariant.create(product_id=(await Product.create(
        slug="adjust-me", title="Adjust Me", price=100, currency="USD")).id, price=100, stock=5)
    from graph.core.ids import to_global_id
    vid = to_global_id("ProductVariant", variant.id)
    results = await asyncio.gather(*(staff.data(ADJUST, {"v": vid, "d": -1}) for _ in range(8)))
    refused = [r for r in results if r["inventoryAdjust"]["userErrors"]]
    assert len(refused) == 3 and {r["inventoryAdjust"]["userErrors"][0]["code"] for r in refused} == {"INSUFFICIENT_STOCK"}
    assert (await ProductVariant.get(id=variant.id)).stock == 0
    up = (await staff.data(ADJUST, {"v": vid, "d": 7}))["inventoryAdjust"]
    assert up["productVariant"] == {"quantityAvailable": 7}


async def test_collections_are_made_filled_and_emptied(staff):
    a = (await staff.data(CREATE, {"input": shirt("coll-a", variants=1)}))
    b = (await staff.data(CREATE, {"input": {"slug": "coll-b", "title": "Coll B", "price": "5.00", "stock": 1}}))
    ids = [a["productCreate"]["product"]["id"], b["productCreate"]["product"]["id"]]
    made = (await staff.data(COLLECTION_CREATE, {"input": {"slug": "staff-picks", "title": "Staff picks",
                                                           "productIds": ids[:1]}}))["collectionCreate"]
    assert made["userErrors"] == [] and made["collection"]["products"]["nodes"] == [{"slug": "coll-a"}]
    cid = made["collection"]["id"]
    added = (await staff.data(COLLECTION_ADD, {"c": cid, "p": ids}))["collectionAddProducts"]
    assert [n["slug"] for n in added["collection"]["products"]["nodes"]] == ["coll-a", "coll-b"]
    removed = (await staff.data(COLLECTION_REMOVE, {"c": cid, "p": ids[:1]}))["collectionRemoveProducts"]
    assert removed["collection"]["products"]["nodes"] == [{"slug": "coll-b"}]
    taken = (await staff.data(COLLECTION_CREATE, {"input": {"slug": "staff-picks", "title": "Again"}}))
    assert [(e["code"], e["field"]) for e in taken["collectionCreate"]["userErrors"]] == [("TAKEN", ["input", "slug"])]


async def test_catalog_changes_need_the_catalog_write_scope(gql):
    reader = as_(gql, await api_key("orders:read"))
    body = await reader(CREATE, {"input": SHIRT})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
