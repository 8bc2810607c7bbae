"""Checkout through the public GraphQL API against the local Stripe emulator."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from models import Cart, CartLine, CartStatus, Order, OrderStatus, Payment, Product
from tests.shop import (
    set_stock, stock_of,
    CHECKOUT, CONFIRM, READ_ORDER, cart_with, checkout, intents_of_order, key_of, make_product,
)
from tests.stripe_emulator import authenticate_3ds, create_card_token

VISA = "4242424242424242"
DECLINED_AT_CHARGE = "4000000000000341"
DECLINED_AT_ATTACH = "4000000000000002"
THREE_D_SECURE = "4000002500003155"


def codes(result: dict) -> list[str]:
    return [e["code"] for e in result["userErrors"]]


async def test_a_token_from_stripe_js_buys_the_cart_at_database_prices(gql, localstripe_url):
    mug, lamp = await make_product(1450, 10, "Mug"), await make_product(6999, 4, "Lamp")
    cart_id = await cart_with(gql, (mug, 2), (lamp, 1))
    token = await create_card_token(localstripe_url, VISA)

    result = await checkout(gql, cart_id, token)

    assert result["userErrors"] == [] and result["paymentAction"] is None
    order = result["order"]
    assert order["status"] == "PAID"
    assert order["total"] == {"amount": "98.99", "minorUnits": 9899, "currencyCode": "USD"}
    assert [(l["title"], l["quantity"], l["unitPrice"]["minorUnits"]) for l in order["lines"]] == [
        ("Mug", 2, 1450), ("Lamp", 1, 6999)]
    assert order["payment"] == {"provider": "stripe", "status": "SUCCEEDED", "amount": {"minorUnits": 9899},
                                "amountRefunded": {"minorUnits": 0}, "cardBrand": "visa", "cardLast4": "4242"}
    [intent] = await intents_of_order(localstripe_url, key_of(order["id"]))
    assert intent["status"] == "succeeded" and intent["amount"] == 9899 and intent["currency"] == "usd"
    assert await stock_of(mug) == 8 and await stock_of(lamp) == 3
    assert (await Cart.get(id=key_of(cart_id))).status is CartStatus.CHECKED_OUT
    assert (await gql.data(READ_ORDER, {"id": order["id"]}))["order"] == order


async def test_a_payment_method_id_buys_the_cart(gql, localstripe_url):
    product = await make_product(2500, 3)
    result = await checkout(gql, await cart_with(gql, (product, 1)), "pm_card_visa")
    assert result["userErrors"] == [] and result["order"]["status"] == "PAID"
    [intent] = await intents_of_order(localstripe_url, key_of(result["order"]["id"]))
    assert intent["status"] == "succeeded" and intent["amount"] == 2500


async def test_a_declined_card_fails_the_order_frees_the_stock_and_a_new_card_can_pay(gql, localstripe_url):
    product = await make_product(1000, 5)
    cart_id = await cart_with(gql, (product, 2))
    declined = await checkout(gql, cart_id, await create_card_token(localstripe_url, DECLINED_AT_CHARGE))
    assert codes(declined) == ["CARD_DECLINED"]
    assert declined["userErrors"][0]["message"]
    assert declined["order"]["status"] == "PAYMENT_FAILED"
    assert declined["order"]["payment"]["status"] == "FAILED"
    assert await stock_of(product) == 5
    assert (await Cart.get(id=key_of(cart_id))).status is CartStatus.OPEN

    retried = await checkout(gql, cart_id, await create_card_token(localstripe_url, VISA))
    assert retried["userErrors"] == [] and retried["order"]["status"] == "PAID"
    assert retried["order"]["id"] != declined["order"]["id"]
    assert await stock_of(product) == 3


async def test_a_card_declined_when_saved_makes_no_order(gql, localstripe_url):
    product = await make_product(1000, 5)
    cart_id = await cart_with(gql, (product, 1))
    result = await checkout(gql, cart_id, await create_card_token(localstripe_url, DECLINED_AT_ATTACH))
    assert codes(result) == ["CARD_DECLINED"] and result["order"] is None
    assert not await Order.exists(cart_id=key_of(cart_id))
    assert await stock_of(product) == 5


@pytest.mark.parametrize("success, status, error", [(True, "PAID", []), (False, "PAYMENT_FAILED", ["CARD_DECLINED"])])
async def test_three_d_secure_then_checkout_confirm(gql, localstripe_url, success, status, error):
    product = await make_product(3000, 2)
    result = await checkout(gql, await cart_with(gql, (product, 1)), await create_card_token(localstripe_url, THREE_D_SECURE))
    assert codes(result) == ["PAYMENT_ACTION_REQUIRED"]
    assert result["order"]["status"] == "ACTION_REQUIRED"
    action = result["paymentAction"]
    assert action["type"] == "THREE_D_SECURE" and action["clientSecret"]
    [intent] = await intents_of_order(localstripe_url, key_of(result["order"]["id"]))

    await authenticate_3ds(localstripe_url, intent["id"], action["clientSecret"], success=success)
    confirmed = (await gql.data(CONFIRM, {"orderId": result["order"]["id"]}))["checkoutConfirm"]

    assert confirmed["order"]["status"] == status and codes(confirmed) == error
    assert await stock_of(product) == (1 if success else 2)


async def test_an_empty_cart_is_refused(gql):
    product = await make_product(100, 1)
    cart_id = await cart_with(gql, (product, 1))
    await CartLine.filter(cart_id=key_of(cart_id)).delete()
    result = await checkout(gql, cart_id, "pm_card_visa")
    assert codes(result) == ["CART_EMPTY"] and result["order"] is None


async def test_stock_gone_since_the_cart_was_built_charges_nothing(gql):
    product = await make_product(100, 3)
    cart_id = await cart_with(gql, (product, 3))
    await set_stock(product, 2)
    result = await checkout(gql, cart_id, "pm_card_visa")
    assert codes(result) == ["INSUFFICIENT_STOCK"] and "only 2 left" in result["userErrors"][0]["message"]
    assert result["order"] is None
    assert not await Order.exists(cart_id=key_of(cart_id))
    assert await stock_of(product) == 2
    assert (await Cart.get(id=key_of(cart_id))).status is CartStatus.OPEN


@pytest.mark.parametrize(
    "field, value, code",
    [
        ("email", "not-an-email", "INVALID"),
        ("email", "", "INVALID"),
        ("paymentToken", "garbage", "INVALID"),
        ("paymentToken", "tok_doesnotexist", "INVALID"),
        ("cartId", "Q2FydDpub3BlCg", "NOT_FOUND"),
    ],
)
async def test_bad_input_is_refused_and_writes_nothing(gql, field, value, code):
    product = await make_product(100, 2)
    cart_id = await cart_with(gql, (product, 1))
    variables = {"input": {"cartId": cart_id, "email": "a@example.com", "paymentToken": "pm_card_visa",
                           "idempotencyKey": uuid.uuid4().hex, field: value}}
    result = (await gql.data(CHECKOUT, variables))["checkout"]
    assert codes(result) == [code] and result["order"] is None
    assert result["userErrors"][0]["field"] == ["input", field]
    assert not await Order.exists(cart_id=key_of(cart_id))
    assert await stock_of(product) == 2
    assert (await Cart.get(id=key_of(cart_id))).status is CartStatus.OPEN


async def test_an_unknown_payment_method_cancels_its_order_and_frees_the_stock(gql):
    product = await make_product(100, 2)
    cart_id = await cart_with(gql, (product, 1))
    result = await checkout(gql, cart_id, "pm_doesnotexist")
    assert codes(result) == ["INVALID"] and result["userErrors"][0]["field"] == ["input", "paymentToken"]
    assert result["order"]["status"] == "CANCELLED"
    assert await stock_of(product) == 2
    assert (await Cart.get(id=key_of(cart_id))).status is CartStatus.OPEN


async def test_the_same_key_replays_and_is_refused_for_another_cart(gql, localstripe_url):
    product = await make_product(500, 10)
    cart_id, other_cart = await cart_with(gql, (product, 1)), await cart_with(gql, (product, 1))
    key = uuid.uuid4().hex
    first = await checkout(gql, cart_id, "pm_card_visa", key=key)
    again = await checkout(gql, cart_id, "pm_card_visa", key=key)
    assert again == first and first["order"]["status"] == "PAID"
    reused = await checkout(gql, other_cart, "pm_card_visa", key=key)
    assert codes(reused) == ["IDEMPOTENCY_KEY_REUSED"] and reused["order"] is None
    assert len(await intents_of_order(localstripe_url, key_of(first["order"]["id"]))) == 1
    assert await stock_of(product) == 9


async def test_ten_parallel_submits_with_one_key_make_one_order_and_one_charge(gql, localstripe_url):
    product = await make_product(1200, 10)
    cart_id = await cart_with(gql, (product, 2))
    key = uuid.uuid4().hex
    results = await asyncio.gather(*(checkout(gql, cart_id, "pm_card_visa", key=key) for _ in range(10)))
    order_ids = {r["order"]["id"] for r in results}
    assert len(order_ids) == 1 and all(r["userErrors"] == [] for r in results)
    assert {r["order"]["status"] for r in results} == {"PAID"}
    intents = await intents_of_order(localstripe_url, key_of(order_ids.pop()))
    assert [i["status"] for i in intents] == ["succeeded"]
    assert await stock_of(product) == 8


async def test_a_double_submit_without_a_key_makes_one_order(gql):
    product = await make_product(1200, 10)
    cart_id = await cart_with(gql, (product, 1))
    results = await asyncio.gather(*(checkout(gql, cart_id, "pm_card_visa", key=None) for _ in range(2)))
    assert sorted(tuple(codes(r)) for r in results) == [(), ("CART_ALREADY_CHECKED_OUT",)]
    assert await Order.filter(cart_id=key_of(cart_id)).count() == 1
    assert await stock_of(product) == 9


async def test_thirty_parallel_checkouts_for_seven_units_sell_exactly_seven(gql):
    product = await make_product(900, 7)
    carts = [await cart_with(gql, (product, 1)) for _ in range(30)]
    results = await asyncio.gather(*(checkout(gql, cart_id, "pm_card_visa") for cart_id in carts))
    paid = [r for r in results if r["order"] and r["order"]["status"] == "PAID"]
    refused = [r for r in results if codes(r) == ["INSUFFICIENT_STOCK"]]
    assert len(paid) == 7 and len(refused) == 23
    assert await stock_of(product) == 0
    assert await Order.filter(lines__product_id=product.id, status=OrderStatus.PAID).count() == 7
    assert await Payment.filter(order__lines__product_id=product.id).count() == 7
