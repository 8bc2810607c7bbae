"""Partner webhooks: subscriptions (webhooks:write), their delivery log, redelivery."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from commerce import access
from commerce.access import Caller, Scope
from commerce.errors import DomainError
from commerce.outbound import partner_hooks
from graph.core.access import caller, require_scope
from graph.core.context import Info
from graph.core.errors import UserError, mutation
from graph.outbound.feed import OrderEvent, OrderEventType
from graph.core.pagination import Connection, Edge, page_args
from graph.core.ids import INT64_MAX, big_int_key, cursor_int, decode_cursor, encode_cursor, int_key, known, to_global_id
from graph.core.errors import bad_user_input
from models import (
    DeliveryStatus as _DeliveryStatus, OrderEvent as OrderEventModel, OrderEventType as _OrderEventType,
    SubscriptionDisabledReason as _DisabledReason, WebhookDelivery as DeliveryModel,
    WebhookSubscription as SubscriptionModel, WebhookSubscriptionStatus as _SubscriptionStatus,
)

__all__ = ["WebhookQuery", "WebhookMutation"]

WebhookSubscriptionStatus = strawberry.enum(
    Enum("WebhookSubscriptionStatus", {s.name: s.name for s in _SubscriptionStatus}),
    description="DISABLED: nothing is sent (see `disabledReason`); `webhookSubscriptionUpdate(status: ACTIVE)` "
                "or `webhookRedeliver` turns it back on, from the first event it did not get.",
)
WebhookSubscriptionDisabledReason = strawberry.enum(
    Enum("WebhookSubscriptionDisabledReason", {r.name: r.name for r in _DisabledReason}),
    description="KEY_REVOKED / KEY_EXPIRED: its API key ended (it cannot be turned on again); FAILING: "
                "deliveries kept failing for the whole retry window; PAUSED: its key turned it off.",
)
WebhookDeliveryStatus = strawberry.enum(
    Enum("WebhookDeliveryStatus", {s.name: s.name for s in _DeliveryStatus}),
    description="PENDING: not yet answered with a 2xx (see nextAttemptAt); FAILED: given up.",
)


@strawberry.type
class WebhookSubscription:
    id: strawberry.ID
    url: str
    topics: list[OrderEventType]
    status: WebhookSubscriptionStatus
    disabled_reason: WebhookSubscriptionDisabledReason | None
    created_at: datetime

    @classmethod
    def from_model(cls, model: SubscriptionModel) -> "WebhookSubscription":
        disabled = model.status is _SubscriptionStatus.DISABLED
        # Before reasons were kept, failing deliveries were the only reason.
        reason = WebhookSubscriptionDisabledReason[model.disabled_reason or "FAILING"] if disabled else None
        return cls(id=strawberry.ID(to_global_id("WebhookSubscription", model.id)), url=model.url,
                   topics=[OrderEventType[t.name] for t in partner_hooks.topics_of(model)],
                   status=WebhookSubscriptionStatus[model.status.name], disabled_reason=reason,
                   created_at=model.created_at)


@strawberry.type(description="One POST of a delivery and the endpoint's answer.")
class WebhookAttempt:
    created_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


@strawberry.type(description="One event sent to one subscription, with every attempt.")
class WebhookDelivery:
    id: strawberry.ID
    status: WebhookDeliveryStatus
    attempt_count: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    attempts: list[WebhookAttempt]
    event: OrderEvent

    @classmethod
    def from_model(cls, model: DeliveryModel, event: OrderEventModel, attempts: list) -> "WebhookDelivery":
        return cls(
            id=strawberry.ID(to_global_id("WebhookDelivery", model.id)),
            status=WebhookDeliveryStatus[model.status.name], attempt_count=model.attempt_count,
            last_status_code=model.last_status_code, last_error=model.last_error,
            next_attempt_at=model.next_attempt_at if model.status is _DeliveryStatus.PENDING else None,
            delivered_at=model.delivered_at, created_at=model.created_at, event=OrderEvent.from_model(event),
            attempts=[WebhookAttempt(created_at=a.created_at, status_code=a.status_code, error=a.error,
                                     duration_ms=a.duration_ms) for a in attempts],
        )


@strawberry.type(description="A page of deliveries, newest first.")
class WebhookDeliveryConnection(Connection[WebhookDelivery]):
    pass


@strawberry.type
class WebhookSubscriptionCreatePayload:
    webhook_subscription: WebhookSubscription | None
    secret: str | None = strawberry.field(description="Signs every delivery. Shown this once: keep it now.")
    user_errors: list[UserError]


@strawberry.type
class WebhookSubscriptionDeletePayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.type
class WebhookSubscriptionUpdatePayload:
    webhook_subscription: WebhookSubscription | None
    events_past_retention: int = strawberry.field(default=0, description=(
        "Events of the time it was disabled that the outbox's retention had already deleted (of any topic): "
        "they cannot be sent. The others are sent, in order, before anything newer."))
    user_errors: list[UserError]


@strawberry.type
class WebhookRedeliverPayload:
    delivery: WebhookDelivery | None
    user_errors: list[UserError]


def _subscription_key(global_id: str, argument: str) -> int:
    return known(int_key(global_id, "WebhookSubscription"), "webhook subscription", argument)


def _delivery_after(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    values = decode_cursor(cursor, "after")
    delivery = cursor_int(values[1], INT64_MAX) if len(values) == 2 and values[0] == "d" else None
    if delivery is None:
        raise bad_user_input("`after` is not a cursor of these deliveries.")
    return delivery


async def _deliveries(models: list[DeliveryModel]) -> list[WebhookDelivery]:
    events = await partner_hooks.events_of(models)
    attempts = await partner_hooks.attempts_of([d.id for d in models])
    return [WebhookDelivery.from_model(d, events[d.event_id], attempts[d.id]) for d in models]


async def _manager_or_staff(info: Info) -> Caller:
    """A caller with webhooks:write (its own subscriptions) or keys:write (every key's)."""
    who = await caller(info)
    if Scope.KEYS_WRITE.value not in who.scopes:
        access.require_scope(who, Scope.WEBHOOKS_WRITE)
    return who


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="This API key's webhook subscriptions (webhooks:write); every key's for "
                      "staff (keys:write).")
    async def webhook_subscriptions(self, info: Info) -> list[WebhookSubscription]:
        who = await _manager_or_staff(info)
        return [WebhookSubscription.from_model(m) for m in await partner_hooks.list_subscriptions(who)]

    @strawberry.field(description="A subscription's deliveries, newest first, with every attempt (webhooks:write).")
    async def webhook_deliveries(self, info: Info, subscription_id: strawberry.ID, first: int = 20,
                                 after: str | None = None,
                                 status: WebhookDeliveryStatus | None = None) -> WebhookDeliveryConnection:
        who = await require_scope(info, Scope.WEBHOOKS_WRITE)
        size = page_args(first, None).first or 0
        try:
            page = await partner_hooks.list_deliveries(
                who, _subscription_key(subscription_id, "subscriptionId"), first=size,
                after=_delivery_after(after), status=_DeliveryStatus[status.name] if status else None)
        except DomainError as error:
            raise bad_user_input(error.message) from None
        nodes = await _deliveries(page.deliveries)
        edges = [Edge(cursor=encode_cursor(["d", m.id]), node=n) for m, n in zip(page.deliveries, nodes)]
        return WebhookDeliveryConnection.page(edges, has_next_page=page.has_next_page,
                                              has_previous_page=after is not None)


@strawberry.type
class WebhookMutation:
    @mutation(description="Sends the topics' order events to `url`, signed (webhooks:write and "
                         "orders:read). The answer carries the signing secret, once.")
    async def webhook_subscription_create(self, info: Info, url: str,
                                          topics: list[OrderEventType]) -> WebhookSubscriptionCreatePayload:
        who = await require_scope(info, Scope.WEBHOOKS_WRITE)
        made = await partner_hooks.create_subscription(
            who, url, [_OrderEventType[t.name] for t in topics],
            allow_private=info.context.settings.webhooks_allow_private)
        return WebhookSubscriptionCreatePayload(
            webhook_subscription=WebhookSubscription.from_model(made.subscription), secret=made.secret, user_errors=[])

    @mutation(description="Deletes a subscription and its delivery log (webhooks:write, its own key; "
                         "or keys:write, any key's, a revoked one's included).")
    async def webhook_subscription_delete(self, info: Info, id: strawberry.ID) -> WebhookSubscriptionDeletePayload:
        who = await _manager_or_staff(info)
        await partner_hooks.delete_subscription(who, _subscription_key(id, "id"))
        return WebhookSubscriptionDeletePayload(deleted_id=id, user_errors=[])

    @mutation(description="Turns a subscription off (PAUSED) or on again (webhooks:write). On again, "
                         "it resumes from the first event it did not get; refused while its key is revoked or expired.")
    async def webhook_subscription_update(self, info: Info, id: strawberry.ID,
                                          status: WebhookSubscriptionStatus) -> WebhookSubscriptionUpdatePayload:
        who = await require_scope(info, Scope.WEBHOOKS_WRITE)
        done = await partner_hooks.set_subscription_status(
            who, _subscription_key(id, "id"), status.name == _SubscriptionStatus.ACTIVE.name)
        return WebhookSubscriptionUpdatePayload(
            webhook_subscription=WebhookSubscription.from_model(done.subscription),
            events_past_retention=done.events_past_retention, user_errors=[])

    @mutation(description="Sends a delivery again as soon as possible, and turns its subscription "
                         "back on if it was disabled, from the first event it did not get (webhooks:write).")
    async def webhook_redeliver(self, info: Info, delivery_id: strawberry.ID) -> WebhookRedeliverPayload:
        who = await require_scope(info, Scope.WEBHOOKS_WRITE)
        delivery = await partner_hooks.redeliver(who, known(big_int_key(delivery_id, "WebhookDelivery"), "delivery", "deliveryId"))
        [node] = await _deliveries([delivery])
        return WebhookRedeliverPayload(delivery=node, user_errors=[])
