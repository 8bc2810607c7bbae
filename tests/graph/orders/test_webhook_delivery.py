"""localstripe's own webhook deliveries reach POST /webhooks/stripe over real HTTP.

The app runs under uvicorn in this process, on a free port, sharing the
test's database; localstripe (a separate process) is told to POST its events
there, signed with our secret. Nobody calls checkoutConfirm: the webhook
alone must settle the 3-D Secure checkouts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
import uvicorn

from models import Order, OrderStatus, Payment, PaymentStatus, Product, StripeEvent
from shopgraph.app import create_app
from tests.shop import stock_of, cart_with, checkout, intents_of_order, key_of, make_product
from tests.stripe_emulator import create_card_token, free_port, register_webhook
from tests.stripe_events import WEBHOOK_SECRET, authenticated, order_awaiting_3ds

HOOK_ID = "shopgraph-webhook-delivery-tests"
DELIVERY_TIMEOUT = 10.0  # localstripe sends about a second after the event


@pytest.fixture(scope="module")
async def served(settings, gateway, localstripe_url) -> AsyncIterator[str]:
    """The app served over HTTP, and localstripe delivering its PaymentIntent events to it."""
    app = create_app(replace(settings, stripe_webhook_secret=WEBHOOK_SECRET), gateway=gateway, manage_db=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", ws="none", access_log=False))
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.02)
    url = f"http://127.0.0.1:{port}/webhooks/stripe"
    await register_webhook(localstripe_url, url, WEBHOOK_SECRET,
                           events=["payment_intent.succeeded", "payment_intent.payment_failed"], webhook_id=HOOK_ID)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        # localstripe cannot forget a webhook: leave ours listening to no event at all.
        await register_webhook(localstripe_url, url, WEBHOOK_SECRET, events=["shopgraph.none"], webhook_id=HOOK_ID)
        server.should_exit = True
        await task


async def settles(order_id: str, status: OrderStatus) -> Order:
    """The order once it reaches `status`; fails after DELIVERY_TIMEOUT."""
    async with asyncio.timeout(DELIVERY_TIMEOUT):
        while True:
            order = await Order.get(id=order_id)
            if order.status is status:
                return order
            await asyncio.sleep(0.1)


async def test_a_3ds_checkout_ends_paid_through_the_webhook_alone(served, gql, localstripe_url):
    order, intent, product = await order_awaiting_3ds(gql, localstripe_url)

    await authenticated(localstripe_url, intent, success=True)  # in the shopper's browser; no checkoutConfirm

    paid = await settles(key_of(order["id"]), OrderStatus.PAID)
    assert (await Payment.get(order_id=paid.id)).status is PaymentStatus.SUCCEEDED
    assert await StripeEvent.filter(type="payment_intent.succeeded", object_id=intent["id"]).count() == 1
    assert await stock_of(product) == 4


async def test_a_late_failure_event_for_a_settled_checkout_is_recorded_and_changes_nothing(served, gql, localstripe_url):
    """localstripe reports a decline at charge by webhook too, after checkout has
    already answered PAYMENT_FAILED (it sends nothing when 3-D Secure fails)."""
    product = await make_product(1000, 3)
    token = await create_card_token(localstripe_url, "4000000000000341")
    declined = await checkout(gql, await cart_with(gql, (product, 1)), token)
    assert declined["order"]["status"] == "PAYMENT_FAILED"
    [intent] = await intents_of_order(localstripe_url, key_of(declined["order"]["id"]))

    async with asyncio.timeout(DELIVERY_TIMEOUT):
        while not await StripeEvent.exists(type="payment_intent.payment_failed", object_id=intent["id"]):
            await asyncio.sleep(0.1)

    assert (await Order.get(id=key_of(declined["order"]["id"]))).status is OrderStatus.PAYMENT_FAILED
    assert await stock_of(product) == 3  # released once, by checkout
