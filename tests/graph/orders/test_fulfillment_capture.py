"""fulfillmentCreate with tracking, and manual capture (SHOPGRAPH_CAPTURE_METHOD=manual)
through the public API against localstripe, which supports `capture_method=manual`,
partial captures (the rest is released as a refund of the charge) and voids."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from commerce.orders.reconcile import reconcile
from models import Product
from tests.conftest import GraphQLClient
from tests.shop import stock_of, cart_with, checkout, intents_of_order, key_of, make_product
from tests.stripe_events import api_key, app_client, paid_order, stripe_get

FULFIL = """
mutation($orderId: ID!, $lines: [FulfillmentLineInput!], $tracking: TrackingInput) {
  fulfillmentCreate(orderId: $orderId, lines: $lines, tracking: $tracking) {
    order { status fulfillmentStatus lines { id quantity } }
    fulfillment { id trackingCompany trackingNumber trackingUrl lines { orderLine { id } quantity } }
    userErrors { field code message }
  }
}
"""
CAPTURE = """
mutation($orderId: ID!, $amount: Decimal, $key: String!) {
  orderCapture(orderId: $orderId, amount: $amount, idempotencyKey: $key) {
    order { status financialStatus payment { amount { minorUnits } } } userErrors { field code }
  }
}
"""
CANCEL = "mutation($orderId: ID!) { cancelOrder(orderId: $orderId) { order { status financialStatus } userErrors { code } } }"
ORDERS = "{ orders(first: 50) { nodes { id fulfillmentStatus dispute { status } fulfillments { id trackingNumber lines { quantity orderLine { id } } } } } }"
ORDER_PARTS = "query($id: ID!) { order(id: $id) { status financialStatus fulfillmentStatus } }"


@pytest.fixture
async def staff(gql) -> GraphQLClient:
    gql.headers["Authorization"] = f"Bearer {await api_key()}"
    yield gql
    gql.headers.pop("Authorization", None)


@pytest.fixture(scope="module")
async def manual(settings, gateway):
    async with app_client(replace(settings, capture_method="manual"), gateway) as http:
        yield http


@pytest.fixture
async def manual_staff(manual) -> GraphQLClient:
    return GraphQLClient(manual, headers={"Authorization": f"Bearer {await api_key()}"})


def errors(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def test_fulfillments_ship_lines_with_tracking_and_never_more_than_was_ordered(staff):
    order, _ = await paid_order(staff, quantity=3)
    [line] = (await staff.data(ORDER_PARTS.replace("fulfillmentStatus", "fulfillmentStatus lines { id }"),
                               {"id": order["id"]}))["order"]["lines"]
    tracking = {"company": "UPS", "number": "1Z999", "url": "https://ups.example/1Z999"}
    first = (await staff.data(FULFIL, {"orderId": order["id"], "lines": [{"orderLineId": line["id"], "quantity": 2}],
                                       "tracking": tracking}))["fulfillmentCreate"]
    assert first["userErrors"] == []
    assert first["order"]["fulfillmentStatus"] == "PARTIALLY_FULFILLED" and first["order"]["status"] == "PAID"
    assert first["fulfillment"]["trackingNumber"] == "1Z999"
    assert first["fulfillment"]["lines"] == [{"orderLine": {"id": line["id"]}, "quantity": 2}]

    too_many = (await staff.data(FULFIL, {"orderId": order["id"], "lines": [{"orderLineId": line["id"], "quantity": 2}]}))
    assert errors(too_many["fulfillmentCreate"]) == [("INVALID", ["lines", "0", "quantity"])]

    rest = (await staff.data(FULFIL, {"orderId": order["id"]}))["fulfillmentCreate"]  # lines omitted: what is left
    assert rest["fulfillment"]["lines"] == [{"orderLine": {"id": line["id"]}, "quantity": 1}]
    assert (rest["order"]["fulfillmentStatus"], rest["order"]["status"]) == ("FULFILLED", "FULFILLED")
    nothing_left = (await staff.data(FULFIL, {"orderId": order["id"]}))["fulfillmentCreate"]
    assert errors(nothing_left) == [("INVALID", ["orderId"])]


async def test_only_paid_or_authorised_orders_are_fulfilled_and_bad_tracking_is_refused(staff):
    product = await make_product(900, 3)
    failed = (await checkout(staff, await cart_with(staff, (product, 1)), "pm_card_chargeCustomerFail"))["order"]
    refused = (await staff.data(FULFIL, {"orderId": failed["id"]}))["fulfillmentCreate"]
    assert errors(refused) == [("ORDER_NOT_PAID", ["orderId"])]
    order, _ = await paid_order(staff)
    bad = (await staff.data(FULFIL, {"orderId": order["id"], "tracking": {"url": "javascript:alert(1)"}}))
    assert errors(bad["fulfillmentCreate"]) == [("INVALID", ["tracking", "url"])]
    assert (await staff.data(ORDER_PARTS, {"id": order["id"]}))["order"]["fulfillmentStatus"] == "UNFULFILLED"


async def test_the_orders_feed_reads_fulfillments_with_a_fixed_number_of_queries(staff, sql_statements):
    for _ in range(3):
        order, _ = await paid_order(staff)
        await staff.data(FULFIL, {"orderId": order["id"], "tracking": {"number": "T1"}})
    sql_statements.clear()
    few = await staff.data(ORDERS)
    count_few = len(sql_statements)
    for _ in range(3):
        order, _ = await paid_order(staff)
        await staff.data(FULFIL, {"orderId": order["id"]})
    sql_statements.clear()
    more = await staff.data(ORDERS)
    assert len(more["orders"]["nodes"]) == len(few["orders"]["nodes"]) + 3
    assert len(sql_statements) == count_few <= 6  # orders, fulfillments, their lines, disputes, the API key


async def test_manual_capture_authorises_then_captures_part_once_per_key(manual_staff, localstripe_url):
    product = await make_product(5000, 4)
    result = await checkout(manual_staff, await cart_with(manual_staff, (product, 1)), "pm_card_visa")
    order = result["order"]
    assert result["userErrors"] == [] and order["status"] == "AUTHORIZED"
    assert await stock_of(product) == 3  # held while authorised
    [intent] = await intents_of_order(localstripe_url, key_of(order["id"]))
    assert intent["status"] == "requires_capture"

    key = uuid.uuid4().hex
    captured = (await manual_staff.data(CAPTURE, {"orderId": order["id"], "amount": "30.00", "key": key}))["orderCapture"]
    assert captured["userErrors"] == [] and captured["order"]["financialStatus"] == "PARTIALLY_PAID"
    again = (await manual_staff.data(CAPTURE, {"orderId": order["id"], "amount": "30.00", "key": key}))["orderCapture"]
    assert again == captured
    other = (await manual_staff.data(CAPTURE, {"orderId": order["id"], "key": uuid.uuid4().hex}))["orderCapture"]
    assert errors(other) == [("ORDER_ALREADY_PAID", ["orderId"])]
    at_stripe = await stripe_get(localstripe_url, f"/v1/payment_intents/{intent['id']}")
    assert at_stripe["status"] == "succeeded"
    assert at_stripe["latest_charge"]["amount_refunded"] == 2000  # the rest, released
    # What is refundable is what was captured.
    from tests.graph.orders.test_money_lifecycle import REFUND
    over = (await manual_staff.data(REFUND, {"orderId": order["id"], "amount": "30.01", "key": uuid.uuid4().hex}))
    assert errors(over["refundOrder"]) == [("INVALID", ["amount"])]


async def test_capture_refuses_more_than_was_authorised_and_unauthorised_orders(manual_staff, staff):
    product = await make_product(1000, 4)
    order = (await checkout(manual_staff, await cart_with(manual_staff, (product, 1)), "pm_card_visa"))["order"]
    over = (await manual_staff.data(CAPTURE, {"orderId": order["id"], "amount": "10.01", "key": "k-over"}))
    assert errors(over["orderCapture"]) == [("INVALID", ["amount"])]
    paid, _ = await paid_order(staff)
    unpaid = (await staff.data(CAPTURE, {"orderId": paid["id"], "key": uuid.uuid4().hex}))
    assert errors(unpaid["orderCapture"]) == [("ORDER_ALREADY_PAID", ["orderId"])]


async def test_cancel_voids_an_authorisation_and_the_reconciler_voids_old_ones(manual_staff, gateway, localstripe_url):
    product = await make_product(1500, 4)
    first = (await checkout(manual_staff, await cart_with(manual_staff, (product, 1)), "pm_card_visa"))["order"]
    second = (await checkout(manual_staff, await cart_with(manual_staff, (product, 1)), "pm_card_visa"))["order"]
    assert await stock_of(product) == 2

    voided = (await manual_staff.data(CANCEL, {"orderId": first["id"]}))["cancelOrder"]
    assert voided["userErrors"] == [] and voided["order"] == {"status": "CANCELLED", "financialStatus": "VOIDED"}
    [intent] = await intents_of_order(localstripe_url, key_of(first["id"]))
    assert intent["status"] == "canceled" and await stock_of(product) == 3

    await reconcile(gateway, audit_window=None, now=datetime.now(timezone.utc) + timedelta(days=5))
    assert (await manual_staff.data(ORDER_PARTS, {"id": second["id"]}))["order"]["financialStatus"] == "AUTHORIZED"
    report = await reconcile(gateway, audit_window=None, now=datetime.now(timezone.utc) + timedelta(days=6, hours=1))
    assert report.settled.get(second["number"]) == "CANCELLED"
    [intent] = await intents_of_order(localstripe_url, key_of(second["id"]))
    assert intent["status"] == "canceled" and await stock_of(product) == 4
