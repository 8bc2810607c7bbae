"""The money lifecycle through the public API: split statuses, refunds that fail,
late successes, and cancelOrder racing a checkout, against localstripe.

localstripe never sends refund events and cannot fail a refund (DESIGN §5):
those are signed payloads (`tests/stripe_events.py`) about refunds and
PaymentIntents localstripe really holds.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from models import Order, Product
from tests.conftest import GraphQLClient
from tests.fault_proxy import Fault
from tests.finance_sweep import exempt
from tests.shop import stock_of, cart_with, checkout, intents_of_order, key_of, make_product
from tests.stripe_events import (
    api_key, app_client, authenticated, deliver, dispute_object, event, order_awaiting_3ds, paid_order,
    refund_object, stripe_get, stripe_refunds, through,
)

PARTS = """
query($id: ID!) { order(id: $id) {
  id status financialStatus fulfillmentStatus cancelReason dispute { status amount { minorUnits } reason }
  payment { status amount { minorUnits } amountRefunded { minorUnits } }
} }
"""
REFUND = """
mutation($orderId: ID!, $amount: Decimal, $key: String) {
  refundOrder(orderId: $orderId, amount: $amount, idempotencyKey: $key) {
    order { id status financialStatus } refund { id status } userErrors { field code message }
  }
}
"""
CANCEL = "mutation($orderId: ID!) { cancelOrder(orderId: $orderId) { order { id status financialStatus } userErrors { code field } } }"


@pytest.fixture(scope="module")
async def hook(settings, gateway):
    async with app_client(settings, gateway) as http:
        yield http


@pytest.fixture
async def staff(hook) -> GraphQLClient:
    return GraphQLClient(hook, headers={"Authorization": f"Bearer {await api_key()}"})


async def parts(gql, order_id: str) -> dict:
    return (await gql.data(PARTS, {"id": order_id}))["order"]


async def intent_of(stripe_url: str, order: dict) -> dict:
    [intent] = await intents_of_order(stripe_url, key_of(order["id"]))
    return intent


async def test_a_paid_order_shows_its_parts_and_the_summary_follows_them(staff, localstripe_url):
    order, _ = await paid_order(staff, price=2500)
    now = await parts(staff, order["id"])
    assert (now["status"], now["financialStatus"], now["fulfillmentStatus"]) == ("PAID", "PAID", "UNFULFILLED")
    assert now["dispute"] is None and now["cancelReason"] is None

    intent = await intent_of(localstripe_url, order)
    await deliver(staff.http, event("charge.dispute.created", {
        **dispute_object(intent["id"], "dp_parts", "needs_response", 2500), "reason": "fraudulent"}))
    now = await parts(staff, order["id"])
    assert (now["status"], now["financialStatus"]) == ("DISPUTED", "PAID")
    assert now["dispute"] == {"status": "needs_response", "amount": {"minorUnits": 2500}, "reason": "fraudulent"}


async def test_a_refund_that_fails_gives_its_amount_back_to_what_is_refundable(settings, fault_proxy, localstripe_url):
    # The bank sends the refund back: Stripe says refund.failed and takes it out of the charge's
    # running total. localstripe cannot fail a refund: the event is signed, and the fault proxy
    # answers the shop's reads of the PaymentIntent as Stripe would then (the books of this order
    # cannot match localstripe's).
    failed: dict[str, int] = {}

    def as_stripe_holds(intent: dict) -> dict:
        intent["latest_charge"]["amount_refunded"] -= failed.get(intent["id"], 0)
        return intent

    fault_proxy.arm("GET", r"/v1/payment_intents/pi_\w+", Fault.REWRITE, times=10**6, rewrite=as_stripe_holds)
    async with through(settings, fault_proxy) as (staff, _):
        order, _ = await paid_order(staff, price=4000)
        done = (await staff.data(REFUND, {"orderId": order["id"], "amount": "40.00", "key": uuid.uuid4().hex}))
        assert done["refundOrder"]["order"]["financialStatus"] == "REFUNDED"
        intent = await intent_of(localstripe_url, order)
        [made] = await stripe_refunds(localstripe_url, intent["id"])

        exempt(key_of(order["id"]), "refund.failed is a signed payload; localstripe's refund stays succeeded")
        failed[intent["id"]] = 4000
        failed_event = event("refund.failed", refund_object(intent["id"], made["id"], "failed", 4000))
        assert (await deliver(staff.http, failed_event))["outcome"] == "applied"
        now = await parts(staff, order["id"])
        assert (now["status"], now["financialStatus"]) == ("PAID", "PAID")
        assert now["payment"]["amountRefunded"]["minorUnits"] == 0

        # A late "succeeded" report of that refund does not revive it, and the amount can be refunded again.
        late = event("refund.updated", refund_object(intent["id"], made["id"], "succeeded", 4000))
        assert (await deliver(staff.http, late))["outcome"] == "unchanged"
        again = (await staff.data(REFUND, {"orderId": order["id"], "amount": "15.00", "key": uuid.uuid4().hex}))
        assert again["refundOrder"]["userErrors"] == []
        assert again["refundOrder"]["order"]["financialStatus"] == "PARTIALLY_REFUNDED"


async def test_a_late_payment_failure_does_not_undo_a_refund_or_a_payment(staff, localstripe_url):
    order, _ = await paid_order(staff, price=3000)
    await staff.data(REFUND, {"orderId": order["id"], "amount": "10.00", "key": uuid.uuid4().hex})
    intent = await stripe_get(localstripe_url, f"/v1/payment_intents/{(await intent_of(localstripe_url, order))['id']}")
    for kind, status in (("payment_intent.payment_failed", "requires_payment_method"),
                         ("payment_intent.canceled", "canceled"), ("payment_intent.requires_action", "requires_action")):
        assert (await deliver(staff.http, event(kind, {**intent, "status": status})))["outcome"] == "unchanged"
    now = await parts(staff, order["id"])
    assert (now["financialStatus"], now["payment"]["amountRefunded"]["minorUnits"]) == ("PARTIALLY_REFUNDED", 1000)


async def _failed_then_paid_at_stripe(staff, localstripe_url) -> tuple[dict, dict, Product]:
    """An order that failed here (a signed payment_failed of an earlier attempt) and whose
    PaymentIntent then succeeded at localstripe, before we heard of it."""
    order, intent, product = await order_awaiting_3ds(staff, localstripe_url, price=3000)
    failed = {**intent, "status": "requires_payment_method", "last_payment_error": {"code": "card_declined"}}
    assert (await deliver(staff.http, event("payment_intent.payment_failed", failed)))["outcome"] == "applied"
    assert (await parts(staff, order["id"]))["financialStatus"] == "FAILED"
    paid = await authenticated(localstripe_url, intent)
    assert paid["status"] == "succeeded"
    return order, paid, product


async def test_a_late_success_takes_its_stock_again_when_it_is_there(staff, localstripe_url):
    order, paid, product = await _failed_then_paid_at_stripe(staff, localstripe_url)
    assert await stock_of(product) == 5
    assert (await deliver(staff.http, event("payment_intent.succeeded", paid)))["outcome"] == "applied"
    now = await parts(staff, order["id"])
    assert (now["status"], now["financialStatus"], now["cancelReason"]) == ("PAID", "PAID", None)
    assert await stock_of(product) == 4
    assert await stripe_refunds(localstripe_url, paid["id"]) == []


async def test_a_late_success_for_sold_out_stock_is_refunded_automatically(staff, localstripe_url):
    order, paid, product = await _failed_then_paid_at_stripe(staff, localstripe_url)
    other = await checkout(staff, await cart_with(staff, (product, 5)), "pm_card_visa")  # sells all five
    assert other["order"]["status"] == "PAID"

    assert (await deliver(staff.http, event("payment_intent.succeeded", paid)))["outcome"] == "applied"
    now = await parts(staff, order["id"])
    assert (now["status"], now["financialStatus"]) == ("CANCELLED", "REFUNDED")  # never a live paid order
    assert "sold" in now["cancelReason"]
    assert [r["amount"] for r in await stripe_refunds(localstripe_url, paid["id"])] == [3000]
    assert await stock_of(product) == 0  # never oversold (I3)
    # The same event again refunds nothing more.
    assert (await deliver(staff.http, event("payment_intent.succeeded", paid)))["outcome"] == "unchanged"
    assert len(await stripe_refunds(localstripe_url, paid["id"])) == 1


async def _race(staff, localstripe_url, delay: float) -> tuple[str, dict, dict, Product]:
    product = await make_product(1200, 3)
    cart_id = await cart_with(staff, (product, 1))

    async def cancel_when_the_order_exists() -> dict:
        while (order := await Order.filter(cart_id=key_of(cart_id)).first()) is None:
            await asyncio.sleep(0.001)
        await asyncio.sleep(delay)
        from graph.core.ids import to_global_id
        return (await staff.data(CANCEL, {"orderId": to_global_id("Order", order.id)}))["cancelOrder"]

    paid, cancelled = await asyncio.gather(checkout(staff, cart_id, "pm_card_visa"), cancel_when_the_order_exists())
    return cart_id, paid, cancelled, product


async def test_cancel_order_racing_a_checkout_ends_in_one_consistent_outcome(staff, localstripe_url):
    outcomes = set()
    for attempt in range(12):
        _, paid, cancelled, product = await _race(staff, localstripe_url, delay=(attempt % 4) * 0.004)
        order = await parts(staff, paid["order"]["id"])
        intents = await intents_of_order(localstripe_url, key_of(order["id"]))
        charged = [pi for pi in intents if pi["status"] == "succeeded"]
        stock = await stock_of(product)
        if cancelled["userErrors"] == []:
            assert (order["status"], order["financialStatus"]) == ("CANCELLED", "VOIDED")
            assert charged == [] and stock == 3
            outcomes.add("cancelled")
        else:
            assert [e["code"] for e in cancelled["userErrors"]] == ["ORDER_ALREADY_PAID"]
            assert (order["status"], order["financialStatus"]) == ("PAID", "PAID")
            assert len(charged) == 1 and stock == 2
            outcomes.add("paid")
    assert outcomes  # which outcome wins depends on timing; each attempt is one of the two
