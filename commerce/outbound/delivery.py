"""Sending partner webhooks from the outbox: fan out, claim, POST, record.

1. `fan_out` reads the outbox past the `webhooks` consumer's position and
   makes one delivery per event and active subscription whose topics name it.
2. `claim_deliveries` takes, per subscription, only its oldest pending
   delivery, so each subscription receives its events in order and one
   subscription's backlog never hides another's deliveries.
3. `send` POSTs it, signed, within one deadline (`posting`); `_record` logs
   the attempt and either marks it delivered or schedules the next try with
   exponential backoff. A delivery still failing after the retry window
   disables its subscription (FAILING).

A claim's lease outlasts the attempt's deadline by `LEASE_MARGIN`, and an
attempt starts only while its claim covers the whole deadline: a delivery is
never in flight twice, whichever worker and whatever the timing. Nothing is
sent for a subscription whose API key is revoked or expired: it is disabled.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import operator
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import reduce

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.functions import Min
from tortoise.transactions import in_transaction

from commerce.outbound.claims import backoff, claim_due
from commerce.outbound.outbox import events_after
from commerce.outbound.payloads import event_payload, global_id
from commerce.outbound.posting import Answer, post_webhook
from commerce.outbound.subscription_status import WEBHOOKS_CONSUMER, disable, disable_for_ended_keys, key_ended
from models import (
    ApiKey, DeliveryStatus, OrderEvent, OutboxConsumer, SubscriptionDisabledReason, WebhookAttempt, WebhookDelivery,
    WebhookSubscription, WebhookSubscriptionStatus,
)

__all__ = [
    "DeliveryPolicy", "fan_out", "claim_deliveries", "send", "signature_header", "ensure_consumer",
    "stop_for_ended_keys",
]

log = logging.getLogger("shopgraph.webhooks.outbound")
CONSUMER = WEBHOOKS_CONSUMER
LEASE_MARGIN = 30.0  # seconds a claim outlasts its attempt's deadline: recording, clocks of other hosts
MAX_TIMEOUT = 300.0


@dataclass(frozen=True)
class DeliveryPolicy:
    """How deliveries are sent. A claim's lease is always the attempt's deadline plus
    `LEASE_MARGIN`, so an attempt has ended before another worker may take its delivery."""

    timeout: float = 10.0  # the deadline of one attempt: resolve, connect, send and read together
    retry_base: float = 10.0
    retry_window: float = 86400.0
    allow_private: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.timeout <= MAX_TIMEOUT:
            raise ValueError(f"SHOPGRAPH_WEBHOOK_TIMEOUT must be more than 0 and at most {MAX_TIMEOUT:g} seconds")

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.timeout + LEASE_MARGIN)


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


async def _head_ids(subscription_ids: list[int]) -> list[int]:
    """Each subscription's oldest pending delivery: the only one of it that may be sent next."""
    heads = await WebhookDelivery.filter(
        subscription_id__in=subscription_ids, status=DeliveryStatus.PENDING,
    ).group_by("subscription_id").annotate(first=Min("sequence")).values_list("subscription_id", "first")
    if not heads:
        return []
    pairs = reduce(operator.or_, (Q(subscription_id=s, sequence=q) for s, q in heads))
    return list(await WebhookDelivery.filter(pairs).values_list("id", flat=True))


async def claim_deliveries(policy: DeliveryPolicy, limit: int = 20) -> list[WebhookDelivery]:
    """Claims up to `limit` due deliveries, at most one per subscription (its oldest pending
    one), so a subscription with a backlog never stands in the way of the others."""
    now = datetime.now(timezone.utc)
    active = await WebhookSubscription.filter(
        Q(api_key_id=None) | Q(api_key__revoked_at=None, api_key__expires_at=None)
        | Q(api_key__revoked_at=None, api_key__expires_at__gt=now),
        status=WebhookSubscriptionStatus.ACTIVE,
    ).values_list("id", flat=True)
    heads = await _head_ids(list(active)) if active else []
    if not heads:
        return []
    return await claim_due(WebhookDelivery, now, policy.lease, limit, order_by="sequence", keep=_heads,
                           id__in=heads)


async def stop_for_ended_keys() -> int:
    """Disables the subscriptions of revoked and expired keys (each pass of the worker)."""
    async with in_transaction():
        return await disable_for_ended_keys(datetime.now(timezone.utc))


def _headers(subscription: WebhookSubscription, event: OrderEvent, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json", "user-agent": "shopgraph-webhooks/1",
        "shopgraph-event-id": global_id("OrderEvent", event.sequence), "shopgraph-topic": event.type.name,
        "shopgraph-signature": signature_header(subscription.secret, body, int(time.time())),
    }


async def _release(delivery: WebhookDelivery) -> None:
    """Gives an unsent claim back (its subscription stopped meanwhile)."""
    await WebhookDelivery.filter(id=delivery.id).update(
        claimed_until=None, attempt_count=F("attempt_count") - 1)


async def _may_send(delivery: WebhookDelivery, subscription: WebhookSubscription, policy: DeliveryPolicy) -> bool:
    """False when the subscription's key has ended (the subscription is disabled now), or the
    claim no longer covers a whole attempt (it waited too long to start)."""
    now = datetime.now(timezone.utc)
    ended = key_ended(await ApiKey.get_or_none(id=subscription.api_key_id), now)
    if ended is not None:
        async with in_transaction():
            await disable(Q(id=subscription.id), ended, now)
    elif delivery.claimed_until is not None and delivery.claimed_until - now >= timedelta(seconds=policy.timeout):
        return subscription.status is WebhookSubscriptionStatus.ACTIVE
    return False


async def send(delivery: WebhookDelivery, policy: DeliveryPolicy) -> bool:
    """POSTs a claimed delivery once and records the outcome; True when it went through."""
    subscription = await WebhookSubscription.get_or_none(id=delivery.subscription_id)
    event = await OrderEvent.get_or_none(id=delivery.event_id)
    if subscription is None or event is None:
        return False  # deleted meanwhile (the delivery went with it)
    if not await _may_send(delivery, subscription, policy):
        await _release(delivery)
        return False
    body = await event_payload(event)
    started = time.monotonic()
    answer = await post_webhook(subscription.url, body, _headers(subscription, event, body),
                                deadline=policy.timeout, allow_private=policy.allow_private)
    await _record(delivery, subscription, answer, int((time.monotonic() - started) * 1000), policy)
    return answer.error is None


async def _record(delivery: WebhookDelivery, subscription: WebhookSubscription, answer: Answer,
                  duration_ms: int, policy: DeliveryPolicy) -> None:
    now = datetime.now(timezone.utc)
    async with in_transaction():
        if not await WebhookDelivery.exists(id=delivery.id):
            return
        await WebhookAttempt.create(delivery_id=delivery.id, status_code=answer.status_code, error=answer.error,
                                    duration_ms=duration_ms)
        delivery.claimed_until, delivery.last_status_code = None, answer.status_code
        delivery.last_error = answer.error
        if answer.error is None:
            delivery.status, delivery.delivered_at, delivery.failing_since = DeliveryStatus.SUCCEEDED, now, None
        else:
            delivery.failing_since = delivery.failing_since or now
            delivery.next_attempt_at = now + backoff(policy.retry_base, delivery.attempt_count)
            if now - delivery.failing_since >= timedelta(seconds=policy.retry_window):
                delivery.status = DeliveryStatus.FAILED
                await disable(Q(id=subscription.id), SubscriptionDisabledReason.FAILING, now)
                log.warning("webhook subscription %s disabled: deliveries failing since %s",
                            subscription.id, delivery.failing_since.isoformat())
        await delivery.save(update_fields=[
            "claimed_until", "last_status_code", "last_error", "status", "delivered_at", "failing_since",
            "next_attempt_at"])
