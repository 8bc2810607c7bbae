"""Stripe's answers read into the gateway's plain results: a PaymentIntent's outcome, amounts
and card, and a card's details. Nothing in an answer is trusted for shape: a field that is
not what Stripe documents is read as absent, never as an error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from payments.gateway import PaymentOutcome, PaymentResult

__all__ = ["CARD_DECLINED", "result_from_intent", "card_brand", "card_last4", "expiry_part"]

_OUTCOMES = {
    "succeeded": PaymentOutcome.SUCCEEDED,
    "requires_action": PaymentOutcome.REQUIRES_ACTION,
    "processing": PaymentOutcome.PROCESSING,
    "requires_capture": PaymentOutcome.AUTHORIZED,  # authorised, not charged: never "paid"
    "canceled": PaymentOutcome.CANCELED,
    "requires_payment_method": PaymentOutcome.UNCONFIRMED,
    "requires_confirmation": PaymentOutcome.UNCONFIRMED,
}
CARD_DECLINED = "Your card was declined."
_NOT_AUTHENTICATED = "Your card could not be authenticated. Please try another card."
_NOT_COMPLETED = "Your payment could not be completed. Please try another card."
_SOURCE_BRANDS = {"American Express": "amex", "Diners Club": "diners"}  # card sources say "Visa", PaymentMethods "visa"


def result_from_intent(intent: Mapping[str, Any]) -> PaymentResult:
    """Our view of a PaymentIntent given as a plain dict (from the API or a webhook
    event), `payment_method` and `latest_charge` expanded or not."""
    status = intent.get("status")
    outcome = _OUTCOMES.get(status or "", PaymentOutcome.UNKNOWN)
    error = intent.get("last_payment_error") or {}
    if status == "requires_payment_method" and error:
        outcome = PaymentOutcome.DECLINED
    declined = outcome is PaymentOutcome.DECLINED
    charge = intent.get("latest_charge")
    brand, last4 = _card_of(intent)
    return PaymentResult(
        outcome=outcome,
        intent_id=intent.get("id"),
        amount=intent.get("amount"),
        currency=(intent.get("currency") or "").upper() or None,
        client_secret=intent.get("client_secret") if outcome is PaymentOutcome.REQUIRES_ACTION else None,
        decline_code=(error.get("decline_code") or error.get("code")) if declined else None,
        message=_shopper_message(error) if declined else None,
        card_brand=brand,
        card_last4=last4,
        amount_refunded=(charge.get("amount_refunded") or 0) if isinstance(charge, Mapping) else 0,
        amount_captured=_captured(intent, charge),
        metadata_order_id=(intent.get("metadata") or {}).get("order_id"),
    )


def _captured(intent: Mapping[str, Any], charge: Any) -> int | None:
    """Stripe reports it as `amount_received` (and the charge's `amount_captured`); localstripe does not."""
    if isinstance(intent.get("amount_received"), int) and intent.get("status") == "succeeded":
        return intent["amount_received"]
    if isinstance(charge, Mapping) and isinstance(charge.get("amount_captured"), int) and charge.get("captured"):
        return charge["amount_captured"]
    return None


def _card_of(intent: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Brand and last 4 from whichever shape is at hand: a PaymentMethod (`card`
    nested), a card source (the card itself), or the charge's details (real
    Stripe only; localstripe's charges have none)."""
    method = intent.get("payment_method")
    charge = intent.get("latest_charge")
    candidates: list[Any] = []
    if isinstance(method, Mapping):
        candidates += [method.get("card"), method]
    if isinstance(charge, Mapping):
        candidates.append((charge.get("payment_method_details") or {}).get("card"))
    for card in candidates:
        if isinstance(card, Mapping) and card_last4(card) is not None:
            return card_brand(card), card_last4(card)
    return None, None


def card_last4(card: Mapping[str, Any]) -> str | None:
    """The card's last four digits, when Stripe's answer holds exactly that."""
    last4 = card.get("last4")
    return last4 if isinstance(last4, str) and len(last4) == 4 and last4.isdigit() else None


def card_brand(card: Mapping[str, Any]) -> str | None:
    """The card's brand in PaymentMethod spelling ("visa", "amex"), at most 32 characters."""
    brand = card.get("brand")
    if not isinstance(brand, str) or not brand:
        return None
    return _SOURCE_BRANDS.get(brand, brand.lower())[:32]


def expiry_part(value: Any, most: int) -> int:
    """An expiry month or year from Stripe's answer; 0 when it is not a number in range."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 0 <= number <= most else 0


def _shopper_message(error: Mapping[str, Any]) -> str:
    """Stripe's message where it is written for shoppers (card errors), ours otherwise."""
    if error.get("type") == "card_error" or error.get("code") == "card_declined" or error.get("decline_code"):
        return error.get("message") or CARD_DECLINED
    if error.get("code") == "payment_intent_authentication_failure":
        return _NOT_AUTHENTICATED
    return _NOT_COMPLETED
