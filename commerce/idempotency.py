"""Idempotency keys: the clients' keys (checkout, refunds, capture) and the keys shopgraph makes.

A client's key is 1 to 255 characters (`check_client_key`); one used for
another cart, refund or capture is IDEMPOTENCY_KEY_REUSED (`key_reused`).
The field the error names is the caller's: `["input", "idempotencyKey"]` for
`checkout`, `["idempotencyKey"]` for `refundOrder` and `orderCapture`.

The keys sent to Stripe are made here from our own ids, one function per
request, so a retry (ours, or the reconciler's after a crash) sends the same
key and Stripe answers it once. Their text must never change: a key made by
the previous release has to match the one the next release makes for the
same request.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from commerce.errors import DomainError, UserErrorCode as Code

__all__ = [
    "MAX_KEY_LENGTH", "check_client_key", "key_reused",
    "payment_intent_key", "confirm_key", "checkout_customer_key", "capture_key", "refund_key",
    "wallet_customer_key", "setup_intent_key",
    "refund_record_key", "late_refund_key",
]

MAX_KEY_LENGTH = 255


def check_client_key(key: str | None, field: Sequence[str]) -> None:
    """INVALID at `field` unless `key` is None (none sent) or 1 to 255 characters."""
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise DomainError(Code.INVALID, "The idempotency key must be 1 to 255 characters.", list(field))


def key_reused(used_for: str, field: Sequence[str]) -> DomainError:
    """The answer to a key already used for another `used_for` ("cart", "refund", "capture")."""
    return DomainError(Code.IDEMPOTENCY_KEY_REUSED, f"This idempotency key was used for another {used_for}.",
                       list(field))


# Stripe's keys, made from our ids.

def payment_intent_key(order_id: str) -> str:
    """Creating the order's PaymentIntent (checkout step 2)."""
    return f"shopgraph-pi-{order_id}"


def confirm_key(order_id: str) -> str:
    """Confirming the order's PaymentIntent (checkout step 3)."""
    return f"shopgraph-confirm-{order_id}"


def checkout_customer_key(client_key: str | None) -> str:
    """Turning the shopper's card token into a customer's card: under the checkout's own key,
    or a fresh one when the client sent none."""
    return f"shopgraph-customer-{client_key or uuid.uuid4().hex}"


def wallet_customer_key(customer_id: int, wallet_created_at: datetime) -> str:
    """Making the signed-in customer's one Stripe Customer for their wallet: the key names the
    wallet, not just the customer's number, which another shop on the same Stripe account (or
    this one, restored from a backup) may give to someone else."""
    return f"shopgraph-wallet-customer-{customer_id}-{wallet_created_at.timestamp():.6f}"


def setup_intent_key() -> str:
    """A SetupIntent to save a card: a fresh key, since each asks for a new one."""
    return f"shopgraph-seti-{uuid.uuid4().hex}"


def capture_key(payment_id: int) -> str:
    """Capturing the payment (`orderCapture`)."""
    return f"shopgraph-capture-{payment_id}"


def refund_key(refund_id: int) -> str:
    """Asking Stripe for one of our refunds."""
    return f"shopgraph-refund-{refund_id}"


# Our refunds' own keys (`Refund.idempotency_key`, unique), when no client sent one.

def refund_record_key() -> str:
    """A refund asked for without a key: a fresh one, so it replays nothing."""
    return f"shopgraph-{uuid.uuid4().hex}"


def late_refund_key(order_id: str, attempt: int | None = None) -> str:
    """The automatic refund of a late payment whose stock was sold; `attempt` (2, 3, …)
    for a new one after the last failed."""
    return f"shopgraph-late-{order_id}" if attempt is None else f"shopgraph-late-{order_id}-{attempt}"
