"""Partner webhook subscriptions: made, listed, deleted, their deliveries read and sent again.

Each API key (with webhooks:write) manages its own subscriptions. Payloads
carry orders, so making one also needs orders:read. The signing secret is
answered once, when the subscription is made; it is stored because every
delivery is signed with it, and it is never logged.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.transactions import in_transaction

from commerce.access import Caller, Scope, require_scope
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.outbound.outbox import latest_sequence
from commerce.outbound.urls import UnsafeUrl, check_webhook_url, invalid_url
from commerce.text import check_text
from models import (
    DeliveryStatus, OrderEvent, OrderEventType, WebhookAttempt, WebhookDelivery, WebhookSubscription, WebhookSubscriptionStatus,
)

__all__ = [
    "NewSubscription", "DeliveryPage", "create_subscription", "list_subscriptions", "delete_subscription",
    "list_deliveries", "redeliver", "attempts_of", "events_of", "topics_of",
]

SECRET_PREFIX = "whsec_"
MAX_SUBSCRIPTIONS_PER_KEY = 20
MAX_URL_LENGTH = 2048  # WebhookSubscription.url


@dataclass(frozen=True)
class NewSubscription:
    subscription: WebhookSubscription
    secret: str  # shown once


@dataclass(frozen=True)
class DeliveryPage:
    deliveries: list[WebhookDelivery]
    has_next_page: bool


def topics_of(subscription: WebhookSubscription) -> list[OrderEventType]:
    return [OrderEventType[name] for name in subscription.topics.split()]


def _manager(caller: Caller) -> int:
    require_scope(caller, Scope.WEBHOOKS_WRITE)
    assert caller.api_key_id is not None  # scopes come only with API keys
    return caller.api_key_id


async def create_subscription(caller: Caller, url: str, topics: list[OrderEventType],
                              *, allow_private: bool) -> NewSubscription:
    key_id = _manager(caller)
    require_scope(caller, Scope.ORDERS_READ)
    if not topics:
        raise DomainError(Code.INVALID, "Choose at least one topic.", ["topics"])
    url = check_text(url, "url", max_length=MAX_URL_LENGTH).strip()
    try:
        url = await check_webhook_url(url, allow_private)
    except UnsafeUrl as error:
        raise invalid_url(error) from None
    if await WebhookSubscription.filter(api_key_id=key_id).count() >= MAX_SUBSCRIPTIONS_PER_KEY:
        raise DomainError(Code.INVALID, f"At most {MAX_SUBSCRIPTIONS_PER_KEY} subscriptions per API key.", ["url"])
    secret = SECRET_PREFIX + secrets.token_hex(24)
    subscription = await WebhookSubscription.create(
        url=url, topics=" ".join(sorted({t.name for t in topics})), secret=secret, api_key_id=key_id,
        start_after=await latest_sequence(),
    )
    return NewSubscription(subscription, secret)


async def list_subscriptions(caller: Caller) -> list[WebhookSubscription]:
    return await WebhookSubscription.filter(api_key_id=_manager(caller)).order_by("id")


async def _own(caller: Caller, subscription_id: int, field: str) -> WebhookSubscription:
    found = await WebhookSubscription.get_or_none(id=subscription_id, api_key_id=_manager(caller))
    if found is None:
        raise DomainError(Code.NOT_FOUND, "No webhook subscription with this id.", [field])
    return found


async def delete_subscription(caller: Caller, subscription_id: int) -> None:
    """Deletes the subscription and its delivery log; nothing more is sent to it."""
    await (await _own(caller, subscription_id, "id")).delete()


async def list_deliveries(caller: Caller, subscription_id: int, *, first: int, after: int | None,
                          status: DeliveryStatus | None) -> DeliveryPage:
    """The subscription's deliveries, newest first."""
    subscription = await _own(caller, subscription_id, "subscriptionId")
    query = WebhookDelivery.filter(subscription_id=subscription.id)
    if status is not None:
        query = query.filter(status=status)
    if after is not None:
        query = query.filter(id__lt=after)
    rows = await query.order_by("-id").limit(first + 1)
    return DeliveryPage(rows[:first], has_next_page=len(rows) > first)


async def attempts_of(delivery_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
    found: dict[int, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    for attempt in await WebhookAttempt.filter(delivery_id__in=delivery_ids).order_by("id"):
        found[attempt.delivery_id].append(attempt)
    return found


async def events_of(deliveries: list[WebhookDelivery]) -> dict[int, OrderEvent]:
    """The events of these deliveries, by event id."""
    return {e.id: e for e in await OrderEvent.filter(id__in=[d.event_id for d in deliveries])}


async def redeliver(caller: Caller, delivery_id: int) -> WebhookDelivery:
    """Sends the delivery again as soon as a worker is free (and re-enables its
    subscription if it had been disabled). A delivery being sent right now is refused."""
    key_id = _manager(caller)
    now = datetime.now(timezone.utc)
    async with in_transaction():
        delivery = await WebhookDelivery.filter(id=delivery_id, subscription__api_key_id=key_id).select_for_update().first()
        if delivery is None:
            raise DomainError(Code.NOT_FOUND, "No webhook delivery with this id.", ["deliveryId"])
        if delivery.claimed_until is not None and delivery.claimed_until > now:
            raise DomainError(Code.INVALID, "This delivery is being sent right now.", ["deliveryId"])
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = now
        await delivery.save(update_fields=["status", "next_attempt_at"])
        await WebhookSubscription.filter(id=delivery.subscription_id).update(
            status=WebhookSubscriptionStatus.ACTIVE, disabled_at=None)
    return delivery
