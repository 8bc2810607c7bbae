"""Payments: the `PaymentGateway` protocol and its plain result types.

The Stripe implementation lives in `payments.stripe_gateway` (import it where
the app is wired, so only this package ever imports `stripe`).
"""

from payments.gateway import (
    GatewayUnavailable,
    InvalidPaymentToken,
    PaymentDeclined,
    PaymentError,
    PaymentGateway,
    PaymentIntentNotFound,
    PaymentMethodRef,
    PaymentOutcome,
    PaymentResult,
    RefundResult,
)

__all__ = [
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
