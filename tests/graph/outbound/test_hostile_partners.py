"""Partner endpoints that misbehave on purpose cost the shop one bounded attempt at a time.

The endpoints are real servers on 127.0.0.1 (tests/drip_partner.py,
tests/webhook_receiver.py); the outbound worker is the server's own, running
in the background as in a server process. Deliveries get a 1 s deadline here.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

from commerce.outbound import delivery
from shopgraph import outbound
from shopgraph.outbound import OutboundWorker
from tests.drip_partner import dripping_partner, flooding_partner
from tests.graph.outbound.test_partner_webhooks import DELIVERIES, partner
from tests.stripe_events import paid_order
from tests.webhook_receiver import running_receiver

TIMEOUT = 1.0


@pytest.fixture(scope="module")
def settings(settings):
    return replace(settings, webhooks_allow_private=True, webhook_retry_base=0.1, webhook_timeout=TIMEOUT,
                   outbound_interval=0.05)


@pytest.fixture
async def worker(settings, tmp_path):
    worker = OutboundWorker(replace(settings, mail_dir=str(tmp_path / "mail")))
    await worker.open()
    await worker.drain()  # what earlier tests left in the outbox is not this test's
    await worker.start()
    yield worker
    await worker.stop()


@pytest.fixture
def short_lease(monkeypatch):
    """Claims that outlast the deadline by 0.3 s instead of 30 s: a send still open after
    the deadline would meet a second copy of itself within this test's few seconds."""
    monkeypatch.setattr(delivery, "LEASE_MARGIN", 0.3)


async def test_a_dripping_partner_never_holds_up_a_healthy_one_nor_gets_a_delivery_twice_at_once(
        gql, worker, short_lease, monkeypatch):
    """Two sends at a time in this process: the slow partner's growing backlog must not take
    the healthy partner's turn."""
    monkeypatch.setattr(outbound, "MAX_IN_FLIGHT", 2)
    most_in_flight = 0

    async def watch_in_flight() -> None:
        nonlocal most_in_flight
        while True:
            most_in_flight = max(most_in_flight, worker.in_flight)
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch_in_flight())
    async with dripping_partner(interval=0.5) as slow, running_receiver() as healthy:
        slow_client, slow_subscription, _ = await partner(gql, slow.url, ["ORDER_PAID"])
        await partner(gql, healthy.url, ["ORDER_PAID"])
        for count in range(1, 5):
            await paid_order(gql)
            started = time.monotonic()
            await healthy.wait_for(count, timeout=2.0)  # each event within a couple of seconds
            assert time.monotonic() - started < 2.0
        deadline = time.monotonic() + 8
        while len(slow.connections) < 3:  # the slow partner's attempts carry on meanwhile
            assert time.monotonic() < deadline, "the slow partner's delivery is not retried"
            await asyncio.sleep(0.05)
        await asyncio.sleep(TIMEOUT)
        watcher.cancel()

        assert healthy.topics() == ["ORDER_PAID"] * 4 and healthy.most_at_once == 1
        first_event = slow.connections[0].event_id
        assert all(c.event_id == first_event for c in slow.connections)  # its own events wait in order
        assert slow.most_open_at_once == {first_event: 1}
        for connection in slow.connections:
            if connection.closed is not None:  # cut off at the deadline (the answer takes 20 s)
                assert connection.closed - connection.opened < TIMEOUT + 0.3
                assert connection.bytes_sent <= 4
        assert most_in_flight <= 2  # one per subscription: no pile-up

        [pending] = (await slow_client.data(DELIVERIES, {"s": slow_subscription["id"], "status": "PENDING"}))[
            "webhookDeliveries"]["nodes"][-1:]
        assert {a["error"] for a in pending["attempts"]} == {"no answer within 1 s"}
        assert all(a["durationMs"] < (TIMEOUT + 0.3) * 1000 for a in pending["attempts"])


async def test_an_answer_of_10_megabytes_is_read_only_up_to_64_kib(gql, worker):
    async with flooding_partner(interval=0.2) as flood:
        client, subscription, _ = await partner(gql, flood.url, ["ORDER_PAID"])
        await paid_order(gql)
        deadline = time.monotonic() + 5
        while not (flood.connections and flood.connections[0].closed):
            assert time.monotonic() < deadline, "shopgraph kept reading the 10 MB answer"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        [sent] = (await client.data(DELIVERIES, {"s": subscription["id"]}))["webhookDeliveries"]["nodes"]

    [connection] = flood.connections
    assert connection.bytes_sent < 1024 * 1024  # 128 KiB at once, then shopgraph hung up
    assert connection.closed - connection.opened < TIMEOUT
    assert (sent["status"], sent["lastStatusCode"], sent["attemptCount"]) == ("SUCCEEDED", 200, 1)


@pytest.mark.parametrize("timeout", [0, -1, 301, float("nan"), float("inf")])
def test_a_webhook_timeout_that_is_not_a_bounded_deadline_is_refused_at_start(timeout):
    with pytest.raises(ValueError, match="SHOPGRAPH_WEBHOOK_TIMEOUT"):
        delivery.DeliveryPolicy(timeout=timeout)

