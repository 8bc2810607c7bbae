"""Carts through the public GraphQL API: lines, server-side prices, typed errors."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from tests import shop

from commerce.checkout.carts import purge_carts
from graph.core.ids import to_global_id
from models import Cart, CartLine, Product, ProductVariant

CART_FIELDS = """
  id status totalQuantity
  subtotal { amount currencyCode minorUnits }
  total { amount minorUnits }
  lines { id quantity product { id slug } unitPrice { amount minorUnits } total { minorUnits } }
"""
ADD = """
mutation Add($cartId: ID, $productId: ID!, $quantity: Int!) {
  addToCart(cartId: $cartId, productId: $productId, quantity: $quantity) {
    cart { %s }
    userErrors { field message code }
  }
}
""" % CART_FIELDS
UPDATE = """
mutation Update($cartId: ID!, $lineId: ID!, $quantity: Int!) {
  updateCartLine(cartId: $cartId, lineId: $lineId, quantity: $quantity) {
    cart { %s }
    userErrors { field message code }
  }
}
""" % CART_FIELDS
REMOVE = """
mutation Remove($cartId: ID!, $lineId: ID!) {
  removeFromCart(cartId: $cartId, lineId: $lineId) {
    cart { %s }
    userErrors { field message code }
  }
}
""" % CART_FIELDS
READ = "query($id: ID!) { cart(id: $id) { %s } }" % CART_FIELDS


async def make_product(slug: str, price: int, stock: int) -> Product:
    return await shop.make_product(price, stock, title=slug.replace("-", " ").title(), slug=slug)


def gid(product: Product) -> str:
    return to_global_id("Product", product.id)


async def add(gql, product: Product | str, quantity: int = 1, cart_id: str | None = None) -> dict:
    variables = {"cartId": cart_id, "productId": product if isinstance(product, str) else gid(product), "quantity": quantity}
    return (await gql.data(ADD, variables))["addToCart"]


async def snapshot(cart_id: str | None) -> list[tuple]:
    """What the database holds for a cart, to prove a refused change wrote nothing."""
    if cart_id is None:
        return []
    from graph.core.ids import from_global_id

    key = from_global_id(cart_id)[1]
    cart = await Cart.get(id=key)
    lines = await CartLine.filter(cart_id=key).order_by("id").values_list("id", "product_id", "quantity")
    return [cart.status, cart.updated_at, *lines]


async def test_a_new_cart_grows_and_changes_with_totals_from_database_prices(gql):
    mug = await make_product("flow-mug", 1450, 10)
    lamp = await make_product("flow-lamp", 6999, 3)

    created = await add(gql, mug, 2)
    assert created["userErrors"] == []
    cart = created["cart"]
    assert cart["status"] == "OPEN" and cart["totalQuantity"] == 2

    cart = (await add(gql, lamp, 1, cart["id"]))["cart"]
    cart = (await add(gql, mug, 3, cart["id"]))["cart"]  # same product: the line grows
    assert [(l["product"]["slug"], l["quantity"]) for l in cart["lines"]] == [("flow-mug", 5), ("flow-lamp", 1)]

    lamp_line = cart["lines"][1]["id"]
    updated = (await gql.data(UPDATE, {"cartId": cart["id"], "lineId": lamp_line, "quantity": 2}))["updateCartLine"]
    assert updated["userErrors"] == []
    cart = updated["cart"]

    mug_row, lamp_row = await Product.get(id=mug.id), await Product.get(id=lamp.id)
    expected = 5 * mug_row.price + 2 * lamp_row.price
    assert cart["subtotal"] == {"amount": f"{expected // 100}.{expected % 100:02d}", "currencyCode": "USD", "minorUnits": expected}
    assert cart["total"]["minorUnits"] == expected
    assert cart["totalQuantity"] == 7
    assert [l["unitPrice"]["minorUnits"] for l in cart["lines"]] == [1450, 6999]
    assert [l["total"]["minorUnits"] for l in cart["lines"]] == [5 * 1450, 2 * 6999]

    assert (await gql.data(READ, {"id": cart["id"]}))["cart"] == cart


async def test_a_cart_shows_todays_prices(gql):
    candle = await make_product("price-candle", 1800, 10)
    cart = (await add(gql, candle, 2))["cart"]
    await ProductVariant.filter(product_id=candle.id).update(price=2000)
    again = (await gql.data(READ, {"id": cart["id"]}))["cart"]
    assert again["subtotal"]["minorUnits"] == 4000
    assert again["lines"][0]["unitPrice"]["amount"] == "20.00"


async def test_zero_quantity_removes_a_line_and_remove_from_cart_removes_another(gql):
    a, b = await make_product("rm-a", 100, 5), await make_product("rm-b", 200, 5)
    cart = (await add(gql, a))["cart"]
    cart = (await add(gql, b, 1, cart["id"]))["cart"]
    line_a, line_b = (l["id"] for l in cart["lines"])
    cart = (await gql.data(UPDATE, {"cartId": cart["id"], "lineId": line_a, "quantity": 0}))["updateCartLine"]["cart"]
    assert [l["product"]["slug"] for l in cart["lines"]] == ["rm-b"]
    cart = (await gql.data(REMOVE, {"cartId": cart["id"], "lineId": line_b}))["removeFromCart"]["cart"]
    assert cart["lines"] == [] and cart["totalQuantity"] == 0 and cart["total"]["minorUnits"] == 0


@pytest.fixture
async def stocked_cart(gql):
    """A cart holding 2 of a product with stock 5, and a product with no stock."""
    product = await make_product(f"err-{datetime.now().timestamp()}", 500, 5)
    sold_out = await make_product(f"gone-{datetime.now().timestamp()}", 500, 0)
    cart = (await add(gql, product, 2))["cart"]
    return cart, product, sold_out


ADD_ERRORS = [
    ("quantity 0", lambda p, s: (gid(p), 0), "INVALID", ["quantity"]),
    ("negative quantity", lambda p, s: (gid(p), -3), "INVALID", ["quantity"]),
    ("over the line maximum", lambda p, s: (gid(p), 1000), "INVALID", ["quantity"]),
    ("more than the stock", lambda p, s: (gid(p), 4), "INSUFFICIENT_STOCK", ["quantity"]),
    ("a sold-out product", lambda p, s: (gid(s), 1), "OUT_OF_STOCK", ["quantity"]),
    ("an unknown product", lambda p, s: (to_global_id("Product", 999999), 1), "NOT_FOUND", ["productId"]),
    ("a malformed product id", lambda p, s: ("garbage", 1), "NOT_FOUND", ["productId"]),
]


@pytest.mark.parametrize("case, make, code, field", ADD_ERRORS, ids=[c[0] for c in ADD_ERRORS])
async def test_add_to_cart_refusals_are_typed_and_write_nothing(gql, stocked_cart, case, make, code, field):
    cart, product, sold_out = stocked_cart
    before = await snapshot(cart["id"])
    product_id, quantity = make(product, sold_out)
    result = (await gql.data(ADD, {"cartId": cart["id"], "productId": product_id, "quantity": quantity}))["addToCart"]
    assert result["cart"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [(code, field)]
    assert await snapshot(cart["id"]) == before


async def test_insufficient_stock_says_how_many_are_available(gql, stocked_cart):
    cart, product, _ = stocked_cart
    result = (await add(gql, product, 4, cart["id"]))
    assert "Only 5" in result["userErrors"][0]["message"]


async def test_unknown_cart_is_not_found_and_creates_nothing(gql, stocked_cart):
    _, product, _ = stocked_cart
    carts_before = await Cart.all().count()
    for cart_id in [to_global_id("Cart", "0" * 32), "garbage", to_global_id("Product", 1)]:
        result = await add(gql, product, 1, cart_id)
        assert result["cart"] is None
        assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("NOT_FOUND", ["cartId"])]
    assert await Cart.all().count() == carts_before


@pytest.mark.parametrize(
    "quantity, code", [(-1, "INVALID"), (1000, "INVALID"), (6, "INSUFFICIENT_STOCK")]
)
async def test_update_cart_line_refusals_write_nothing(gql, stocked_cart, quantity, code):
    cart, _, _ = stocked_cart
    before = await snapshot(cart["id"])
    line = cart["lines"][0]["id"]
    result = (await gql.data(UPDATE, {"cartId": cart["id"], "lineId": line, "quantity": quantity}))["updateCartLine"]
    assert [e["code"] for e in result["userErrors"]] == [code] and result["cart"] is None
    assert await snapshot(cart["id"]) == before


async def test_a_line_of_another_cart_is_not_found(gql, stocked_cart):
    cart, product, _ = stocked_cart
    other = (await add(gql, product, 1))["cart"]
    before = await snapshot(cart["id"])
    foreign_line = other["lines"][0]["id"]
    for mutation, name, extra in [(UPDATE, "updateCartLine", {"quantity": 1}), (REMOVE, "removeFromCart", {})]:
        result = (await gql.data(mutation, {"cartId": cart["id"], "lineId": foreign_line, **extra}))[name]
        assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("NOT_FOUND", ["lineId"])]
    assert await snapshot(cart["id"]) == before
    assert len((await gql.data(READ, {"id": other["id"]}))["cart"]["lines"]) == 1


async def test_a_checked_out_cart_takes_no_changes(gql, stocked_cart):
    cart, product, _ = stocked_cart
    key = cart["id"]
    from graph.core.ids import from_global_id

    await Cart.filter(id=from_global_id(key)[1]).update(status="checked_out")
    before = await snapshot(key)
    line = cart["lines"][0]["id"]
    results = [
        (await add(gql, product, 1, key)),
        (await gql.data(UPDATE, {"cartId": key, "lineId": line, "quantity": 1}))["updateCartLine"],
        (await gql.data(REMOVE, {"cartId": key, "lineId": line}))["removeFromCart"],
    ]
    for result in results:
        assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("CART_ALREADY_CHECKED_OUT", ["cartId"])]
    assert await snapshot(key) == before


async def test_unknown_carts_read_as_null(gql):
    for cart_id in [to_global_id("Cart", "f" * 32), "garbage", to_global_id("Product", 1)]:
        assert (await gql.data(READ, {"id": cart_id}))["cart"] is None


async def test_twenty_parallel_adds_to_one_cart_lose_no_update(gql):
    product = await make_product("parallel-tote", 2400, 100)
    cart = (await add(gql, product, 1))["cart"]
    results = await asyncio.gather(*(add(gql, product, 1, cart["id"]) for _ in range(20)))
    assert all(r["userErrors"] == [] for r in results)
    final = (await gql.data(READ, {"id": cart["id"]}))["cart"]
    assert [l["quantity"] for l in final["lines"]] == [21]


async def test_reading_a_cart_costs_the_same_queries_for_one_line_or_many(gql, sql_statements):
    products = [await make_product(f"qc-{i}", 100 + i, 10) for i in range(12)]
    small = (await add(gql, products[0]))["cart"]
    big = (await add(gql, products[0]))["cart"]
    for product in products[1:]:
        await add(gql, product, 1, big["id"])
    counts = []
    for cart in (small, big):
        sql_statements.clear()
        data = await gql.data(READ, {"id": cart["id"]})
        counts.append(len(sql_statements))
    assert len(data["cart"]["lines"]) == 12
    assert counts == [1, 1], sql_statements  # the cart with its lines, their variants, products and images



async def test_a_cart_that_ships_reads_no_shipping_zones_until_its_country_is_known(gql, sql_statements):
    from commerce.shop_rules.seed import seed_shop_rules

    await seed_shop_rules("USD")
    cart = (await add(gql, await shop.make_product(1200, 5, requires_shipping=True)))["cart"]
    costed = "query($id: ID!) { cart(id: $id) { cost { shipping { amount } total { amount } } deliveryOptions { handle } } }"
    sql_statements.clear()
    before = (await gql.data(costed, {"id": cart["id"]}))["cart"]
    assert before["deliveryOptions"] == [] and before["cost"]["total"]["amount"] == "12.00"
    assert not [s for s in sql_statements if "shipping_zone" in s or "shipping_rate" in s], sql_statements
    await shop.ship_to(gql, cart["id"])
    after = (await gql.data(costed, {"id": cart["id"]}))["cart"]
    assert after["deliveryOptions"] and after["cost"]["shipping"]["amount"] != "0.00"


async def test_purge_removes_only_old_empty_open_carts(gql):
    product = await make_product("purge-mug", 100, 5)
    empty_old = await Cart.create(currency="USD")
    empty_new = await Cart.create(currency="USD")
    full_old = (await add(gql, product))["cart"]
    from graph.core.ids import from_global_id

    long_ago = datetime.now(timezone.utc) - timedelta(days=40)
    await Cart.filter(id__in=[empty_old.id, from_global_id(full_old["id"])[1]]).update(updated_at=long_ago)

    purged = await purge_carts(timedelta(days=30))
    assert purged >= 1
    assert not await Cart.exists(id=empty_old.id)
    assert await Cart.exists(id=empty_new.id)
    assert await Cart.exists(id=from_global_id(full_old["id"])[1])
