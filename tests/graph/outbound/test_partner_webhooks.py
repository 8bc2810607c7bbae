"""Partner webhooks: subscribe, receive signed deliveries in order, retries, the delivery log.

The endpoint is a real HTTP server (tests/webhook_receiver.py); the outbound
worker is the server's own, run here pass by pass (`drain`) or in the background.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import httpx
import pytest

from shopgraph.app import create_app
from shopgraph.outbound import OutboundWorker
from tests.graph.accounts.test_accounts import api_key, as_, error_code
from tests.shop import cart_with, checkout, make_product
from tests.stripe_events import paid_order
from tests.webhook_receiver import running_receiver, verify

CREATE = """mutation($url: String!, $topics: [OrderEventType!]!) {
  webhookSubscriptionCreate(url: $url, topics: $topics) {
    webhookSubscription { id url topics status } secret userErrors { field code message } } }"""
LIST = "{ webhookSubscriptions { id url topics status } }"
DELETE = "mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedId userErrors { code field } } }"
DELIVERIES = """query($s: ID!, $status: WebhookDeliveryStatus) { webhookDeliveries(subscriptionId: $s, status: $status) {
  nodes { id status attemptCount lastStatusCode lastError nextAttemptAt deliveredAt event { type cursor }
          attempts { statusCode error durationMs } } } }"""
REDELIVER = """mutation($d: ID!) { webhookRedeliver(deliveryId: $d) {
  delivery { status nextAttemptAt } userErrors { code field } } }"""
REFUND = "mutation($o: ID!) { refundOrder(orderId: $o, amount: \"5.00\") { userErrors { code } } }"


@pytest.fixture(scope="module")
def settings(settings):
    """Tests and local development may send to http:// and to this machine."""
    return replace(settings, webhooks_allow_private=True, webhook_retry_base=0.2, webhook_timeout=1.0)


@pytest.fixture
async def worker(settings, tmp_path):
    worker = OutboundWorker(replace(settings, mail_dir=str(tmp_path / "mail")))
    await worker.open()
    await worker.drain()  # what earlier tests left in the outbox is not this test's
    yield worker
    await worker.stop()


async def partner(gql, url: str, topics: list[str], scopes=("webhooks:write", "orders:read", "orders:write")):
    client = as_(gql, await api_key(*scopes))
    made = (await client.data(CREATE, {"url": url, "topics": topics}))["webhookSubscriptionCreate"]
    assert made["userErrors"] == [], made
    return client, made["webhookSubscription"], made["secret"]


async def test_a_paid_order_reaches_the_partner_signed_with_its_secret(gql, worker):
    async with running_receiver() as receiver:
        client, subscription, secret = await partner(gql, receiver.url, ["ORDER_PAID"])
        assert secret.startswith("whsec_") and subscription["status"] == "ACTIVE"
        assert (await client.data(LIST))["webhookSubscriptions"] == [subscription]  # no secret there
        order, _ = await paid_order(gql, price=2500)
        await worker.drain()

        [delivery] = receiver.received
        assert verify(secret, delivery.body, delivery.headers["shopgraph-signature"])
        assert not verify("whsec_other", delivery.body, delivery.headers["shopgraph-signature"])
        assert delivery.headers["shopgraph-topic"] == "ORDER_PAID"
        body = delivery.json
        assert body["id"] == delivery.headers["shopgraph-event-id"] and body["type"] == "ORDER_PAID"
        assert body["data"]["order"]["id"] == order["id"] and body["data"]["order"]["status"] == "PAID"
        assert body["data"]["order"]["total"] == {"amount": "25.00", "currencyCode": "USD", "minorUnits": 2500}
        assert [line["quantity"] for line in body["data"]["order"]["lines"]] == [1]

        [logged] = (await client.data(DELIVERIES, {"s": subscription["id"]}))["webhookDeliveries"]["nodes"]
        assert (logged["status"], logged["attemptCount"], logged["lastStatusCode"]) == ("SUCCEEDED", 1, 200)
        assert logged["event"]["type"] == "ORDER_PAID" and logged["nextAttemptAt"] is None
        assert [a["statusCode"] for a in logged["attempts"]] == [200]


async def test_a_failing_endpoint_is_retried_and_gets_its_events_in_order(gql, worker):
    async with running_receiver() as receiver:
        client, subscription, _ = await partner(gql, receiver.url, ["ORDER_PAID", "ORDER_REFUNDED"])
        receiver.status = 503
        order, _ = await paid_order(gql)
        assert (await client.data(REFUND, {"o": order["id"]}))["refundOrder"]["userErrors"] == []
        await worker.run_once()
        await asyncio.sleep(0.1)
        # Only the first event was tried: the refund waits behind it.
        assert receiver.topics() == ["ORDER_PAID"]
        pending = (await client.data(DELIVERIES, {"s": subscription["id"], "status": "PENDING"}))
        tried = [d for d in pending["webhookDeliveries"]["nodes"] if d["attemptCount"]]
        assert [(d["event"]["type"], d["lastStatusCode"], d["lastError"]) for d in tried] == [
            ("ORDER_PAID", 503, "HTTP 503")]
        assert tried[0]["nextAttemptAt"] is not None

        receiver.status = 200
        await asyncio.sleep(0.25)  # past the first backoff
        await worker.drain()
        assert receiver.topics() == ["ORDER_PAID", "ORDER_PAID", "ORDER_REFUNDED"]
        done = (await client.data(DELIVERIES, {"s": subscription["id"]}))["webhookDeliveries"]["nodes"]
        assert [(d["event"]["type"], d["status"], [a["statusCode"] for a in d["attempts"]]) for d in done] == [
            ("ORDER_REFUNDED", "SUCCEEDED", [200]), ("ORDER_PAID", "SUCCEEDED", [503, 200])]


async def test_an_endpoint_failing_past_the_retry_window_is_disabled_until_redelivered(gql, settings, tmp_path):
    worker = OutboundWorker(replace(settings, webhook_retry_window=0.3, webhook_retry_base=0.05,
                                    mail_dir=str(tmp_path)))
    await worker.open()
    await worker.drain()
    async with running_receiver() as receiver:
        client, subscription, _ = await partner(gql, receiver.url, ["ORDER_PAID"])
        receiver.status = 500
        await paid_order(gql)
        deadline = time.monotonic() + 10
        while (await client.data(LIST))["webhookSubscriptions"][0]["status"] != "DISABLED":
            assert time.monotonic() < deadline
            await worker.run_once()
            await asyncio.sleep(0.05)
        [failed] = (await client.data(DELIVERIES, {"s": subscription["id"], "status": "FAILED"}))[
            "webhookDeliveries"]["nodes"]
        assert failed["attemptCount"] >= 2 and failed["nextAttemptAt"] is None
        tries = len(receiver.received)
        await worker.drain()
        assert len(receiver.received) == tries  # a disabled subscription gets nothing

        receiver.status = 200
        again = (await client.data(REDELIVER, {"d": failed["id"]}))["webhookRedeliver"]
        assert again["userErrors"] == [] and again["delivery"]["status"] == "PENDING"
        await worker.drain()
        assert receiver.received[-1].headers["shopgraph-topic"] == "ORDER_PAID" and len(receiver.received) == tries + 1
        assert (await client.data(LIST))["webhookSubscriptions"][0]["status"] == "ACTIVE"
    await worker.stop()


async def test_a_slow_endpoint_never_slows_a_checkout(gql, settings, tmp_path):
    """The endpoint answers after 3 s; deliveries time out after 1 s."""
    worker = OutboundWorker(replace(settings, mail_dir=str(tmp_path), outbound_interval=0.1))
    await worker.open()
    await worker.drain()
    await worker.start()
    try:
        async with running_receiver() as receiver:
            receiver.pause = 3.0
            client, subscription, _ = await partner(gql, receiver.url, ["ORDER_PAID"])
            await paid_order(gql)
            await receiver.wait_for(1)  # the worker is now waiting on the endpoint
            started = time.monotonic()
            product = await make_product(1500, 5)
            result = await checkout(gql, await cart_with(gql, (product, 1)), "pm_card_visa")
            took = time.monotonic() - started
            assert result["order"]["status"] == "PAID"
            assert took < 0.9, f"a checkout took {took:.2f} s while a webhook endpoint hung"
            await asyncio.sleep(1.2)
            nodes = (await client.data(DELIVERIES, {"s": subscription["id"]}))["webhookDeliveries"]["nodes"]
            first = nodes[-1]
            assert first["attempts"][0]["error"] == "no answer within 1 s" and first["status"] == "PENDING"
            receiver.pause = 0
    finally:
        await worker.stop()


async def test_subscriptions_need_their_scopes_and_belong_to_their_key(gql):
    hook = "http://127.0.0.1:9/hook"
    assert error_code(await gql(CREATE, {"url": hook, "topics": ["ORDER_PAID"]})) == "UNAUTHENTICATED"
    reader = as_(gql, await api_key("orders:read"))
    assert error_code(await reader(CREATE, {"url": hook, "topics": ["ORDER_PAID"]})) == "FORBIDDEN"
    assert error_code(await reader(LIST)) == "FORBIDDEN"
    blind = as_(gql, await api_key("webhooks:write"))  # payloads carry orders: orders:read too
    assert error_code(await blind(CREATE, {"url": hook, "topics": ["ORDER_PAID"]})) == "FORBIDDEN"

    owner, subscription, _ = await partner(gql, hook, ["ORDER_PAID"])
    other, _, _ = await partner(gql, hook, ["ORDER_REFUNDED"])
    assert [s["id"] for s in (await other.data(LIST))["webhookSubscriptions"]] != [subscription["id"]]
    refused = (await other.data(DELETE, {"id": subscription["id"]}))["webhookSubscriptionDelete"]
    assert refused == {"deletedId": None, "userErrors": [{"code": "NOT_FOUND", "field": ["id"]}]}
    assert error_code(await other(DELIVERIES, {"s": subscription["id"]})) == "BAD_USER_INPUT"
    assert (await owner.data(DELETE, {"id": subscription["id"]}))["webhookSubscriptionDelete"]["userErrors"] == []
    assert (await owner.data(LIST))["webhookSubscriptions"] == []
    empty = (await owner.data(CREATE, {"url": hook, "topics": []}))["webhookSubscriptionCreate"]
    assert empty["userErrors"][0]["field"] == ["topics"] and empty["webhookSubscription"] is None


@pytest.mark.parametrize("url", [
    "http://example.com/hook",  # not https
    "https://127.0.0.1/hook", "https://localhost/hook",  # loopback, by address and by name
    "https://10.1.2.3/hook", "https://192.168.0.10/hook",  # private
    "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
    "https://[::1]/hook", "https://[::ffff:127.0.0.1]/hook",
    "ftp://example.com/", "not a url", "https://user:pw@example.com/",
])
async def test_webhooks_go_only_to_https_on_public_addresses(gql, settings, gateway, url):
    app = create_app(replace(settings, webhooks_allow_private=False), gateway=gateway, manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shopgraph.test") as http:
        client = as_(type(gql)(http), await api_key("webhooks:write", "orders:read"))
        refused = (await client.data(CREATE, {"url": url, "topics": ["ORDER_PAID"]}))["webhookSubscriptionCreate"]
    assert refused["webhookSubscription"] is None and refused["secret"] is None
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("INVALID", ["url"])]
