"""Turning partner webhook subscriptions off and on again without losing events.

While a subscription is disabled the outbox goes on, and the `webhooks`
consumer makes deliveries only for active subscriptions. So disabling one
records, in its `start_after`, how far the consumer had read (under the
consumer's row lock, so no fan-out runs in between): every event up to there
has its delivery. Enabling it again (`resume`), under the same lock, makes
the deliveries of the events it did not get, those after `start_after` that
are still in the outbox, and puts a delivery given up on back in line; it
goes on from the first event it missed. Events the outbox's retention has
deleted meanwhile cannot be sent: `resume` counts them, and the log says so.

A subscription whose API key is revoked or past its expiry is disabled
(`disable_for_ended_keys`) and is never sent anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q, Subquery

from commerce.errors import DomainError, UserErrorCode as Code
from models import (
    ApiKey, DeliveryStatus, OrderEvent, OrderEventType, OutboxConsumer, SubscriptionDisabledReason as Reason,
    WebhookDelivery, WebhookSubscription, WebhookSubscriptionStatus as Status,
)

__all__ = ["WEBHOOKS_CONSUMER", "Resumed", "key_ended", "disable", "disable_for_ended_keys", "resume"]

log = logging.getLogger("shopgraph.webhooks.outbound")
WEBHOOKS_CONSUMER = "webhooks"


@dataclass(frozen=True)
class Resumed:
    subscription: WebhookSubscription
    events_past_retention: int  # missed while disabled, already deleted from the outbox


def key_ended(key: ApiKey | None, now: datetime) -> Reason | None:
    """Why deliveries for this key must stop (revoked, expired), or None."""
    if key is None:
        return None
    if key.revoked_at is not None:
        return Reason.KEY_REVOKED
    if key.expires_at is not None and key.expires_at <= now:
        return Reason.KEY_EXPIRED
    return None


async def _fanned_out_up_to() -> int:
    """The webhooks consumer's position, its row locked until the transaction ends (call inside one)."""
    consumer = await OutboxConsumer.filter(name=WEBHOOKS_CONSUMER).select_for_update().first()
    return consumer.position if consumer is not None else 0


async def disable(subscriptions: Q, reason: Reason, now: datetime) -> int:
    """Disables the subscriptions `subscriptions` selects, for `reason`; call inside a transaction.

    One already disabled only takes the new reason. Returns how many were active."""
    position = await _fanned_out_up_to()
    active = WebhookSubscription.filter(subscriptions, status=Status.ACTIVE)
    await active.filter(start_after__lt=position).update(start_after=position)
    turned_off = await active.update(status=Status.DISABLED, disabled_at=now, disabled_reason=reason.value)
    await WebhookSubscription.filter(subscriptions).update(status=Status.DISABLED, disabled_reason=reason.value)
    return turned_off


async def disable_for_ended_keys(now: datetime) -> int:
    """Disables active subscriptions whose key was revoked or has expired (call inside a transaction)."""
    revoked = Q(api_key__revoked_at__isnull=False)
    expired = Q(api_key__expires_at__lte=now, api_key__revoked_at__isnull=True)
    ended = 0
    for keys, reason in ((revoked, Reason.KEY_REVOKED), (expired, Reason.KEY_EXPIRED)):
        ids = await WebhookSubscription.filter(keys, status=Status.ACTIVE).values_list("id", flat=True)
        if ids:
            ended += await disable(Q(id__in=list(ids)), reason, now)
    return ended


async def _missed_events(subscription: WebhookSubscription, up_to: int) -> list[tuple[int, int]]:
    """(id, sequence) of its topics' events after `start_after`, up to `up_to`, that it has no delivery of."""
    delivered = WebhookDelivery.filter(subscription_id=subscription.id).values("event_id")
    return await (
        OrderEvent.filter(sequence__gt=subscription.start_after, sequence__lte=up_to,
                          type__in=[OrderEventType[t] for t in subscription.topics.split()])
        .exclude(id__in=Subquery(delivered)).order_by("sequence").values_list("id", "sequence")
    )


async def resume(subscription: WebhookSubscription, now: datetime, *, field: str = "id") -> Resumed:
    """Enables `subscription` again from the first event it did not get; call inside a transaction.

    Refused (INVALID) while its key is revoked or expired."""
    ended = key_ended(await ApiKey.get_or_none(id=subscription.api_key_id), now)
    if ended is not None:
        raise DomainError(Code.INVALID, "Its API key is revoked or expired: make a subscription with a valid key.",
                          [field])
    position = await _fanned_out_up_to()
    lost = 0
    if subscription.status is Status.DISABLED:
        missed = await _missed_events(subscription, position)
        await WebhookDelivery.bulk_create([
            WebhookDelivery(subscription_id=subscription.id, event_id=event_id, sequence=sequence, next_attempt_at=now)
            for event_id, sequence in missed])
        kept = await OrderEvent.filter(sequence__gt=subscription.start_after, sequence__lte=position).count()
        lost = max(position - subscription.start_after - kept, 0)
        if lost:
            log.warning("webhook subscription %s resumes without %d events the outbox no longer keeps",
                        subscription.id, lost)
    await WebhookDelivery.filter(subscription_id=subscription.id, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, failing_since=None)
    subscription.status, subscription.disabled_at, subscription.disabled_reason = Status.ACTIVE, None, None
    await subscription.save(update_fields=["status", "disabled_at", "disabled_reason"])
    return Resumed(subscription, lost)
