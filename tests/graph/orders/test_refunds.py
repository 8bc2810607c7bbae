"""refundOrder and cancelOrder through the public GraphQL API, against localstripe.

localstripe accepts over-refunds and ignores idempotency keys (DESIGN §5), so
every "never more than is left" and "once per key" below is proved by what
localstripe actually recorded: our own records have to do it.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from models import Product
from tests.shop import stock_of, ORDER_FIELDS, READ_ORDER, cart_with, checkout, key_of, make_product
from tests.stripe_emulator import create_card_token
from tests.stripe_events import api_key, order_awaiting_3ds, paid_order, stripe_get, stripe_refunds

REFUND = """
mutation($orderId: ID!, $amount: Decimal, $key: String) {
  refundOrder(orderId: $orderId, amount: $amount, idempotencyKey: $key) {
    order { %s }
    refund { id amount { amount minorUnits currencyCode } status }
    userErrors { field message code }
  }
}
""" % ORDER_FIELDS
CANCEL = """
mutation($orderId: ID!) {
  cancelOrder(orderId: $orderId) { order { id status } userErrors { field message code } }
}
"""


@pytest.fixture
async def staff(gql):
    """The `gql` client, carrying an API key with orders:write."""
    gql.headers["Authorization"] = f"Bearer {await api_key()}"
    yield gql
    gql.headers.pop("Authorization", None)


async def refund(gql, order_id: str, amount: str | None = None, key: str | None = "new") -> dict:
    variables = {"orderId": order_id, "amount": amount, "key": uuid.uuid4().hex if key == "new" else key}
    return (await gql.data(REFUND, variables))["refundOrder"]


def codes(result: dict) -> list[str]:
    return [e["code"] for e in result["userErrors"]]


async def intent_of(stripe_url: str, order: dict) -> dict:
    from tests.shop import intents_of_order

    [intent] = await intents_of_order(stripe_url, key_of(order["id"]))
    return await stripe_get(stripe_url, f"/v1/payment_intents/{intent['id']}")


async def test_refund_order_needs_an_api_key_with_orders_write(gql):
    order, _ = await paid_order(gql)
    anonymous = await gql(REFUND, {"orderId": order["id"], "amount": "1.00"})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED" and anonymous["data"] is None
    gql.headers["Authorization"] = f"Bearer {await api_key('orders:read')}"
    try:
        reader = await gql(REFUND, {"orderId": order["id"], "amount": "1.00"})
        cancel = await gql(CANCEL, {"orderId": order["id"]})
    finally:
        gql.headers.pop("Authorization")
    assert reader["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert cancel["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await gql.data(READ_ORDER, {"id": order["id"]}))["order"]["payment"]["amountRefunded"]["minorUnits"] == 0


async def test_a_partial_then_a_full_refund_go_to_stripe_first_and_the_order_follows(staff, localstripe_url):
    order, _ = await paid_order(staff, price=4999)

    part = await refund(staff, order["id"], "10.00")
    assert part["userErrors"] == []
    assert part["refund"]["amount"] == {"amount": "10.00", "minorUnits": 1000, "currencyCode": "USD"}
    assert part["refund"]["status"] == "SUCCEEDED"
    assert part["order"]["status"] == "PARTIALLY_REFUNDED"
    assert part["order"]["payment"]["amountRefunded"]["minorUnits"] == 1000
    assert part["order"]["payment"]["status"] == "PARTIALLY_REFUNDED"

    rest = await refund(staff, order["id"])  # no amount: all that is left
    assert rest["userErrors"] == [] and rest["refund"]["amount"]["minorUnits"] == 3999
    assert rest["order"]["status"] == "REFUNDED"
    assert rest["order"]["payment"]["amountRefunded"]["minorUnits"] == 4999
    assert (await staff.data(READ_ORDER, {"id": order["id"]}))["order"] == rest["order"]

    intent = await intent_of(localstripe_url, order)
    assert intent["latest_charge"]["amount_refunded"] == 4999
    assert sorted(r["amount"] for r in await stripe_refunds(localstripe_url, intent["id"])) == [1000, 3999]

    nothing_left = await refund(staff, order["id"], "0.01")
    assert codes(nothing_left) == ["INVALID"] and nothing_left["order"] is None


@pytest.mark.parametrize(
    "amount, code, field",
    [
        ("50.01", "INVALID", ["amount"]),  # more than is left
        ("1.001", "INVALID", ["amount"]),  # a fraction of a cent
        ("0", "INVALID", ["amount"]),
        ("-5.00", "INVALID", ["amount"]),
    ],
)
async def test_a_bad_amount_is_refused_and_nothing_reaches_stripe(staff, localstripe_url, amount, code, field):
    order, _ = await paid_order(staff, price=5000)
    result = await refund(staff, order["id"], amount)
    assert codes(result) == [code] and result["userErrors"][0]["field"] == field
    assert result["refund"] is None
    if amount == "50.01":
        assert "50.00 USD is left" in result["userErrors"][0]["message"]
    intent = await intent_of(localstripe_url, order)
    assert await stripe_refunds(localstripe_url, intent["id"]) == []
    assert (await staff.data(READ_ORDER, {"id": order["id"]}))["order"]["status"] == "PAID"


async def test_unknown_and_unpaid_orders_are_refused(staff, localstripe_url):
    unknown = await refund(staff, "T3JkZXI6MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA", "1.00")
    assert codes(unknown) == ["NOT_FOUND"] and unknown["userErrors"][0]["field"] == ["orderId"]

    waiting, _, _ = await order_awaiting_3ds(staff, localstripe_url)
    unpaid = await refund(staff, waiting["id"], "1.00")
    assert codes(unpaid) == ["ORDER_NOT_PAID"] and unpaid["refund"] is None
    assert (await staff.data(READ_ORDER, {"id": waiting["id"]}))["order"]["status"] == "ACTION_REQUIRED"


async def test_a_retry_with_the_same_key_answers_the_same_refund_and_refunds_once(staff, localstripe_url):
    order, _ = await paid_order(staff, price=3000)
    key = uuid.uuid4().hex
    first = await refund(staff, order["id"], "5.00", key=key)
    again = await refund(staff, order["id"], "5.00", key=key)
    omitted = await refund(staff, order["id"], None, key=key)  # a retry that leaves the amount out
    assert first["userErrors"] == [] and again == first and omitted == first
    other_amount = await refund(staff, order["id"], "6.00", key=key)
    assert codes(other_amount) == ["IDEMPOTENCY_KEY_REUSED"]
    other_order, _ = await paid_order(staff, price=3000)
    assert codes(await refund(staff, other_order["id"], "5.00", key=key)) == ["IDEMPOTENCY_KEY_REUSED"]

    intent = await intent_of(localstripe_url, order)
    assert [r["amount"] for r in await stripe_refunds(localstripe_url, intent["id"])] == [500]
    assert (await staff.data(READ_ORDER, {"id": order["id"]}))["order"]["payment"]["amountRefunded"]["minorUnits"] == 500


async def test_parallel_retries_with_one_key_refund_once(staff, localstripe_url):
    order, _ = await paid_order(staff, price=2000)
    key = uuid.uuid4().hex
    results = await asyncio.gather(*(refund(staff, order["id"], "7.00", key=key) for _ in range(6)))
    assert {r["refund"]["id"] for r in results} == {results[0]["refund"]["id"]}
    assert all(r["userErrors"] == [] and r["refund"]["status"] == "SUCCEEDED" for r in results)
    intent = await intent_of(localstripe_url, order)
    assert [r["amount"] for r in await stripe_refunds(localstripe_url, intent["id"])] == [700]


async def test_two_parallel_refunds_of_the_last_ten_dollars_send_one_to_stripe(staff, localstripe_url):
    order, _ = await paid_order(staff, price=3000)
    assert (await refund(staff, order["id"], "20.00"))["userErrors"] == []

    results = await asyncio.gather(*(refund(staff, order["id"], "10.00") for _ in range(2)))

    assert sorted(tuple(codes(r)) for r in results) == [(), ("INVALID",)]
    intent = await intent_of(localstripe_url, order)
    assert sorted(r["amount"] for r in await stripe_refunds(localstripe_url, intent["id"])) == [1000, 2000]
    assert intent["latest_charge"]["amount_refunded"] == 3000
    final = (await staff.data(READ_ORDER, {"id": order["id"]}))["order"]
    assert final["status"] == "REFUNDED" and final["payment"]["amountRefunded"]["minorUnits"] == 3000


async def test_cancel_order_cancels_the_payment_intent_and_releases_the_stock(staff, localstripe_url):
    waiting, intent, product = await order_awaiting_3ds(staff, localstripe_url)
    assert await stock_of(product) == 4

    cancelled = (await staff.data(CANCEL, {"orderId": waiting["id"]}))["cancelOrder"]

    assert cancelled["userErrors"] == [] and cancelled["order"]["status"] == "CANCELLED"
    assert (await stripe_get(localstripe_url, f"/v1/payment_intents/{intent['id']}"))["status"] == "canceled"
    assert await stock_of(product) == 5
    again = (await staff.data(CANCEL, {"orderId": waiting["id"]}))["cancelOrder"]
    assert again["userErrors"] == [] and again["order"]["status"] == "CANCELLED"
    assert await stock_of(product) == 5  # released once


async def test_a_paid_order_cannot_be_cancelled(staff, localstripe_url):
    order, product = await paid_order(staff)
    result = (await staff.data(CANCEL, {"orderId": order["id"]}))["cancelOrder"]
    assert [e["code"] for e in result["userErrors"]] == ["ORDER_ALREADY_PAID"] and result["order"] is None
    assert (await intent_of(localstripe_url, order))["status"] == "succeeded"
    assert await stock_of(product) == 9
    unknown = (await staff.data(CANCEL, {"orderId": "T3JkZXI6MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA"}))
    assert [e["code"] for e in unknown["cancelOrder"]["userErrors"]] == ["NOT_FOUND"]


async def test_a_declined_order_is_already_over_and_cancelling_it_changes_nothing(staff, localstripe_url):
    product = await make_product(1000, 3)
    declined = await checkout(staff, await cart_with(staff, (product, 1)),
                              await create_card_token(localstripe_url, "4000000000000341"))
    assert declined["order"]["status"] == "PAYMENT_FAILED"
    result = (await staff.data(CANCEL, {"orderId": declined["order"]["id"]}))["cancelOrder"]
    assert result["userErrors"] == [] and result["order"]["status"] == "PAYMENT_FAILED"
    assert await stock_of(product) == 3
