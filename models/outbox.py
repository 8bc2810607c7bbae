"""The outbox: every change of an order, numbered in commit order, and what is sent from it."""

from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.models import Model


class OrderEventType(str, Enum):
    ORDER_CREATED = "order_created"
    ORDER_ACTION_REQUIRED = "order_action_required"
    ORDER_PAID = "order_paid"
    ORDER_AUTHORIZED = "order_authorized"
    ORDER_PAYMENT_FAILED = "order_payment_failed"
    ORDER_CANCELLED = "order_cancelled"
    ORDER_REFUNDED = "order_refunded"
    ORDER_DISPUTE_OPENED = "order_dispute_opened"
    ORDER_DISPUTE_CLOSED = "order_dispute_closed"
    ORDER_FULFILLED = "order_fulfilled"


class OrderEvent(Model):
    """One change of an order, written in the transaction that made the change.

    `sequence` is given at commit time (see `commerce.outbound.outbox`), so a
    reader that has seen event n never later meets an event numbered below n.
    `snapshot` is the order row as the change left it (JSON text).
    """

    id = fields.BigIntField(primary_key=True)
    sequence = fields.BigIntField(unique=True)
    order: fields.ForeignKeyRelation["Order"] = fields.ForeignKeyField(  # noqa: F821
        "shop.Order", related_name="events", on_delete=fields.CASCADE
    )
    type = fields.CharEnumField(OrderEventType, max_length=32)
    snapshot = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "order_event"
        indexes = (("order_id", "sequence"), ("created_at",))


class OutboxCounter(Model):
    """One row (id 1): the last event number handed out. Locked by each numbering
    transaction until it commits (PostgreSQL), which is what orders the numbers."""

    id = fields.IntField(primary_key=True)
    value = fields.BigIntField()

    class Meta:
        table = "outbox_counter"


class OutboxConsumer(Model):
    """How far a consumer of the outbox (partner webhooks, email) has read."""

    name = fields.CharField(max_length=32, primary_key=True)
    position = fields.BigIntField(default=0)

    class Meta:
        table = "outbox_consumer"


class WebhookSubscriptionStatus(str, Enum):
    ACTIVE = "active"
    DISABLED = "disabled"


class SubscriptionDisabledReason(str, Enum):
    """Why a subscription is disabled (stored in `WebhookSubscription.disabled_reason`)."""

    KEY_REVOKED = "KEY_REVOKED"  # its API key was revoked
    KEY_EXPIRED = "KEY_EXPIRED"  # its API key passed its expiry
    FAILING = "FAILING"  # deliveries kept failing for the whole retry window
    PAUSED = "PAUSED"  # its key turned it off


class WebhookSubscription(Model):
    """A partner's endpoint and the event types it wants. The secret signs every delivery."""

    id = fields.IntField(primary_key=True)
    url = fields.CharField(max_length=2048)
    topics = fields.CharField(max_length=1024)  # OrderEventType names, space-separated
    secret = fields.CharField(max_length=128)
    status = fields.CharEnumField(WebhookSubscriptionStatus, max_length=16, default=WebhookSubscriptionStatus.ACTIVE)
    api_key: fields.ForeignKeyNullableRelation["ApiKey"] = fields.ForeignKeyField(  # noqa: F821
        "shop.ApiKey", related_name="webhook_subscriptions", null=True, on_delete=fields.CASCADE
    )
    # The last event number it had been given when it was made or last disabled:
    # events after it and missing from its deliveries are the ones it did not get.
    start_after = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    disabled_at = fields.DatetimeField(null=True)
    disabled_reason = fields.CharField(max_length=32, null=True)  # a SubscriptionDisabledReason

    class Meta:
        table = "webhook_subscription"


class DeliveryStatus(str, Enum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # gave up after the retry window


class WebhookDelivery(Model):
    """One event for one subscription, tried until the endpoint answers 2xx."""

    id = fields.BigIntField(primary_key=True)
    subscription: fields.ForeignKeyRelation[WebhookSubscription] = fields.ForeignKeyField(
        "shop.WebhookSubscription", related_name="deliveries", on_delete=fields.CASCADE
    )
    event: fields.ForeignKeyRelation[OrderEvent] = fields.ForeignKeyField(
        "shop.OrderEvent", related_name="webhook_deliveries", on_delete=fields.CASCADE
    )
    sequence = fields.BigIntField()  # the event's number: deliveries go out in this order
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.PENDING)
    attempt_count = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)
    last_status_code = fields.IntField(null=True)
    last_error = fields.CharField(max_length=500, null=True)
    failing_since = fields.DatetimeField(null=True)  # the first failed attempt since it last went through
    created_at = fields.DatetimeField(auto_now_add=True)
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_delivery"
        unique_together = (("subscription_id", "event_id"),)
        indexes = (("status", "next_attempt_at"), ("subscription_id", "status", "sequence"))


class WebhookAttempt(Model):
    """One POST of a delivery: when, what the endpoint answered, how long it took."""

    id = fields.BigIntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[WebhookDelivery] = fields.ForeignKeyField(
        "shop.WebhookDelivery", related_name="attempts", on_delete=fields.CASCADE
    )
    status_code = fields.IntField(null=True)
    error = fields.CharField(max_length=500, null=True)
    duration_ms = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_attempt"


class EmailKind(str, Enum):
    ORDER_CONFIRMATION = "order_confirmation"
    SHIPPING_CONFIRMATION = "shipping_confirmation"
    REFUND_NOTICE = "refund_notice"


class EmailMessage(Model):
    """An email rendered from an outbox event, sent once, retried until it is."""

    id = fields.BigIntField(primary_key=True)
    event: fields.ForeignKeyRelation[OrderEvent] = fields.ForeignKeyField(
        "shop.OrderEvent", related_name="emails", on_delete=fields.CASCADE
    )
    order: fields.ForeignKeyRelation["Order"] = fields.ForeignKeyField(  # noqa: F821
        "shop.Order", related_name="emails", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(EmailKind, max_length=32)
    recipient = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=200)
    text = fields.TextField()
    html = fields.TextField()
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.PENDING)
    attempt_count = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=500, null=True)
    failing_since = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "email_message"
        unique_together = (("event_id", "kind"),)
        indexes = (("status", "next_attempt_at"),)
