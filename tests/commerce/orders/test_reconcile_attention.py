"""The reconciler never stops at one order.

Abandoned checkouts (3-D Secure never completed, on localstripe) are settled
by one pass, even when one of them cannot be: its PaymentIntent is unknown at
Stripe (its stored id overwritten with a `pi_missing…`, so localstripe answers
404), or asking about it fails in a way nobody planned for (`tests/fault_proxy.py`
answers a malformed PaymentIntent), or the money a late payment left owed
cannot be sent back (the fault proxy again). That order is marked as needing attention
with a reason, visible through GraphQL to orders:read keys, logged once, and
skipped; every other order is settled and its stock released. The mark goes
once a later pass settles the order.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from prometheus_client import generate_latest

from commerce.orders.reconcile import reconcile
from models import Payment
from payments.stripe_gateway import StripeGateway
from shopgraph import metrics
from tests.e2e.server import server_env, shopgraph
from tests.fault_proxy import Fault
from tests.conftest import GraphQLClient
from tests.shop import cart_with, checkout, key_of, make_product, stock_of
from tests.stripe_emulator import TEST_SECRET_KEY
from tests.stripe_events import (
    api_key, app_client, authenticated, deliver, event, order_awaiting_3ds, stripe_get, stripe_refunds,
)

ATTENTION = "query($id: ID!) { order(id: $id) { id status needsAttention attentionReason updatedAt } }"
NEEDING = """query($flag: Boolean) {
  orders(first: 100, needsAttention: $flag) { nodes { id needsAttention attentionReason } }
}"""
AT_ONCE = {"grace": timedelta(0), "action_grace": timedelta(0), "audit_window": None}


@pytest.fixture
async def staff(gql):
    """The `gql` client, carrying an API key with orders:read."""
    gql.headers["Authorization"] = f"Bearer {await api_key('orders:read orders:write')}"
    yield gql
    gql.headers.pop("Authorization", None)


async def abandoned_checkouts(gql, stripe_url: str, count: int) -> list[tuple[dict, dict, object]]:
    """`count` orders waiting for a 3-D Secure that never comes; each holds one of its product's 5."""
    return [await order_awaiting_3ds(gql, stripe_url) for _ in range(count)]


async def attention_of(gql, order: dict) -> dict:
    return (await gql.data(ATTENTION, {"id": order["id"]}))["order"]


async def flagged_ids(gql, flag: bool) -> set[str]:
    return {o["id"] for o in (await gql.data(NEEDING, {"flag": flag}))["orders"]["nodes"]}


def attention_logs(caplog: pytest.LogCaptureFixture, order: dict) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "shopgraph.reconcile"
            and f"order {order['number']} needs attention" in r.getMessage()]


async def assert_released(gql, stripe_url: str, checkouts) -> None:
    for order, intent, product in checkouts:
        now = await attention_of(gql, order)
        assert (now["status"], now["needsAttention"], now["attentionReason"]) == ("CANCELLED", False, None)
        assert await stock_of(product) == 5
        assert (await stripe_get(stripe_url, f"/v1/payment_intents/{intent['id']}"))["status"] == "canceled"


async def test_an_order_stripe_does_not_know_is_marked_and_the_pass_settles_the_others(
    staff, gateway, localstripe_url, caplog
):
    checkouts = await abandoned_checkouts(staff, localstripe_url, 4)
    bad, bad_intent, bad_product = checkouts.pop(1)
    missing = f"pi_missing{uuid.uuid4().hex[:14]}"
    await Payment.filter(order_id=key_of(bad["id"])).update(intent_id=missing)
    before = await attention_of(staff, bad)

    with caplog.at_level(logging.INFO, logger="shopgraph.reconcile"):
        first = await reconcile(gateway, **AT_ONCE)

    await assert_released(staff, localstripe_url, checkouts)
    marked = await attention_of(staff, bad)
    assert (marked["status"], marked["needsAttention"]) == ("ACTION_REQUIRED", True)
    assert missing in marked["attentionReason"] and "Stripe has no PaymentIntent" in marked["attentionReason"]
    assert marked["updatedAt"] == before["updatedAt"]  # the mark is not a change of the order's state
    assert await stock_of(bad_product) == 4  # a person decides; nothing is released blindly
    assert first.newly_marked == [bad["number"]] and first.needing_attention >= 1
    assert len(attention_logs(caplog, bad)) == 1
    assert bad["id"] in await flagged_ids(staff, True)
    assert bad["id"] not in await flagged_ids(staff, False)
    assert {o["id"] for o, _, _ in checkouts} <= await flagged_ids(staff, False)

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="shopgraph.reconcile"):
        second = await reconcile(gateway, **AT_ONCE)
    assert attention_logs(caplog, bad) == [] and second.newly_marked == []  # logged once, not on every pass
    assert bad["number"] in second.attention and (await attention_of(staff, bad))["needsAttention"]

    await Payment.filter(order_id=key_of(bad["id"])).update(intent_id=bad_intent["id"])  # a person repairs it
    await reconcile(gateway, **AT_ONCE)
    await assert_released(staff, localstripe_url, [(bad, bad_intent, bad_product)])


async def test_an_unexpected_error_for_one_order_marks_it_and_the_pass_settles_the_others(
    staff, fault_proxy, localstripe_url, caplog
):
    checkouts = await abandoned_checkouts(staff, localstripe_url, 3)
    bad, bad_intent, bad_product = checkouts.pop(0)
    # Stripe (or something in between) answers a PaymentIntent nobody planned for, twice.
    garbled = json.dumps({"object": "payment_intent", "id": bad_intent["id"], "status": "requires_action",
                          "metadata": "garbled"}).encode()
    fault_proxy.arm("GET", rf"/v1/payment_intents/{bad_intent['id']}", Fault.ANSWER, forward=False,
                    body=garbled, times=2)
    flaky = StripeGateway(TEST_SECRET_KEY, api_base=fault_proxy.url, max_network_retries=0)
    try:
        with caplog.at_level(logging.INFO, logger="shopgraph.reconcile"):
            await reconcile(flaky, **AT_ONCE)
            first_logs = attention_logs(caplog, bad)
            caplog.clear()
            await reconcile(flaky, **AT_ONCE)
            second_logs = attention_logs(caplog, bad)

        await assert_released(staff, localstripe_url, checkouts)
        marked = await attention_of(staff, bad)
        assert (marked["status"], marked["needsAttention"]) == ("ACTION_REQUIRED", True)
        assert "unexpected AttributeError" in marked["attentionReason"]
        assert len(first_logs) == 1 and first_logs[0].levelno == logging.ERROR and first_logs[0].exc_info
        assert second_logs == []

        await reconcile(flaky, **AT_ONCE)  # Stripe answers sensibly again: settled, the mark goes
    finally:
        await flaky.aclose()
    await assert_released(staff, localstripe_url, [(bad, bad_intent, bad_product)])


async def test_guests_do_not_see_the_mark(gql, staff, localstripe_url):
    [(order, _, _)] = await abandoned_checkouts(staff, localstripe_url, 1)
    gql.headers.pop("Authorization")
    answer = await gql(ATTENTION, {"id": order["id"]})
    assert answer["errors"][0]["extensions"]["code"] in ("UNAUTHENTICATED", "FORBIDDEN")
    assert "needsAttention" in answer["errors"][0]["path"] or "attentionReason" in answer["errors"][0]["path"]


async def test_the_cli_and_metrics_count_what_graphql_lists(database, staff, gateway, localstripe_url):
    [(order, _, _)] = await abandoned_checkouts(staff, localstripe_url, 1)
    await Payment.filter(order_id=key_of(order["id"])).update(intent_id=f"pi_missing{uuid.uuid4().hex[:14]}")
    env = server_env(database, STRIPE_SECRET_KEY=TEST_SECRET_KEY, STRIPE_API_BASE=localstripe_url)

    out = shopgraph("reconcile", "--grace", "0m", env=env).stdout

    listed = await flagged_ids(staff, True)
    assert order["id"] in listed
    count = re.search(r"^(\d+) orders need attention", out, re.MULTILINE)
    assert count is not None and int(count.group(1)) == len(listed), out
    assert f"order {order['number']} needs attention: Stripe has no PaymentIntent" in out

    report = await reconcile(gateway, grace=timedelta(0), audit_window=None)
    metrics.record_reconcile_report(report)
    gauge = re.search(r"^shopgraph_orders_needing_attention (\S+)$", generate_latest().decode(), re.MULTILINE)
    assert gauge is not None and float(gauge.group(1)) == len(listed)


REFUSED = json.dumps({"error": {"type": "invalid_request_error", "code": "charge_disputed",
                                "message": "This charge is disputed."}}).encode()


@pytest.mark.parametrize("stripe_says", ["nothing", "no"])
async def test_money_owed_back_that_cannot_be_sent_marks_the_order(settings, fault_proxy, localstripe_url,
                                                                   stripe_says, caplog):
    flaky = StripeGateway(TEST_SECRET_KEY, api_base=fault_proxy.url, max_network_retries=0)
    async with app_client(settings, flaky) as hook:
        shop = GraphQLClient(hook, headers={"Authorization": f"Bearer {await api_key('orders:read')}"})
        order, intent, product = await order_awaiting_3ds(shop, localstripe_url)
        declined = {**intent, "status": "requires_payment_method", "last_payment_error": {"code": "card_declined"}}
        await deliver(hook, event("payment_intent.payment_failed", declined))
        paid = await authenticated(localstripe_url, intent)  # a late success, once the stock is sold:
        assert (await checkout(shop, await cart_with(shop, (product, 5)), "pm_card_visa"))["order"]["status"] == "PAID"
        if stripe_says == "nothing":  # Stripe does not answer the refund twice, then does
            fault_proxy.arm("POST", r"/v1/refunds", Fault.ERROR_500, forward=False, times=2)
        else:  # Stripe refuses the refund, and again on each pass's retry
            fault_proxy.arm("POST", r"/v1/refunds", Fault.ANSWER, forward=False, status=400, body=REFUSED, times=3)
        await deliver(hook, event("payment_intent.succeeded", paid))  # the money goes back on its own: not yet

        with caplog.at_level(logging.INFO, logger="shopgraph.reconcile"):
            first = await reconcile(flaky, audit_window=None)
            marked = await attention_of(shop, order)
            await reconcile(flaky, audit_window=None)
        after = await attention_of(shop, order)
    await flaky.aclose()

    assert marked["needsAttention"] and first.newly_marked == [order["number"]]
    assert len(attention_logs(caplog, order)) == 1
    refunds = [r["amount"] for r in await stripe_refunds(localstripe_url, paid["id"])]
    if stripe_says == "nothing":
        assert "no answer from Stripe yet" in marked["attentionReason"]
        assert (after["status"], after["needsAttention"], after["attentionReason"]) == ("CANCELLED", False, None)
        assert refunds == [3000]
    else:
        assert "Stripe refused the refund of 3000" in marked["attentionReason"] and after == marked
        assert refunds == []
    assert await stock_of(product) == 0  # never oversold


async def test_an_old_authorisation_stripe_does_not_know_is_marked_and_the_others_are_voided(settings, gateway,
                                                                                           localstripe_url):
    async with app_client(replace(settings, capture_method="manual"), gateway) as hook:
        shop = GraphQLClient(hook, headers={"Authorization": f"Bearer {await api_key('orders:read')}"})
        held = []
        for _ in range(3):
            product = await make_product(2000, 5)
            result = await checkout(shop, await cart_with(shop, (product, 1)), "pm_card_visa")
            assert result["order"]["status"] == "AUTHORIZED"
            held.append((result["order"], product))
        (bad, bad_product), others = held[0], held[1:]
        await Payment.filter(order_id=key_of(bad["id"])).update(intent_id=f"pi_missing{uuid.uuid4().hex[:14]}")

        report = await reconcile(gateway, authorization_days=0, audit_window=None)

        assert report.newly_marked == [bad["number"]]
        for order, product in others:
            now = await attention_of(shop, order)
            assert (now["status"], now["needsAttention"]) == ("CANCELLED", False) and await stock_of(product) == 5
        marked = await attention_of(shop, bad)
        assert (marked["status"], marked["needsAttention"]) == ("AUTHORIZED", True)
        assert "Stripe has no PaymentIntent pi_missing" in marked["attentionReason"]
        assert await stock_of(bad_product) == 4
