"""Partner webhook subscriptions: made, listed, deleted, their deliveries read and sent again.

Each API key (with webhooks:write) manages its own subscriptions. Payloads
carry orders, so making one also needs orders:read. The signing secret is
answered once, when the subscription is made; it is stored because every
delivery is signed with it, and it is never logged. Staff (keys:write) see
and delete every key's subscriptions, a revoked key's included.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from commerce.access import Caller, Scope, require_scope
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.outbound.outbox import latest_sequence
from commerce.outbound.subscription_status import Resumed, disable, resume
from commerce.outbound.urls import UnsafeUrl, check_webhook_url, invalid_url
from commerce.text import check_text
from models import (
    DeliveryStatus, OrderEvent, OrderEventType, SubscriptionDisabledReason, WebhookAttempt, WebhookDelivery,
    WebhookSubscription,
)

__all__ = [
    "NewSubscription", "DeliveryPage", "create_subscription", "list_subscriptions", "delete_subscription",
    "list_deliveries", "redeliver", "attempts_of", "events_of", "topics_of", "set_subscription_status",
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


def _is_staff(caller: Caller) -> bool:
    return Scope.KEYS_WRITE.value in caller.scopes


async def list_subscriptions(caller: Caller) -> list[WebhookSubscription]:
    """The caller's key's subscriptions; every key's for staff (keys:write)."""
    if _is_staff(caller):
        return await WebhookSubscription.all().order_by("id")
    return await WebhookSubscription.filter(api_key_id=_manager(caller)).order_by("id")


async def _own(caller: Caller, subscription_id: int, field: str, *, staff_too: bool = False) -> WebhookSubscription:
    if staff_too and _is_staff(caller):
        found = await WebhookSubscription.get_or_none(id=subscription_id)
    else:
        found = await WebhookSubscription.get_or_none(id=subscription_id, api_key_id=_manager(caller))
    if found is None:
        raise DomainError.not_found("webhook subscription", field)
    return found


async def delete_subscription(caller: Caller, subscription_id: int) -> None:
    """Deletes the subscription and its delivery log; nothing more is sent to it.
    Its own key, or staff (keys:write) for any key's, a revoked one's included."""
    await (await _own(caller, subscription_id, "id", staff_too=True)).delete()


async def set_subscription_status(caller: Caller, subscription_id: int, active: bool) -> Resumed:
    """Turns the caller's subscription off (PAUSED) or on again; on again, it resumes from
    the first event it did not get (see `subscription_status`)."""
    now = datetime.now(timezone.utc)
    async with in_transaction():
        subscription = await _own(caller, subscription_id, "id")
        if active:
            return await resume(subscription, now)
        await disable(Q(id=subscription.id), SubscriptionDisabledReason.PAUSED, now)
        await subscription.refresh_from_db()
        return Resumed(subscription, 0)


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
    """Sends the delivery again as soon as a worker is free, and re-enables its subscription
    if it had been disabled (from the first event it did not get). A delivery being sent
    right now is refused, and so is one whose subscription's key is revoked or expired."""
    key_id = _manager(caller)
    now = datetime.now(timezone.utc)
    async with in_transaction():
        delivery = await WebhookDelivery.filter(id=delivery_id, subscription__api_key_id=key_id).select_for_update().first()
        if delivery is None:
            raise DomainError.not_found("webhook delivery", "deliveryId")
        if delivery.claimed_until is not None and delivery.claimed_until > now:
            raise DomainError(Code.INVALID, "This delivery is being sent right now.", ["deliveryId"])
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = now
        await delivery.save(update_fields=["status", "next_attempt_at"])
        await resume(await WebhookSubscription.get(id=delivery.subscription_id), now, field="deliveryId")
    return delivery
