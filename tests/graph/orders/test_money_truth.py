"""Money truth (DESIGN §11) through the public API, against localstripe: a partial capture
shows what Stripe took (`amountCaptured`, `netPayment`, `totalOutstanding`, PARTIALLY_PAID)
to the API, the partners and the reconciler; refunds stop at what was captured; a late
success whose stock was sold stays CANCELLED and gives the money back, retried until
Stripe has it back.

localstripe sends no `amount_received` and no refund events, and cannot refuse a refund
(DESIGN §5): a capture reported by webhook is a signed payload about a PaymentIntent
localstripe holds, and a refused refund comes from `tests/fault_proxy.py`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx
import pytest

from commerce.orders.reconcile import audit, reconcile
from commerce.outbound.payloads import order_payload
from models import OrderEvent
from payments.stripe_gateway import StripeGateway
from tests.conftest import GraphQLClient
from tests.fault_proxy import Fault, FaultProxy
from tests.graph.orders.test_fulfillment_capture import manual, manual_staff  # noqa: F401 (fixtures)
from tests.graph.orders.test_money_lifecycle import hook, staff  # noqa: F401 (fixtures)
from tests.shop import cart_with, checkout, intents_of_order, key_of, make_product, stock_of
from tests.stripe_emulator import TEST_SECRET_KEY
from tests.stripe_events import (
    api_key, app_client, authenticated, deliver, event, order_awaiting_3ds, refund_at_stripe, stripe_get,
    stripe_refunds, through,
)

MONEY = """
query($id: ID!) { order(id: $id) {
  status financialStatus needsAttention attentionReason cancelReason
  total { amount } netPayment { amount minorUnits } totalOutstanding { amount }
  payment { amount { amount } amountCaptured { amount } amountRefunded { amount } }
} }
"""
CAPTURE = """
mutation($orderId: ID!, $amount: Decimal, $key: String!) {
  orderCapture(orderId: $orderId, amount: $amount, idempotencyKey: $key) {
    order { status financialStatus } userErrors { field code }
  }
}
"""
REFUND = """
mutation($orderId: ID!, $amount: Decimal) {
  refundOrder(orderId: $orderId, amount: $amount, idempotencyKey: null) {
    order { status financialStatus } refund { status } userErrors { field code message }
  }
}
"""
CANCEL = "mutation($id: ID!) { cancelOrder(orderId: $id) { order { status } userErrors { code } } }"
FULFIL = "mutation($id: ID!) { fulfillmentCreate(orderId: $id) { fulfillment { id } userErrors { code field } } }"


async def money(gql: GraphQLClient, order_id: str) -> dict:
    return (await gql.data(MONEY, {"id": order_id}))["order"]


async def authorised(gql: GraphQLClient, price: int) -> dict:
    product = await make_product(price, 5)
    order = (await checkout(gql, await cart_with(gql, (product, 1)), "pm_card_visa"))["order"]
    assert order["status"] == "AUTHORIZED"
    return order


async def test_a_partial_capture_shows_what_stripe_took_and_refunds_stop_there(manual_staff, gateway,
                                                                               localstripe_url):
    order = await authorised(manual_staff, 8138)
    before = await money(manual_staff, order["id"])
    assert before["payment"]["amountCaptured"] is None and before["netPayment"]["amount"] == "0.00"
    assert before["totalOutstanding"]["amount"] == "81.38"

    done = (await manual_staff.data(CAPTURE, {"orderId": order["id"], "amount": "80.38", "key": uuid.uuid4().hex}))
    assert done["orderCapture"] == {"order": {"status": "PAID", "financialStatus": "PARTIALLY_PAID"},
                                    "userErrors": []}
    now = await money(manual_staff, order["id"])
    assert now["payment"] == {"amount": {"amount": "81.38"}, "amountCaptured": {"amount": "80.38"},
                              "amountRefunded": {"amount": "0.00"}}
    assert (now["netPayment"]["amount"], now["totalOutstanding"]["amount"]) == ("80.38", "1.00")

    # The partner's payload of the capture says what Stripe holds.
    latest = await OrderEvent.filter(order_id=key_of(order["id"])).order_by("-sequence").first()
    payload = await order_payload(latest)
    assert (payload["financialStatus"], payload["amountCaptured"]["amount"], payload["netPayment"]["amount"],
            payload["totalOutstanding"]["amount"]) == ("PARTIALLY_PAID", "80.38", "80.38", "1.00")

    # The reconciler agrees with it: nothing to report.
    report = await audit(gateway, (await reconcile(gateway, audit_window=None)), since=latest.created_at)
    assert [d for d in report.discrepancies if d.order_number == order["number"]] == []
    assert (await money(manual_staff, order["id"]))["financialStatus"] == "PARTIALLY_PAID"

    # Never more back than was captured; all of it gives REFUNDED.
    over = (await manual_staff.data(REFUND, {"orderId": order["id"], "amount": "81.38"}))["refundOrder"]
    assert [(e["code"], e["field"]) for e in over["userErrors"]] == [("INVALID", ["amount"])]
    part = (await manual_staff.data(REFUND, {"orderId": order["id"], "amount": "30.38"}))["refundOrder"]
    assert part["order"]["financialStatus"] == "PARTIALLY_REFUNDED"
    rest = (await manual_staff.data(REFUND, {"orderId": order["id"], "amount": "50.00"}))["refundOrder"]
    assert rest["userErrors"] == [] and rest["order"]["financialStatus"] == "REFUNDED"
    end = await money(manual_staff, order["id"])
    assert (end["netPayment"]["amount"], end["totalOutstanding"]["amount"]) == ("0.00", "1.00")
    [intent] = await intents_of_order(localstripe_url, key_of(order["id"]))
    assert sum(r["amount"] for r in await stripe_refunds(localstripe_url, intent["id"])) == 100 + 3038 + 5000  # the released rest, then ours


async def test_a_capture_reported_by_webhook_records_amount_received(manual_staff, localstripe_url):
    order = await authorised(manual_staff, 5000)
    [intent] = await intents_of_order(localstripe_url, key_of(order["id"]))
    # Captured at Stripe (its dashboard), then its event, which on real Stripe says `amount_received`
    # (localstripe's does not: a signed payload of the PaymentIntent localstripe now holds).
    async with httpx.AsyncClient(base_url=localstripe_url, headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"}) as s:
        (await s.post(f"/v1/payment_intents/{intent['id']}/capture", data={"amount_to_capture": "4200"})
         ).raise_for_status()
    at_stripe = await stripe_get(localstripe_url, f"/v1/payment_intents/{intent['id']}")
    captured = {**at_stripe, "amount_received": 4200}
    assert (await deliver(manual_staff.http, event("payment_intent.succeeded", captured)))["outcome"] == "applied"
    now = await money(manual_staff, order["id"])
    assert (now["financialStatus"], now["payment"]["amountCaptured"]["amount"]) == ("PARTIALLY_PAID", "42.00")
    assert (now["netPayment"]["amount"], now["totalOutstanding"]["amount"]) == ("42.00", "8.00")
    # A repeat, or an `amount_capturable_updated`, changes nothing.
    again = event("payment_intent.amount_capturable_updated", {**intent, "status": "requires_capture"})
    assert (await deliver(manual_staff.http, again))["outcome"] == "unchanged"


async def test_an_unpaid_or_cancelled_order_owes_and_keeps_what_it_should(manual_staff, staff):
    order = await authorised(manual_staff, 2000)
    assert (await manual_staff.data(CANCEL, {"id": order["id"]}))["cancelOrder"]["order"]["status"] == "CANCELLED"
    now = await money(manual_staff, order["id"])
    assert (now["netPayment"]["amount"], now["totalOutstanding"]["amount"]) == ("0.00", "0.00")
    assert now["payment"]["amountCaptured"] is None
    product = await make_product(1500, 3)
    paid = (await checkout(staff, await cart_with(staff, (product, 1)), "pm_card_visa"))["order"]
    now = await money(staff, paid["id"])
    assert (now["financialStatus"], now["payment"]["amountCaptured"]["amount"]) == ("PAID", "15.00")
    assert (now["netPayment"]["amount"], now["totalOutstanding"]["amount"]) == ("15.00", "0.00")


async def _cancelled_then_sold_then_paid(staff: GraphQLClient, proxy: FaultProxy,
                                         stripe_url: str) -> tuple[dict, dict, object]:
    """An order cancelled (cancelOrder) while waiting for 3-D Secure, its stock sold to another
    buyer, and then the shopper's 3-D Secure succeeding at Stripe: the success is late.

    localstripe cannot race a cancel with 3-D Secure: the proxy answers the cancel as Stripe
    would have, had the cancel come first, without passing it on, so localstripe's
    PaymentIntent can then complete 3-D Secure."""
    order, intent, product = await order_awaiting_3ds(staff, stripe_url, price=3000)
    proxy.arm("POST", rf"/v1/payment_intents/{intent['id']}/cancel", Fault.ANSWER, forward=False,
              body=json.dumps({**intent, "status": "canceled", "client_secret": None}).encode())
    cancelled = (await staff.data(CANCEL, {"id": order["id"]}))["cancelOrder"]
    assert cancelled == {"order": {"status": "CANCELLED"}, "userErrors": []}
    other = await checkout(staff, await cart_with(staff, (product, 5)), "pm_card_visa")
    assert other["order"]["status"] == "PAID" and await stock_of(product) == 0
    paid = await authenticated(stripe_url, intent)
    assert paid["status"] == "succeeded"
    return order, paid, product


async def test_a_late_success_whose_stock_is_gone_stays_cancelled_and_is_refunded(settings, fault_proxy,
                                                                                   localstripe_url):
    async with through(settings, fault_proxy) as (staff, _):
        order, paid, product = await _cancelled_then_sold_then_paid(staff, fault_proxy, localstripe_url)
        assert (await deliver(staff.http, event("payment_intent.succeeded", paid)))["outcome"] == "applied"
        now = await money(staff, order["id"])
        assert (now["status"], now["financialStatus"], now["needsAttention"]) == ("CANCELLED", "REFUNDED", False)
        assert now["payment"]["amountCaptured"]["amount"] == "30.00" and now["netPayment"]["amount"] == "0.00"
        assert [r["amount"] for r in await stripe_refunds(localstripe_url, paid["id"])] == [3000]
        assert await stock_of(product) == 0
        refused = (await staff.data(FULFIL, {"id": order["id"]}))["fulfillmentCreate"]
        assert [e["code"] for e in refused["userErrors"]] == ["ORDER_NOT_PAID"] and refused["fulfillment"] is None
        types = await OrderEvent.filter(order_id=key_of(order["id"])).order_by("sequence").values_list("type", flat=True)
        assert "order_paid" not in [t.value for t in types]  # partners never hear of a paid order


async def test_a_late_success_whose_refund_is_refused_stays_cancelled_until_the_money_is_back(
        settings, fault_proxy, localstripe_url):
    async with through(settings, fault_proxy) as (staff, gateway):
        order, paid, product = await _cancelled_then_sold_then_paid(staff, fault_proxy, localstripe_url)
        # Stripe refuses the refund, then cannot be reached at all.
        fault_proxy.arm("POST", r"/v1/refunds", Fault.ANSWER, forward=False, status=400, body=json.dumps(
            {"error": {"type": "invalid_request_error", "message": "Refund refused"}}).encode())
        assert (await deliver(staff.http, event("payment_intent.succeeded", paid)))["outcome"] == "applied"
        now = await money(staff, order["id"])
        assert (now["status"], now["financialStatus"], now["needsAttention"]) == ("CANCELLED", "PAID", True)
        assert now["payment"]["amountCaptured"]["amount"] == "30.00" and now["netPayment"]["amount"] == "30.00"
        assert "not back" in now["attentionReason"]
        refused = (await staff.data(FULFIL, {"id": order["id"]}))["fulfillmentCreate"]
        assert [e["code"] for e in refused["userErrors"]] == ["ORDER_NOT_PAID"]
        assert await stripe_refunds(localstripe_url, paid["id"]) == []

        fault_proxy.arm("POST", r"/v1/refunds", Fault.ERROR_500, forward=False, times=10)
        report = await reconcile(gateway, audit_window=None)
        assert order["number"] in report.attention and await stripe_refunds(localstripe_url, paid["id"]) == []
        assert (await money(staff, order["id"]))["needsAttention"] is True

        # Stripe answers again: the next pass gives the money back, and the mark goes.
        fault_proxy.rules.clear()
        report = await reconcile(gateway, audit_window=None)
        assert order["number"] not in report.attention
        now = await money(staff, order["id"])
        assert (now["status"], now["financialStatus"], now["needsAttention"]) == ("CANCELLED", "REFUNDED", False)
        assert now["netPayment"]["amount"] == "0.00"
        assert [r["amount"] for r in await stripe_refunds(localstripe_url, paid["id"])] == [3000]
        assert await stock_of(product) == 0


async def test_a_late_payment_refunded_in_stripes_dashboard_is_never_refunded_twice(settings, fault_proxy,
                                                                                    localstripe_url):
    async with through(settings, fault_proxy) as (staff, gateway):
        order, paid, _ = await _cancelled_then_sold_then_paid(staff, fault_proxy, localstripe_url)
        fault_proxy.arm("POST", r"/v1/refunds", Fault.ANSWER, forward=False, status=400, body=json.dumps(
            {"error": {"type": "invalid_request_error", "message": "Refund refused"}}).encode())
        await deliver(staff.http, event("payment_intent.succeeded", paid))
        assert (await money(staff, order["id"]))["needsAttention"] is True
        await refund_at_stripe(localstripe_url, paid["id"], 3000)  # a person did it by hand, as the reason says

        report = await reconcile(gateway, audit_window=None)
        assert order["number"] not in report.attention
        now = await money(staff, order["id"])
        assert (now["status"], now["financialStatus"], now["needsAttention"]) == ("CANCELLED", "REFUNDED", False)
        assert [r["amount"] for r in await stripe_refunds(localstripe_url, paid["id"])] == [3000]


async def test_two_stripe_side_refunds_of_one_amount_after_a_partial_capture_are_both_counted(manual_staff,
                                                                                               localstripe_url):
    """The first refund made in Stripe's dashboard reaches us as the charge's running total only
    (an amount, no id), the second as its own refund object only. Its amount cannot say whether
    it is the first one: the running total Stripe holds then says it is another."""
    order = await authorised(manual_staff, 1000)
    await manual_staff.data(CAPTURE, {"orderId": order["id"], "amount": "4.00", "key": uuid.uuid4().hex})
    [intent] = await intents_of_order(localstripe_url, key_of(order["id"]))

    await refund_at_stripe(localstripe_url, intent["id"], 150)
    charge = {**(await stripe_get(localstripe_url, f"/v1/payment_intents/{intent['id']}"))["latest_charge"],
              "payment_intent": intent["id"]}
    del charge["refunds"]
    await deliver(manual_staff.http, event("charge.refunded", charge))
    assert (await money(manual_staff, order["id"]))["payment"]["amountRefunded"]["amount"] == "1.50"

    second = await refund_at_stripe(localstripe_url, intent["id"], 150)
    await deliver(manual_staff.http, event("refund.created", {**second, "payment_intent": intent["id"]}))

    now = await money(manual_staff, order["id"])
    assert (now["payment"]["amountRefunded"]["amount"], now["netPayment"]["amount"]) == ("3.00", "1.00")
    assert now["financialStatus"] == "PARTIALLY_REFUNDED"
