"""Stripe webhooks: verify the `Stripe-Signature` header and read the event
into plain values (no `stripe` objects leave this package).

Events are not applied here: `commerce` deduplicates them by `event_id` and
moves orders only forward. Stripe retries, duplicates and reorders deliveries;
localstripe never retries and sends only `payment_intent.succeeded`,
`payment_intent.payment_failed` and `customer.*` (DESIGN §5).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import stripe

from payments.gateway import PaymentError, PaymentResult
from payments.stripe_answers import result_from_intent

__all__ = ["DEFAULT_TOLERANCE", "InvalidWebhook", "ListedRefund", "PaymentEvent", "parse_webhook"]

DEFAULT_TOLERANCE = 300  # seconds: older signatures are refused (replays)


class InvalidWebhook(PaymentError):
    """Unsigned, wrongly signed, too old, or not a Stripe event."""


@dataclass(frozen=True)
class ListedRefund:
    """A refund a charge lists (Stripe's API versions before 2022-11-15, and localstripe)."""

    refund_id: str
    amount: int
    status: str | None


@dataclass(frozen=True)
class PaymentEvent:
    event_id: str
    type: str  # Stripe's event type, e.g. "payment_intent.succeeded", "charge.refunded"
    created: int  # Unix seconds
    intent_id: str | None = None  # the PaymentIntent it concerns, if any
    payment: PaymentResult | None = None  # payment_intent.* events: the intent as the event saw it
    amount_refunded: int | None = None  # charge.* events
    refunds: tuple[ListedRefund, ...] = ()  # charge.* events: the refunds the charge lists, if it does
    object_id: str | None = None  # refund and dispute events: the refund's or the dispute's id
    status: str | None = None  # refund and dispute events: Stripe's status of that object
    amount: int | None = None  # refund and dispute events: the object's amount
    reason: str | None = None  # dispute events: Stripe's reason (fraudulent, product_not_received…)


def parse_webhook(
    payload: bytes, signature_header: str | None, secret: str, tolerance: int = DEFAULT_TOLERANCE
) -> PaymentEvent:
    """The event in a webhook request's raw body, once its signature is verified."""
    try:
        stripe.WebhookSignature.verify_header(payload, signature_header, secret, tolerance)
        event = json.loads(payload)
        event_id, event_type, created = str(event["id"]), str(event["type"]), int(event["created"])
        item = event["data"]["object"]
        kind = item.get("object")
    except (stripe.SignatureVerificationError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise InvalidWebhook(f"not a verified Stripe event ({type(error).__name__})") from error
    if kind == "payment_intent":
        return PaymentEvent(event_id, event_type, created, intent_id=item.get("id"), payment=result_from_intent(item))
    if kind == "charge":
        return PaymentEvent(
            event_id, event_type, created,
            intent_id=_id_of(item.get("payment_intent")), amount_refunded=item.get("amount_refunded"),
            refunds=_listed_refunds(item.get("refunds")),
        )
    if kind in ("dispute", "refund"):
        return PaymentEvent(
            event_id, event_type, created, intent_id=_id_of(item.get("payment_intent")),
            object_id=item.get("id"), status=item.get("status"), amount=item.get("amount"),
            reason=item.get("reason") if kind == "dispute" else None,
        )
    return PaymentEvent(event_id, event_type, created)


def _id_of(value: object) -> str | None:
    """An object's id, whether Stripe sent the id or the object expanded."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def _listed_refunds(value: object) -> tuple[ListedRefund, ...]:
    """The refunds in a charge's `refunds` list, those that carry an id and an amount."""
    data = value.get("data") if isinstance(value, dict) else None
    return tuple(
        ListedRefund(item["id"], item["amount"], item.get("status") if isinstance(item.get("status"), str) else None)
        for item in (data if isinstance(data, list) else [])
        if isinstance(item, dict) and isinstance(item.get("id"), str) and type(item.get("amount")) is int
    )
