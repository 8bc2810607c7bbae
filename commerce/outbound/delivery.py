"""Sending partner webhooks from the outbox: fan out, claim, POST, record.

1. `fan_out` reads the outbox past the `webhooks` consumer's position and
   makes one delivery per event and active subscription whose topics name it.
2. `claim_deliveries` takes, per subscription, only its oldest pending
   delivery, so each subscription receives its events in order.
3. `send` POSTs it, signed, with a timeout; `_record` logs the attempt and
   either marks it delivered or schedules the next try with exponential
   backoff. A delivery still failing after the retry window disables its
   subscription.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import httpx
from tortoise.exceptions import IntegrityError
from tortoise.functions import Min
from tortoise.transactions import in_transaction

from commerce.outbound.claims import backoff, claim_due
from commerce.outbound.outbox import events_after
from commerce.outbound.payloads import event_payload, global_id
from commerce.outbound.urls import UnsafeUrl, check_webhook_url
from models import (
    DeliveryStatus, OrderEvent, OutboxConsumer, WebhookAttempt, WebhookDelivery, WebhookSubscription,
    WebhookSubscriptionStatus,
)

__all__ = ["DeliveryPolicy", "fan_out", "claim_deliveries", "send", "signature_header", "ensure_consumer"]

log = logging.getLogger("shopgraph.webhooks.outbound")
CONSUMER = "webhooks"


@dataclass(frozen=True)
class DeliveryPolicy:
    timeout: float = 10.0
    retry_base: float = 10.0
    retry_window: float = 86400.0
    allow_private: bool = False

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.timeout + 30)


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (Stripe's scheme)."""
    signed = f"{timestamp}.".encode() + body
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


async def ensure_consumer(name: str) -> None:
    if not await OutboxConsumer.exists(name=name):
        try:
            await OutboxConsumer.create(name=name, position=0)
        except IntegrityError:  # another process made it at the same moment
            pass


async def fan_out(batch: int = 200) -> int:
    """Turns new outbox events into deliveries; returns how many events it read."""
    await ensure_consumer(CONSUMER)
    async with in_transaction():
        consumer = await OutboxConsumer.filter(name=CONSUMER).select_for_update().first()
        events = await events_after(consumer.position, batch)
        if not events:
            return 0
        subscriptions = await WebhookSubscription.filter(status=WebhookSubscriptionStatus.ACTIVE)
        now = datetime.now(timezone.utc)
        await WebhookDelivery.bulk_create([
            WebhookDelivery(subscription_id=s.id, event_id=e.id, sequence=e.sequence, next_attempt_at=now)
            for e in events for s in subscriptions
            if e.sequence > s.start_after and e.type.name in s.topics.split()
        ])
        consumer.position = events[-1].sequence
        await consumer.save(update_fields=["position"])
    return len(events)


async def _heads(rows: list[WebhookDelivery]) -> list[WebhookDelivery]:
    """Of the candidates, those that are their subscription's oldest pending delivery."""
    heads = dict(await WebhookDelivery.filter(
        subscription_id__in=list({r.subscription_id for r in rows}), status=DeliveryStatus.PENDING,
    ).group_by("subscription_id").annotate(first=Min("sequence")).values_list("subscription_id", "first"))
    return [r for r in rows if heads.get(r.subscription_id) == r.sequence]


async def claim_deliveries(policy: DeliveryPolicy, limit: int = 20) -> list[WebhookDelivery]:
    active = await WebhookSubscription.filter(status=WebhookSubscriptionStatus.ACTIVE).values_list("id", flat=True)
    if not active:
        return []
    return await claim_due(WebhookDelivery, datetime.now(timezone.utc), policy.lease, limit,
                           order_by="sequence", keep=_heads, subscription_id__in=list(active))


async def _post(client: httpx.AsyncClient, subscription: WebhookSubscription, event: OrderEvent,
                policy: DeliveryPolicy) -> tuple[int | None, str | None]:
    body = await event_payload(event)
    headers = {
        "content-type": "application/json", "user-agent": "shopgraph-webhooks/1",
        "shopgraph-event-id": global_id("OrderEvent", event.sequence), "shopgraph-topic": event.type.name,
        "shopgraph-signature": signature_header(subscription.secret, body, int(time.time())),
    }
    try:
        await check_webhook_url(subscription.url, policy.allow_private)
        response = await client.post(subscription.url, content=body, headers=headers, timeout=policy.timeout)
    except UnsafeUrl as error:
        return None, f"refused: {error}"
    except httpx.TimeoutException:
        return None, f"no answer within {policy.timeout:g} s"
    except httpx.HTTPError as error:
        return None, f"{type(error).__name__}: {error}"[:500]
    return response.status_code, None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"


async def send(client: httpx.AsyncClient, delivery: WebhookDelivery, policy: DeliveryPolicy) -> bool:
    """POSTs a claimed delivery once and records the outcome; True when it went through."""
    subscription = await WebhookSubscription.get_or_none(id=delivery.subscription_id)
    event = await OrderEvent.get_or_none(id=delivery.event_id)
    if subscription is None or event is None:
        return False  # deleted meanwhile (the delivery went with it)
    started = time.monotonic()
    status_code, error = await _post(client, subscription, event, policy)
    await _record(delivery, subscription, status_code, error, int((time.monotonic() - started) * 1000), policy)
    return error is None


async def _record(delivery: WebhookDelivery, subscription: WebhookSubscription, status_code: int | None,
                  error: str | None, duration_ms: int, policy: DeliveryPolicy) -> None:
    now = datetime.now(timezone.utc)
    async with in_transaction():
        if not await WebhookDelivery.exists(id=delivery.id):
            return
        await WebhookAttempt.create(delivery_id=delivery.id, status_code=status_code, error=error,
                                    duration_ms=duration_ms)
        delivery.claimed_until, delivery.last_status_code, delivery.last_error = None, status_code, error
        if error is None:
            delivery.status, delivery.delivered_at, delivery.failing_since = DeliveryStatus.SUCCEEDED, now, None
        else:
            delivery.failing_since = delivery.failing_since or now
            delivery.next_attempt_at = now + backoff(policy.retry_base, delivery.attempt_count)
            if now - delivery.failing_since >= timedelta(seconds=policy.retry_window):
                delivery.status = DeliveryStatus.FAILED
                await WebhookSubscription.filter(id=subscription.id).update(
                    status=WebhookSubscriptionStatus.DISABLED, disabled_at=now)
                log.warning("webhook subscription %s disabled: deliveries failing since %s",
                            subscription.id, delivery.failing_since.isoformat())
        await delivery.save(update_fields=[
            "claimed_until", "last_status_code", "last_error", "status", "delivered_at", "failing_since",
            "next_attempt_at"])
