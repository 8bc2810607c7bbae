"""Staff catalog operations behind the catalog:write scope."""

from __future__ import annotations

import pytest

from models import Product
from tests.graph.accounts.test_accounts import api_key, as_, customer, error_code

CREATE = """mutation($input: ProductInput!) { productCreate(input: $input) {
  product { id slug title price { amount minorUnits } quantityAvailable } userErrors { field code message } } }"""
UPDATE = """mutation($id: ID!, $input: ProductInput!) { productUpdate(id: $id, input: $input) {
  product { id title price { amount } quantityAvailable } userErrors { field code } } }"""
DELETE = "mutation($id: ID!) { productDelete(id: $id) { deletedProductId userErrors { code } } }"
READ = 'query($s: String!) { product(slug: $s) { title price { amount } quantityAvailable } }'


async def test_staff_create_change_and_delete_products_and_shoppers_see_it(gql):
    staff = as_(gql, await api_key("catalog:write"))
    made = (await staff.data(CREATE, {"input": {"slug": "staff-vase", "title": "Vase", "price": "34.50", "stock": 3}}))
    product = made["productCreate"]["product"]
    assert made["productCreate"]["userErrors"] == []
    assert product["price"] == {"amount": "34.50", "minorUnits": 3450}
    assert (await Product.get(slug="staff-vase")).price == 3450

    changed = await staff.data(UPDATE, {"id": product["id"], "input": {"price": "29.99", "stock": 7}})
    assert changed["productUpdate"]["userErrors"] == []
    assert (await gql.data(READ, {"s": "staff-vase"}))["product"] == {
        "title": "Vase", "price": {"amount": "29.99"}, "quantityAvailable": 7}

    gone = await staff.data(DELETE, {"id": product["id"]})
    assert gone["productDelete"] == {"deletedProductId": product["id"], "userErrors": []}
    assert (await gql.data(READ, {"s": "staff-vase"}))["product"] is None


@pytest.mark.parametrize(
    "input, code, field",
    [
        ({"slug": "Bad Slug", "title": "x", "price": "1.00"}, "INVALID", ["input", "slug"]),
        ({"slug": "ok-slug", "title": "x", "price": "1.001"}, "INVALID", ["input", "price"]),
        ({"slug": "ok-slug", "title": "x", "price": "-1"}, "INVALID", ["input", "price"]),
        ({"slug": "ok-slug", "title": "x", "price": "1", "stock": -2}, "INVALID", ["input", "stock"]),
        ({"slug": "ok-slug", "title": "x"}, "INVALID", ["input", "price"]),
        ({"slug": "oak-vase-taken", "title": "x", "price": "1"}, "TAKEN", ["input", "slug"]),
    ],
)
async def test_bad_product_input_is_refused_and_writes_nothing(gql, input, code, field):
    staff = as_(gql, await api_key("catalog:write"))
    await Product.get_or_create(slug="oak-vase-taken", defaults={"title": "T", "price": 1, "currency": "USD"})
    before = await Product.all().count()
    result = (await staff.data(CREATE, {"input": input}))["productCreate"]
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [(code, field)]
    assert await Product.all().count() == before


@pytest.mark.parametrize("who", ["guest", "customer", "orders key"])
async def test_only_catalog_write_may_change_the_catalog(gql, who):
    token = None
    if who == "customer":
        token = (await customer(gql))[1]
    elif who == "orders key":
        token = await api_key("orders:read", "orders:write")
    before = await Product.all().count()
    body = await as_(gql, token)(CREATE, {"input": {"slug": "sneaky", "title": "x", "price": "1"}})
    assert error_code(body) == ("UNAUTHENTICATED" if who == "guest" else "FORBIDDEN")
    assert await Product.all().count() == before
