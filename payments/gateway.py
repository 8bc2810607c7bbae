"""What checkout asks of a payment provider, in plain types.

Nothing here knows Stripe: `commerce` codes against `PaymentGateway` and these
results, and `payments.stripe_gateway` translates the SDK into them at its
boundary. Amounts are integer minor units; currencies are upper-case ISO codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol

__all__ = [
    "SavedCard",
    "SetupIntentRef",
    "SetupResult",
    "GatewayUnavailable",
    "InvalidPaymentToken",
    "PaymentDeclined",
    "PaymentError",
    "PaymentGateway",
    "PaymentIntentNotFound",
    "PaymentMethodRef",
    "PaymentOutcome",
    "PaymentResult",
    "RefundResult",
]


class PaymentOutcome(Enum):
    """Where a PaymentIntent stands, as far as checkout cares."""

    SUCCEEDED = "succeeded"
    REQUIRES_ACTION = "requires_action"  # 3-D Secure: hand the client secret to the browser
    DECLINED = "declined"
    PROCESSING = "processing"
    AUTHORIZED = "authorized"  # manual capture: the card is held for the amount, nothing taken yet
    CANCELED = "canceled"
    UNCONFIRMED = "unconfirmed"  # exists, never confirmed (or confirmable again)
    UNKNOWN = "unknown"  # we could not learn the outcome: ask again later


@dataclass(frozen=True)
class PaymentMethodRef:
    """What a browser's payment token became: something a PaymentIntent can charge."""

    payment_method: str
    customer: str | None = None


@dataclass(frozen=True)
class PaymentResult:
    outcome: PaymentOutcome
    intent_id: str | None = None
    amount: int | None = None
    currency: str | None = None
    client_secret: str | None = None
    decline_code: str | None = None
    message: str | None = None  # safe to show a shopper
    card_brand: str | None = None
    card_last4: str | None = None
    amount_refunded: int = 0  # the charge's running total; after a partial capture it includes the released rest
    amount_captured: int | None = None  # what the charge took, where the provider says (None: not reported)
    metadata_order_id: str | None = None


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    amount: int
    status: str  # Stripe's refund status: succeeded, pending, failed, canceled…


@dataclass(frozen=True)
class SetupIntentRef:
    """A SetupIntent made for a customer: the browser confirms it with `client_secret` (Stripe.js)."""

    id: str
    client_secret: str


@dataclass(frozen=True)
class SetupResult:
    """Where a SetupIntent stands: `status` is Stripe's (`succeeded`, `requires_action`…)."""

    id: str
    status: str
    customer: str | None
    payment_method: str | None


@dataclass(frozen=True)
class SavedCard:
    """A card PaymentMethod attached to a customer, as a wallet lists it."""

    payment_method: str
    customer: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


class PaymentError(Exception):
    """Base of every error the gateway raises; nothing above `payments` sees SDK errors."""


class InvalidPaymentToken(PaymentError):
    """The token is malformed, or the provider does not know it."""


class PaymentDeclined(PaymentError):
    """The card was declined before any PaymentIntent existed (when saved to a customer)."""

    def __init__(self, message: str, decline_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.decline_code = decline_code


class GatewayUnavailable(PaymentError):
    """The provider could not be reached or failed (timeout, 5xx, rate limit)."""


class PaymentIntentNotFound(PaymentError):
    """The provider has no PaymentIntent with this id (Stripe's `resource_missing`): it was
    never made there, or belongs to another account. Asking again will not help."""

    def __init__(self, intent_id: str) -> None:
        super().__init__(f"the payment provider has no PaymentIntent {intent_id}")
        self.intent_id = intent_id


class PaymentGateway(Protocol):
    """The calls the checkout saga makes, in its order.

    `prepare_payment_method` raises `InvalidPaymentToken` or `PaymentDeclined`;
    every call raises `GatewayUnavailable` when the provider cannot answer,
    except `confirm_payment_intent`, which answers `UNKNOWN` instead because the
    confirmation may have happened. A call about a PaymentIntent the provider
    does not know raises `PaymentIntentNotFound`. Other `PaymentError`s are our
    own bugs.
    """

    async def prepare_payment_method(
        self, token: str, *, email: str, idempotency_key: str
    ) -> PaymentMethodRef:
        """Turn a browser token (`pm_…` or `tok_…`) into something chargeable."""
        ...

    async def create_payment_intent(
        self,
        *,
        amount: int,
        currency: str,
        method: PaymentMethodRef,
        order_id: str,
        idempotency_key: str,
        capture_manually: bool = False,
    ) -> str:
        """Create an unconfirmed PaymentIntent naming the order; return its id.

        `capture_manually`: confirming only authorises; `capture_payment_intent` takes the money."""
        ...

    async def confirm_payment_intent(self, intent_id: str, *, idempotency_key: str) -> PaymentResult:
        """Confirm (charge) a stored PaymentIntent."""
        ...

    async def retrieve_payment_intent(self, intent_id: str) -> PaymentResult:
        """The PaymentIntent's current state, as the provider records it."""
        ...

    async def cancel_payment_intent(self, intent_id: str) -> PaymentResult:
        """Cancel a PaymentIntent that has not succeeded."""
        ...

    async def capture_payment_intent(self, intent_id: str, *, amount: int, idempotency_key: str) -> PaymentResult:
        """Take `amount` (at most what was authorised) of an authorised PaymentIntent; the rest is released."""
        ...

    async def refund(self, intent_id: str, *, amount: int, idempotency_key: str) -> RefundResult:
        """Refund `amount` of a succeeded PaymentIntent."""
        ...

    # The buyer's wallet (DESIGN §13). `InvalidPaymentToken`: the provider does not know the id.

    async def create_customer(self, *, email: str, reference: str, idempotency_key: str) -> str:
        """A customer at the provider for one of ours (`reference` names it in its metadata); its id."""
        ...

    async def create_setup_intent(self, *, customer: str, reference: str, idempotency_key: str) -> SetupIntentRef:
        """A SetupIntent that saves a card to `customer` once the browser confirms it."""
        ...

    async def retrieve_setup_intent(self, setup_intent_id: str) -> SetupResult:
        """The SetupIntent as the provider records it."""
        ...

    async def attach_payment_method(self, payment_method: str, *, customer: str) -> SavedCard:
        """The card, attached to `customer` (already attached to it: nothing changes). Raises
        `PaymentDeclined` when the bank refuses it, `InvalidPaymentToken` when it is not a
        card or belongs to another customer."""
        ...

    async def detach_payment_method(self, payment_method: str) -> None:
        """The card is no longer the customer's at the provider (detached already: nothing changes)."""
        ...
