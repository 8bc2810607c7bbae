"""POST /webhooks/stripe with events signed by `stripe.WebhookSignature`, for
what localstripe never sends (refund and dispute events) or cannot do on
purpose (duplicates, reordering, forged or stale signatures). The orders and
PaymentIntents are real ones made on localstripe through the GraphQL API.
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from commerce.outbound import notices as order_events
from models import Order, Product, StripeEvent
from tests.conftest import GraphQLClient
from tests.shop import stock_of, CONFIRM, READ_ORDER, intents_of_order, key_of
from tests.stripe_events import (
    app_client, authenticated, charge_object, deliver, dispute_object, event, intent_object,
    order_awaiting_3ds, paid_order, post_event, refund_at_stripe, refund_object, signed,
)


@pytest.fixture(scope="module")
async def hook(settings, gateway):
    """An HTTP client on the app, configured with the webhook secret."""
    async with app_client(settings, gateway) as http:
        yield http


@pytest.fixture
def shop(hook) -> GraphQLClient:
    return GraphQLClient(hook)


async def status_of(gql, order: dict) -> dict:
    return (await gql.data(READ_ORDER, {"id": order["id"]}))["order"]


async def intent_of(stripe_url: str, order: dict) -> dict:
    [intent] = await intents_of_order(stripe_url, key_of(order["id"]))
    return intent


@pytest.mark.parametrize("forgery", ["wrong secret", "no header", "stale", "tampered", "not json"])
async def test_an_unverified_event_is_a_400_and_changes_nothing(hook, shop, localstripe_url, forgery):
    order, intent, _ = await order_awaiting_3ds(shop, localstripe_url)
    succeeded = event("payment_intent.succeeded", intent_object(await authenticated(localstripe_url, intent), "succeeded"))
    body, header = signed(succeeded, secret="whsec_forged" if forgery == "wrong secret" else "whsec_shopgraph_after_the_charge",
                          timestamp=int(time.time()) - 301 if forgery == "stale" else None)
    if forgery == "tampered":
        body = body.replace(b'"amount": 3000', b'"amount": 1', 1)
        assert b'"amount": 1,' in body
    if forgery == "not json":
        body, header = signed({"hello": "world"})

    response = await post_event(hook, body, None if forgery == "no header" else header)

    assert response.status_code == 400, response.text
    assert (await status_of(shop, order))["status"] == "ACTION_REQUIRED"
    assert not await StripeEvent.exists(event_id=succeeded["id"])


async def test_without_a_configured_secret_the_endpoint_refuses_everything(settings, gateway, shop, localstripe_url):
    order, intent, _ = await order_awaiting_3ds(shop, localstripe_url)
    succeeded = event("payment_intent.succeeded", intent_object(await authenticated(localstripe_url, intent), "succeeded"))
    async with app_client(settings, gateway, secret=None) as unconfigured:
        response = await post_event(unconfigured, *signed(succeeded))
    assert response.status_code == 503 and "STRIPE_WEBHOOK_SECRET" in response.text
    assert (await status_of(shop, order))["status"] == "ACTION_REQUIRED"


async def test_a_signed_succeeded_event_pays_the_order_its_payment_intent_names(hook, shop, localstripe_url):
    order, intent, product = await order_awaiting_3ds(shop, localstripe_url)
    paid_intent = await authenticated(localstripe_url, intent)
    answer = await deliver(hook, event("payment_intent.succeeded", paid_intent))
    assert answer["outcome"] == "applied"
    now = await status_of(shop, order)
    assert now["status"] == "PAID" and now["payment"]["status"] == "SUCCEEDED"
    assert await stock_of(product) == 4


async def test_a_repeated_delivery_is_acknowledged_and_changes_nothing(hook, shop, localstripe_url):
    order, _ = await paid_order(shop)
    intent = await intent_of(localstripe_url, order)
    opened = event("charge.dispute.created", dispute_object(intent["id"], "dp_repeat", "needs_response", 5000))
    assert (await deliver(hook, opened))["outcome"] == "applied"
    assert (await status_of(shop, order))["status"] == "DISPUTED"
    won = event("charge.dispute.closed", dispute_object(intent["id"], "dp_repeat", "won", 5000))
    assert (await deliver(hook, won))["outcome"] == "applied"
    assert (await status_of(shop, order))["status"] == "PAID"

    # Stripe delivers the opening event again (same id): it must not reopen the dispute.
    again = await deliver(hook, opened)

    assert again["outcome"] == "duplicate"
    assert (await status_of(shop, order))["status"] == "PAID"
    assert await StripeEvent.filter(event_id=opened["id"]).count() == 1


async def test_parallel_deliveries_of_one_event_apply_it_once(hook, shop, localstripe_url):
    order, _ = await paid_order(shop)
    intent = await intent_of(localstripe_url, order)
    await refund_at_stripe(localstripe_url, intent["id"], 1200)  # made at Stripe; localstripe sends no event
    refunded = event("charge.refunded", charge_object(intent["id"], 5000, 1200))
    answers = await asyncio.gather(*(deliver(hook, refunded) for _ in range(5)))
    assert sorted(a["outcome"] for a in answers) == ["applied"] + ["duplicate"] * 4
    assert (await status_of(shop, order))["payment"]["amountRefunded"]["minorUnits"] == 1200


async def test_events_out_of_order_only_move_the_order_forward(hook, shop, localstripe_url):
    order, _ = await paid_order(shop)
    intent = await intent_of(localstripe_url, order)
    pi = await intent_of(localstripe_url, order)

    # A failure reported after the success (an earlier attempt, delivered late).
    failed = {**pi, "status": "requires_payment_method", "last_payment_error": {"code": "card_declined",
                                                                                "type": "card_error"}}
    assert (await deliver(hook, event("payment_intent.payment_failed", failed)))["outcome"] == "unchanged"
    assert (await status_of(shop, order))["status"] == "PAID"

    # Refund totals arrive newest first: the older, smaller total changes nothing.
    await refund_at_stripe(localstripe_url, intent["id"], 1000)
    await refund_at_stripe(localstripe_url, intent["id"], 2000)
    assert (await deliver(hook, event("charge.refunded", charge_object(intent["id"], 5000, 3000))))["outcome"] == "applied"
    assert (await deliver(hook, event("charge.refunded", charge_object(intent["id"], 5000, 1000))))["outcome"] == "unchanged"
    now = await status_of(shop, order)
    assert now["status"] == "PARTIALLY_REFUNDED" and now["payment"]["amountRefunded"]["minorUnits"] == 3000

    # A dispute's closing arrives before its opening: the late opening does not reopen it.
    await deliver(hook, event("charge.dispute.closed", dispute_object(intent["id"], "dp_late", "won", 5000)))
    late = await deliver(hook, event("charge.dispute.created", dispute_object(intent["id"], "dp_late", "needs_response", 5000)))
    assert late["outcome"] == "unchanged"
    assert (await status_of(shop, order))["status"] == "PARTIALLY_REFUNDED"

    # The rest is refunded; a late success for the PaymentIntent does not make it PAID again.
    await refund_at_stripe(localstripe_url, intent["id"], 2000)
    assert (await deliver(hook, event("charge.refunded", charge_object(intent["id"], 5000, 5000))))["outcome"] == "applied"
    assert (await deliver(hook, event("payment_intent.succeeded", pi)))["outcome"] == "unchanged"
    now = await status_of(shop, order)
    assert now["status"] == "REFUNDED" and now["payment"]["amountRefunded"]["minorUnits"] == 5000
    assert now["payment"]["status"] == "REFUNDED"


@pytest.mark.parametrize("closing, final", [("won", "PAID"), ("lost", "REFUNDED")])
async def test_a_dispute_makes_the_order_disputed_until_it_closes(hook, shop, localstripe_url, closing, final):
    order, _ = await paid_order(shop)
    intent = await intent_of(localstripe_url, order)
    await deliver(hook, event("charge.dispute.created", dispute_object(intent["id"], f"dp_{closing}", "needs_response", 5000)))
    await deliver(hook, event("charge.dispute.updated", dispute_object(intent["id"], f"dp_{closing}", "under_review", 5000)))
    assert (await status_of(shop, order))["status"] == "DISPUTED"
    await deliver(hook, event("charge.dispute.closed", dispute_object(intent["id"], f"dp_{closing}", closing, 5000)))
    assert (await status_of(shop, order))["status"] == final


async def test_refund_events_for_a_refund_made_at_stripe(hook, shop, localstripe_url):
    order, _ = await paid_order(shop, price=4000)
    intent = await intent_of(localstripe_url, order)
    made = await refund_at_stripe(localstripe_url, intent["id"], 1500)  # its events are signed payloads
    pending = refund_object(intent["id"], made["id"], "pending", 1500)
    assert (await deliver(hook, event("refund.created", pending)))["outcome"] == "unchanged"
    assert (await status_of(shop, order))["payment"]["amountRefunded"]["minorUnits"] == 0
    done = refund_object(intent["id"], made["id"], "succeeded", 1500)
    assert (await deliver(hook, event("refund.updated", done)))["outcome"] == "applied"
    now = await status_of(shop, order)
    assert now["status"] == "PARTIALLY_REFUNDED" and now["payment"]["amountRefunded"]["minorUnits"] == 1500
    # Stripe's charge.refunded for the same refund reports the same total: counted once.
    assert (await deliver(hook, event("charge.refunded", charge_object(intent["id"], 4000, 1500))))["outcome"] == "unchanged"
    assert (await status_of(shop, order))["payment"]["amountRefunded"]["minorUnits"] == 1500


async def test_an_event_for_an_unknown_payment_intent_is_logged_and_acknowledged(hook, caplog):
    unknown = event("payment_intent.succeeded", {"id": "pi_nobodys", "object": "payment_intent", "status": "succeeded",
                                                 "amount": 100, "currency": "usd"})
    with caplog.at_level(logging.WARNING, logger="shopgraph.webhooks"):
        answer = await deliver(hook, unknown)
    assert answer["outcome"] == "unknown_payment"
    assert "pi_nobodys" in caplog.text
    assert not await StripeEvent.exists(event_id=unknown["id"])
    assert (await deliver(hook, event("customer.created", {"id": "cus_1", "object": "customer"})))["outcome"] == "ignored"


class _Notices:
    def __init__(self) -> None:
        self.orders: list[str] = []

    async def publish(self, channel: str, payload: str) -> None:
        if channel == order_events.ORDERS:
            self.orders.append(payload)


async def test_a_webhook_and_checkout_confirm_at_the_same_moment_apply_the_payment_once(hook, shop, localstripe_url):
    ready = []
    for _ in range(4):
        order, intent, product = await order_awaiting_3ds(shop, localstripe_url)
        ready.append((order, await authenticated(localstripe_url, intent), product))
    notices = _Notices()
    previous = order_events._publisher
    order_events.set_publisher(notices)
    try:
        results = await asyncio.gather(*(
            step for order, paid_intent, _ in ready for step in (
                shop.data(CONFIRM, {"orderId": order["id"]}),
                deliver(hook, event("payment_intent.succeeded", paid_intent)),
            )
        ))
    finally:
        order_events.set_publisher(previous)

    confirms, webhooks = results[0::2], results[1::2]
    assert all(c["checkoutConfirm"]["order"]["status"] == "PAID" for c in confirms)
    assert all(w["outcome"] in ("applied", "unchanged") for w in webhooks)
    for order, _, product in ready:
        # Applied once: one status change announced, one payment recorded, the stock taken once.
        assert notices.orders.count(key_of(order["id"])) == 1
        assert (await Order.get(id=key_of(order["id"]))).status.name == "PAID"
        assert await stock_of(product) == 4
