"""An API key owns its webhook subscriptions: when the key ends, they end; when one is
turned on again, it gets every event it missed that the outbox still keeps.

Staff hold keys:write (`apiKeyCreate`, `apiKeyRevoke`, every key's subscriptions).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from commerce.outbound.retention import purge_events
from models import ApiKey, WebhookSubscription
from shopgraph.outbound import OutboundWorker
from tests.graph.accounts.test_accounts import api_key, as_, error_code
from tests.graph.outbound.test_partner_webhooks import CREATE, DELETE, partner, worker  # noqa: F401 (a fixture)
from tests.stripe_events import paid_order
from tests.webhook_receiver import running_receiver

KEY_CREATE = """mutation($n: String!, $s: [String!]!, $e: DateTime) { apiKeyCreate(name: $n, scopes: $s, expiresAt: $e) {
  apiKey { id name scopes expiresAt revokedAt } key userErrors { code field } } }"""
KEY_REVOKE = "mutation($id: ID!) { apiKeyRevoke(id: $id) { apiKey { id revokedAt } userErrors { code field } } }"
KEYS = "{ apiKeys { id name revokedAt } }"
SUBSCRIPTIONS = "{ webhookSubscriptions { id url status disabledReason } }"
UPDATE = """mutation($id: ID!, $status: WebhookSubscriptionStatus!) { webhookSubscriptionUpdate(id: $id, status: $status) {
  webhookSubscription { id status disabledReason } eventsPastRetention userErrors { code field } } }"""
SCOPES = ["webhooks:write", "orders:read"]


@pytest.fixture(scope="module")
def settings(settings):
    return replace(settings, webhooks_allow_private=True, webhook_retry_base=0.05, webhook_timeout=1.0)


@pytest.fixture
async def staff(gql):
    return as_(gql, await api_key("keys:write", *SCOPES))


async def partner_key(staff, **variables) -> tuple[str, str]:
    """A partner's key made by staff through the API: (its id, the key)."""
    made = (await staff.data(KEY_CREATE, {"n": "partner", "s": SCOPES, **variables}))["apiKeyCreate"]
    assert made["userErrors"] == [], made
    return made["apiKey"]["id"], made["key"]


async def subscribe(gql, key: str, url: str) -> str:
    made = (await as_(gql, key).data(CREATE, {"url": url, "topics": ["ORDER_PAID"]}))["webhookSubscriptionCreate"]
    assert made["userErrors"] == [], made
    return made["webhookSubscription"]["id"]


def seen_by_staff(listing: dict, subscription_id: str) -> dict | None:
    return next((s for s in listing["webhookSubscriptions"] if s["id"] == subscription_id), None)


async def test_revoking_a_key_stops_its_deliveries_at_once_and_staff_can_delete_its_subscriptions(
        gql, staff, worker):
    async with running_receiver() as receiver:
        key_id, key = await partner_key(staff)
        subscription = await subscribe(gql, key, receiver.url)
        await paid_order(gql)
        await worker.run_once()  # the delivery is made (and may be on its way)
        await worker.drain()
        assert receiver.topics() == ["ORDER_PAID"]

        await paid_order(gql)
        revoked = (await staff.data(KEY_REVOKE, {"id": key_id}))["apiKeyRevoke"]
        assert revoked["userErrors"] == [] and revoked["apiKey"]["revokedAt"] is not None
        await paid_order(gql)
        await worker.drain()
        assert receiver.topics() == ["ORDER_PAID"]  # nothing after the revocation, not even the pending one

        listing = await staff.data(SUBSCRIPTIONS)
        assert seen_by_staff(listing, subscription)["status"] == "DISABLED"
        assert seen_by_staff(listing, subscription)["disabledReason"] == "KEY_REVOKED"
        owner = as_(gql, key)
        assert error_code(await owner(UPDATE, {"id": subscription, "status": "ACTIVE"})) == "UNAUTHENTICATED"
        again = (await staff.data(KEY_REVOKE, {"id": key_id}))["apiKeyRevoke"]
        assert again["userErrors"] == [{"code": "NOT_FOUND", "field": ["id"]}]

        deleted = (await staff.data(DELETE, {"id": subscription}))["webhookSubscriptionDelete"]
        assert deleted == {"deletedId": subscription, "userErrors": []}
        assert seen_by_staff(await staff.data(SUBSCRIPTIONS), subscription) is None


async def test_a_key_past_its_expiry_no_longer_works_and_its_subscriptions_get_nothing(gql, staff, worker):
    async with running_receiver() as receiver:
        soon = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
        key_id, key = await partner_key(staff, e=soon)
        subscription = await subscribe(gql, key, receiver.url)
        await paid_order(gql)
        await worker.drain()
        assert receiver.topics() == ["ORDER_PAID"]

        # Thirty days pass.
        await ApiKey.filter(prefix=key[:12]).update(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
        await paid_order(gql)
        await worker.drain()
        assert receiver.topics() == ["ORDER_PAID"]
        assert error_code(await as_(gql, key)(SUBSCRIPTIONS)) == "UNAUTHENTICATED"
        seen = seen_by_staff(await staff.data(SUBSCRIPTIONS), subscription)
        assert (seen["status"], seen["disabledReason"]) == ("DISABLED", "KEY_EXPIRED")


async def test_keys_are_made_only_with_scopes_the_maker_holds_and_a_future_expiry(gql, staff):
    past = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat()
    expired = (await staff.data(KEY_CREATE, {"n": "late", "s": SCOPES, "e": past}))["apiKeyCreate"]
    assert expired["apiKey"] is None and expired["userErrors"] == [{"code": "INVALID", "field": ["expiresAt"]}]
    wider = (await staff.data(KEY_CREATE, {"n": "wide", "s": ["catalog:write"]}))["apiKeyCreate"]
    assert wider["key"] is None and wider["userErrors"] == [{"code": "FORBIDDEN", "field": ["scopes"]}]
    unknown = (await staff.data(KEY_CREATE, {"n": "odd", "s": ["root"]}))["apiKeyCreate"]
    assert unknown["userErrors"] == [{"code": "INVALID", "field": ["scopes"]}]
    partner_only = as_(gql, await api_key(*SCOPES))
    assert error_code(await partner_only(KEY_CREATE, {"n": "x", "s": SCOPES})) == "FORBIDDEN"
    assert error_code(await partner_only(KEYS)) == "FORBIDDEN"
    assert error_code(await partner_only(KEY_REVOKE, {"id": "QXBpS2V5OjE"})) == "FORBIDDEN"
    other_type = (await staff(KEY_REVOKE, {"id": "T3JkZXI6MQ"}))["data"]["apiKeyRevoke"]  # an Order id
    assert other_type["userErrors"] == [{"code": "NOT_FOUND", "field": ["id"]}]


async def test_a_paused_subscription_turned_on_again_gets_every_event_it_missed_in_order(gql, worker):
    async with running_receiver() as receiver:
        client, subscription, _ = await partner(gql, receiver.url, ["ORDER_PAID"], scopes=SCOPES)
        paused = (await client.data(UPDATE, {"id": subscription["id"], "status": "DISABLED"}))[
            "webhookSubscriptionUpdate"]
        assert paused["webhookSubscription"]["disabledReason"] == "PAUSED"
        orders = [(await paid_order(gql))[0]["id"] for _ in range(3)]
        await worker.drain()
        assert receiver.received == []

        resumed = (await client.data(UPDATE, {"id": subscription["id"], "status": "ACTIVE"}))[
            "webhookSubscriptionUpdate"]
        assert resumed["userErrors"] == [] and resumed["eventsPastRetention"] == 0
        assert resumed["webhookSubscription"] == {"id": subscription["id"], "status": "ACTIVE", "disabledReason": None}
        orders.append((await paid_order(gql))[0]["id"])
        await worker.drain()
        assert [r.json["data"]["order"]["id"] for r in receiver.received] == orders


async def test_a_subscription_disabled_for_failing_resumes_with_what_it_missed_and_says_what_retention_took(
        gql, settings, tmp_path):
    await WebhookSubscription.all().delete()  # earlier tests' partners are gone: their deliveries would keep events
    worker = OutboundWorker(replace(settings, webhook_retry_window=0.2, mail_dir=str(tmp_path)))
    await worker.open()
    await worker.drain()
    try:
        async with running_receiver() as receiver:
            client, subscription, _ = await partner(gql, receiver.url, ["ORDER_PAID"], scopes=SCOPES)
            receiver.status = 500
            first = (await paid_order(gql))[0]["id"]
            async with asyncio.timeout(10):
                while seen_by_staff(await client.data(SUBSCRIPTIONS), subscription["id"])["status"] != "DISABLED":
                    await worker.run_once()
                    await asyncio.sleep(0.02)
            assert seen_by_staff(await client.data(SUBSCRIPTIONS), subscription["id"])["disabledReason"] == "FAILING"
            missed = [(await paid_order(gql))[0]["id"] for _ in range(2)]
            await worker.drain()
            purged = await purge_events(timedelta(0))  # the outbox's retention, with a very short memory
            receiver.status, receiver.received = 200, []

            resumed = (await client.data(UPDATE, {"id": subscription["id"], "status": "ACTIVE"}))[
                "webhookSubscriptionUpdate"]
            await worker.drain()
    finally:
        await worker.stop()
    # The failed delivery's event was kept; of the two missed orders' four events, only the newest
    # (it carries the numbering): three are past retention, and the answer says so.
    assert resumed["userErrors"] == [] and resumed["eventsPastRetention"] == 3 and purged >= 3
    assert [r.json["data"]["order"]["id"] for r in receiver.received] == [first, missed[-1]]
    assert seen_by_staff(await client.data(SUBSCRIPTIONS), subscription["id"])["status"] == "ACTIVE"
