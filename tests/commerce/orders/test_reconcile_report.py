"""The reconciler's audit: paid orders compared with Stripe, reported, and
repaired where that only follows Stripe forward.

A refund made directly on localstripe (as from Stripe's dashboard) reaches us
only this way: localstripe sends no charge.* or refund webhooks.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest

from commerce.orders.reconcile import reconcile
from models import Order, OrderFinancialStatus, OrderStatus, Payment, Refund, RefundStatus
from payments.stripe_gateway import StripeGateway
from shopgraph.app import create_app
from tests.conftest import GraphQLClient
from tests.e2e.server import server_env, shopgraph
from tests.fault_proxy import Fault
from tests.graph.orders.test_refunds import REFUND
from tests.shop import READ_ORDER, intents_of_order, key_of
from tests.stripe_emulator import TEST_SECRET_KEY
from tests.stripe_events import api_key, paid_order, refund_at_stripe, stripe_refunds


async def intent_id_of(stripe_url: str, order: dict) -> str:
    [intent] = await intents_of_order(stripe_url, key_of(order["id"]))
    return intent["id"]


def about(report, order: dict):
    return [d for d in report.discrepancies if d.order_number == order["number"]]


async def test_a_refund_made_on_the_emulator_is_found_and_repaired(gql, gateway, localstripe_url):
    order, _ = await paid_order(gql, price=6000)
    intent_id = await intent_id_of(localstripe_url, order)

    await refund_at_stripe(localstripe_url, intent_id, 2500)
    report = await reconcile(gateway)

    [found] = about(report, order)
    assert found.status == "PAID" and "refunded 2500" in found.stripe and found.repaired
    now = (await gql.data(READ_ORDER, {"id": order["id"]}))["order"]
    assert now["status"] == "PARTIALLY_REFUNDED" and now["payment"]["amountRefunded"]["minorUnits"] == 2500
    assert about(await reconcile(gateway), order) == []  # repaired for good

    await refund_at_stripe(localstripe_url, intent_id, 3500)
    await reconcile(gateway)
    now = (await gql.data(READ_ORDER, {"id": order["id"]}))["order"]
    assert now["status"] == "REFUNDED" and now["payment"]["amountRefunded"]["minorUnits"] == 6000


async def test_a_disagreement_that_would_move_an_order_back_is_reported_not_repaired(gql, gateway, localstripe_url):
    order, _ = await paid_order(gql, price=2000)
    await Order.filter(id=key_of(order["id"])).update(  # says so here, not at Stripe
        status=OrderStatus.REFUNDED, financial_status=OrderFinancialStatus.REFUNDED)

    report = await reconcile(gateway)

    [found] = about(report, order)
    assert found.repaired == [] and "NEEDS ATTENTION" in str(found) and "PAID" in found.problem
    assert (await Order.get(id=key_of(order["id"]))).status is OrderStatus.REFUNDED
    assert await stripe_refunds(localstripe_url, await intent_id_of(localstripe_url, order)) == []


async def test_orders_that_agree_with_stripe_are_not_reported(gql, gateway):
    order, _ = await paid_order(gql)
    report = await reconcile(gateway)
    assert report.audited >= 1 and about(report, order) == []
    assert about(await reconcile(gateway, audit_window=None), order) == []


@pytest.mark.parametrize("reached_stripe, status, refunded", [(False, "FAILED", 0), (True, "SUCCEEDED", 1000)])
async def test_a_refund_whose_answer_was_lost_is_settled_by_the_reconciler(
    settings, gql, fault_proxy, localstripe_url, reached_stripe, status, refunded
):
    order, _ = await paid_order(gql, price=4000)
    flaky = StripeGateway(TEST_SECRET_KEY, api_base=fault_proxy.url, max_network_retries=0)
    app = create_app(settings, gateway=flaky, manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shopgraph.test") as http:
        staff = GraphQLClient(http, headers={"Authorization": f"Bearer {await api_key()}"})
        fault_proxy.arm("POST", r"/v1/refunds", Fault.DROP, forward=reached_stripe)
        key = uuid.uuid4().hex
        lost = (await staff.data(REFUND, {"orderId": order["id"], "amount": "10.00", "key": key}))["refundOrder"]
        assert [e["code"] for e in lost["userErrors"]] == ["PAYMENT_FAILED"]
        assert lost["refund"]["status"] == "PENDING" and lost["order"]["status"] == "PAID"
        # Still in flight as far as we know: it counts against what is left.
        too_much = (await staff.data(REFUND, {"orderId": order["id"], "amount": "30.01", "key": None}))["refundOrder"]
        assert [e["code"] for e in too_much["userErrors"]] == ["INVALID"]

        report = await reconcile(flaky, grace=timedelta(0))

        [found] = about(report, order)
        assert found.repaired and status in found.repaired[0]
        again = (await staff.data(REFUND, {"orderId": order["id"], "amount": "10.00", "key": key}))["refundOrder"]
    await flaky.aclose()
    assert again["refund"]["status"] == status
    assert (await Refund.get(idempotency_key=key)).status is RefundStatus[status]
    payment = await Payment.get(order_id=key_of(order["id"]))
    assert payment.amount_refunded == refunded
    stripe_amounts = [r["amount"] for r in await stripe_refunds(localstripe_url, await intent_id_of(localstripe_url, order))]
    assert stripe_amounts == ([1000] if reached_stripe else [])


async def test_shopgraph_reconcile_report_lists_the_orders_that_disagree(database, gql, localstripe_url):
    order, _ = await paid_order(gql, price=1500)
    intent_id = await intent_id_of(localstripe_url, order)
    env = server_env(database, STRIPE_SECRET_KEY=TEST_SECRET_KEY, STRIPE_API_BASE=localstripe_url)

    await refund_at_stripe(localstripe_url, intent_id, 500)
    quiet = shopgraph("reconcile", env=env).stdout
    assert f"order {order['number']} " not in quiet and "disagreed" in quiet  # counted, not listed
    assert (await Order.get(id=key_of(order["id"]))).status is OrderStatus.PARTIALLY_REFUNDED

    await refund_at_stripe(localstripe_url, intent_id, 1000)
    out = shopgraph("reconcile", "--report", env=env).stdout

    line = next(line for line in out.splitlines() if f"order {order['number']} " in line)
    assert "(PARTIALLY_REFUNDED)" in line and "refunded 1500" in line and "order REFUNDED" in line
    assert (await Order.get(id=key_of(order["id"]))).status is OrderStatus.REFUNDED
