"""What each cart change, the cart read and a checkout cost in SQL statements, with the
storefront's own documents (bench/run.py, storefront/js/api.js), answered in full.

A cart change is priced once and written in at most 4 statements, its answer included
(the code change: 4, and 1 more to price its answer); the cart read takes at most 4; a checkout of the bench's cart (one shipping variant, a US
address, a delivery option, tax, WELCOME10) reads and prices its cart once, under the lock.
"""

from __future__ import annotations

import uuid

import pytest

from bench.run import ADD_TO_CART, CHECKOUT, READ_CART, SHIP_TO, US_ADDRESS
from bench.writes import CODES, DELIVERY, REMOVE_LINE, UPDATE_LINE
from commerce.shop_rules.seed import seed_shop_rules
from graph.core.ids import to_global_id
from models import DiscountCode, Order, OrderStatus
from tests.shop import make_product

BUYER = ("mutation($c: ID!, $e: String) { cartBuyerIdentityUpdate(cartId: $c, email: $e) { cart { id email "
         "cost { total { amount } } } userErrors { code } } }")


@pytest.fixture(scope="module", autouse=True)
async def shop_rules(database):
    await seed_shop_rules("USD")


async def variant(price: int = 1250, stock: int = 100) -> str:
    product = await make_product(price, stock, "Lamp", requires_shipping=True)
    await product.fetch_related("variants")
    return to_global_id("ProductVariant", product.variants[0].id)


async def counted(gql, sql_statements, query: str, variables: dict, root: str) -> tuple[dict, list[str]]:
    sql_statements.clear()
    data = (await gql.data(query, variables))[root]
    assert not data.get("userErrors"), data
    return data, list(sql_statements)


async def test_each_request_of_the_cart_flow_takes_at_most_four_statements(gql, sql_statements):
    first, second, third = await variant(1000), await variant(2000), await variant(3000)
    added, new_cart = await counted(gql, sql_statements, ADD_TO_CART,
                                    {"cartId": None, "variantId": first, "quantity": 1}, "addToCart")
    cart = added["cart"]["id"]
    assert len(new_cart) == 3, new_cart  # the variant with its product and images, the cart, the line
    counts = {}
    for name, variant_id in (("add", second), ("add again", third)):
        data, statements = await counted(gql, sql_statements, ADD_TO_CART,
                                         {"cartId": cart, "variantId": variant_id, "quantity": 1}, "addToCart")
        counts[name] = statements
    assert [len(s) for s in counts.values()] == [3, 3], counts  # the cart locked and touched, its lines, the line
    assert data["cart"]["totalQuantity"] == 3 and data["cart"]["subtotal"]["amount"] == "60.00"
    assert [line["variant"]["id"] for line in data["cart"]["lines"]] == [first, second, third]

    shipped, address = await counted(gql, sql_statements, SHIP_TO, {"cartId": cart, "address": US_ADDRESS},
                                     "cartShippingAddressUpdate")
    assert len(address) == 3, address  # the address written, the lines, zones with rates and tax rates
    assert shipped["cart"]["deliveryOptions"] and shipped["cart"]["cost"]["tax"] is not None

    read, statements = await counted(gql, sql_statements, READ_CART, {"id": cart}, "cart")
    assert len(statements) == 2, statements  # the cart with its lines, zones with rates and tax rates
    assert read == shipped["cart"]


async def test_changing_and_removing_lines_and_choosing_delivery_and_codes_take_at_most_four(gql, sql_statements):
    first, second = await variant(1000), await variant(2000)
    cart = (await gql.data(ADD_TO_CART, {"cartId": None, "variantId": first, "quantity": 1}))["addToCart"]["cart"]["id"]
    await gql.data(ADD_TO_CART, {"cartId": cart, "variantId": second, "quantity": 1})
    shipped = (await gql.data(SHIP_TO, {"cartId": cart, "address": US_ADDRESS}))["cartShippingAddressUpdate"]["cart"]
    lines = [line["id"] for line in shipped["lines"]]

    changed, update = await counted(gql, sql_statements, UPDATE_LINE,
                                    {"cartId": cart, "lineId": lines[0], "quantity": 3}, "updateCartLine")
    assert len(update) == 4, update  # the cart touched, its lines, the line, zones and taxes for `total`
    assert changed["cart"]["totalQuantity"] == 4
    removed, remove = await counted(gql, sql_statements, REMOVE_LINE, {"cartId": cart, "lineId": lines[1]},
                                    "removeFromCart")
    assert len(remove) == 4, remove
    assert [line["id"] for line in removed["cart"]["lines"]] == [lines[0]]

    handle = shipped["deliveryOptions"][0]["handle"]
    chosen, delivery = await counted(gql, sql_statements, DELIVERY, {"cartId": cart, "handle": handle},
                                     "cartSelectedDeliveryOptionUpdate")
    assert len(delivery) == 3, delivery  # the handle written, the lines, zones with rates and tax rates
    assert chosen["cart"]["selectedDeliveryOption"]["handle"] == handle
    coded, codes = await counted(gql, sql_statements, CODES, {"cartId": cart, "codes": ["WELCOME10"]},
                                 "cartDiscountCodesUpdate")
    # the cart locked and touched, its lines, the shop's codes among them (the guess count and the price),
    # the codes written, zones and taxes for the answer: the change is 4, its answer 1 more
    assert len(codes) == 5, codes
    assert coded["cart"]["discountCodes"] == [{"code": "WELCOME10", "applicable": True}]
    assert coded["cart"]["cost"]["discount"]["amount"] == "3.00"
    buyer, identity = await counted(gql, sql_statements, BUYER, {"c": cart, "e": "ada@example.com"},
                                    "cartBuyerIdentityUpdate")
    assert len(identity) <= 4, identity
    assert buyer["cart"]["email"] == "ada@example.com"


async def test_a_refused_delivery_option_is_not_written(gql):
    cart = (await gql.data(ADD_TO_CART, {"cartId": None, "variantId": await variant(), "quantity": 1}))["addToCart"]
    cart_id = cart["cart"]["id"]
    await gql.data(SHIP_TO, {"cartId": cart_id, "address": US_ADDRESS})
    for handle in ("no-such-option", "x" * 200, "Standard\u0000"):
        refused = (await gql.data(DELIVERY, {"cartId": cart_id, "handle": handle}))["cartSelectedDeliveryOptionUpdate"]
        assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    read = (await gql.data(READ_CART, {"id": cart_id}))["cart"]
    assert read["selectedDeliveryOption"] is None


async def test_a_checkout_of_the_bench_cart_reads_and_prices_it_once(gql, sql_statements):
    cart = (await gql.data(ADD_TO_CART, {"cartId": None, "variantId": await variant(), "quantity": 1}))["addToCart"]
    cart_id = cart["cart"]["id"]
    shipped = (await gql.data(SHIP_TO, {"cartId": cart_id, "address": US_ADDRESS}))["cartShippingAddressUpdate"]
    await gql.data(DELIVERY, {"cartId": cart_id, "handle": shipped["cart"]["deliveryOptions"][0]["handle"]})
    await gql.data(CODES, {"cartId": cart_id, "codes": ["WELCOME10"]})
    used = (await DiscountCode.get(code="WELCOME10")).used_count
    sql_statements.clear()
    paid = (await gql.data(CHECKOUT, {"input": {"cartId": cart_id, "email": "bench@example.com",
                                                "paymentToken": "pm_card_visa",
                                                "idempotencyKey": uuid.uuid4().hex}}))["checkout"]
    statements = list(sql_statements)
    assert paid["userErrors"] == [] and paid["order"]["status"] == "PAID", paid
    assert paid["order"]["payment"]["cardLast4"] == "4242"
    assert (await DiscountCode.get(code="WELCOME10")).used_count == used + 1
    assert (await Order.get(number=int(paid["order"]["number"]))).status is OrderStatus.PAID
    cart_reads = [s for s in statements if 'FROM "cart" "c"' in s]
    pricing = [s for s in statements if "shipping_zone" in s or "tax_rate" in s]
    assert len(cart_reads) == 1 and len(pricing) == 1, statements  # under the lock, once
    assert len(statements) == 21, "\n".join(s[:120] for s in statements)
