"""`purge-events`: old outbox events go, unless a webhook or an email still needs them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from commerce.outbound.retention import purge_events
from shopgraph.outbound import OutboundWorker
from tests.graph.accounts.test_accounts import api_key, as_
from tests.graph.outbound.test_order_events import poll
from tests.stripe_events import paid_order
from tests.webhook_receiver import running_receiver

CREATE = """mutation($url: String!) { webhookSubscriptionCreate(url: $url, topics: [ORDER_PAID]) {
  userErrors { code } } }"""


@pytest.fixture(scope="module")
def settings(settings):
    return replace(settings, webhooks_allow_private=True, webhook_retry_base=60)


LATER = datetime.now(timezone.utc) + timedelta(days=100)  # every event made now is then 100 days old


async def test_old_events_go_but_those_still_owed_to_a_partner_stay(gql, settings, tmp_path):
    worker = OutboundWorker(replace(settings, mail_dir=str(tmp_path)))
    await worker.open()
    reader = as_(gql, await api_key("orders:read", "webhooks:write"))
    async with running_receiver() as receiver:
        assert (await reader.data(CREATE, {"url": receiver.url}))["webhookSubscriptionCreate"]["userErrors"] == []
        delivered, _ = await paid_order(gql)
        await worker.drain()
        receiver.status = 500
        owed, _ = await paid_order(gql)
        await worker.drain()  # ORDER_PAID of `owed` failed and waits for its next try
        newest, _ = await paid_order(gql)
        await worker.drain()
        everything, end = await poll(reader, None)

        assert await purge_events(timedelta(days=90)) == 0  # nothing is 90 days old yet
        purged = await purge_events(timedelta(days=90), now=LATER)
        kept, _ = await poll(reader, None)
        assert purged == len(everything) - len(kept)
        kept_orders = {(e["order"]["id"], e["type"]) for e in kept}
        assert (owed["id"], "ORDER_PAID") in kept_orders  # its delivery is still pending
        assert (delivered["id"], "ORDER_PAID") not in kept_orders
        assert kept[-1]["id"] == everything[-1]["id"]  # the newest stays

        # A poller's cursor still works, and the numbering goes on after it.
        newer, _ = await paid_order(gql)
        fresh, _ = await poll(reader, end)
        assert [(e["order"]["id"], e["type"]) for e in fresh] == [(newer["id"], "ORDER_CREATED"), (newer["id"], "ORDER_PAID")]
        receiver.status = 200
    await worker.stop()
