"""`PaymentGateway` over the official `stripe` SDK's async calls.

Stripe errors are translated into `payments.gateway` results and errors here,
so nothing above this package imports `stripe`. `api_base` points the SDK at an
emulator (localstripe) instead of Stripe. Only the parameters that both Stripe
and localstripe accept are sent (DESIGN §5). The secret key and client secrets
are never logged, repr'd or put into error messages.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import stripe

from payments.gateway import (
    GatewayUnavailable,
    InvalidPaymentToken,
    PaymentDeclined,
    PaymentError,
    PaymentIntentNotFound,
    PaymentMethodRef,
    PaymentOutcome,
    PaymentResult,
    RefundResult,
    SavedCard,
    SetupIntentRef,
    SetupResult,
)
from payments.stripe_answers import CARD_DECLINED, card_brand, card_last4, expiry_part, result_from_intent

__all__ = ["StripeGateway"]

# The SDK logs whole responses at DEBUG, client secrets included: never let it.
logging.getLogger("stripe").setLevel(logging.WARNING)

_TOKEN = re.compile(r"(?:pm|tok)_[A-Za-z0-9_]{1,250}")
_SETUP_INTENT = re.compile(r"seti_[A-Za-z0-9_]{1,250}")
_PAYMENT_METHOD = re.compile(r"pm_[A-Za-z0-9_]{1,250}")
_EXPAND = ["payment_method", "latest_charge"]
# Stripe did not answer, or answered that it failed: the request may or may not have taken effect.
_UNREACHABLE = (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError)


class _FormBodyHTTPXClient(stripe.HTTPXClient):
    """stripe 16.1 hands httpx 0.28 its form body as `data=<str>`, which httpx
    deprecates with a warning (an error under strict warnings, which the SDK then
    reports as a connection error); send the same bytes as `content=`."""

    def _get_request_args_kwargs(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any
    ) -> list[Any]:
        args, kwargs = super()._get_request_args_kwargs(method, url, headers, post_data)
        body = kwargs.pop("data")
        if body:
            kwargs["content"] = body
        return [args, kwargs]


class StripeGateway:
    """Payments on Stripe PaymentIntents; see `payments.gateway.PaymentGateway`."""

    def __init__(
        self,
        secret_key: str,
        api_base: str | None = None,
        timeout: float = 20.0,
        max_network_retries: int = 2,
    ) -> None:
        self._api_base = api_base
        self._timeout = timeout
        self._http = _FormBodyHTTPXClient(timeout=timeout)
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=self._http,
            max_network_retries=max_network_retries,
        )

    def __repr__(self) -> str:  # never the key
        return f"StripeGateway(api_base={self._api_base!r}, timeout={self._timeout})"

    async def aclose(self) -> None:
        """Close the pooled HTTP connections."""
        await self._http.close_async()

    async def prepare_payment_method(self, token: str, *, email: str, idempotency_key: str) -> PaymentMethodRef:
        if not _TOKEN.fullmatch(token):
            raise InvalidPaymentToken("not a Stripe payment token")
        if token.startswith("pm_"):
            return PaymentMethodRef(payment_method=token)
        try:
            customer = await self._client.v1.customers.create_async(
                params={"source": token, "email": email}, options={"idempotency_key": idempotency_key}
            )
        except stripe.CardError as error:
            raise PaymentDeclined(error.user_message or CARD_DECLINED, _decline_code(error)) from error
        except stripe.InvalidRequestError as error:
            raise InvalidPaymentToken(f"Stripe refused the token (code {error.code})") from error
        except stripe.StripeError as error:
            raise _translate(error) from error
        source = customer.to_dict().get("default_source")
        if isinstance(source, Mapping):
            source = source.get("id")
        if not source:
            raise InvalidPaymentToken("the token is not a card")
        return PaymentMethodRef(payment_method=source, customer=customer.id)

    async def create_payment_intent(
        self, *, amount: int, currency: str, method: PaymentMethodRef, order_id: str, idempotency_key: str,
        capture_manually: bool = False,
    ) -> str:
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "payment_method": method.payment_method,
            "payment_method_types": ["card"],
            "metadata": {"order_id": order_id},
        }
        if method.customer:
            params["customer"] = method.customer
        if capture_manually:
            params["capture_method"] = "manual"
        try:
            intent = await self._client.v1.payment_intents.create_async(
                params=params,
                options={"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as error:
            if _is_missing(error) or error.param == "payment_method":
                raise InvalidPaymentToken(f"Stripe does not know the payment method (code {error.code})") from error
            raise _translate(error) from error
        except stripe.StripeError as error:
            raise _translate(error) from error
        return intent.id

    async def confirm_payment_intent(self, intent_id: str, *, idempotency_key: str) -> PaymentResult:
        try:
            intent = await self._client.v1.payment_intents.confirm_async(
                intent_id, params={"expand": _EXPAND}, options={"idempotency_key": idempotency_key}
            )
        except stripe.CardError as error:
            return PaymentResult(
                PaymentOutcome.DECLINED,
                intent_id=intent_id,
                decline_code=_decline_code(error),
                message=error.user_message or CARD_DECLINED,
            )
        except _UNREACHABLE:
            return PaymentResult(PaymentOutcome.UNKNOWN, intent_id=intent_id)
        except stripe.InvalidRequestError as error:
            try:
                return await self._state_after_refusal(intent_id, error)
            except GatewayUnavailable:
                return PaymentResult(PaymentOutcome.UNKNOWN, intent_id=intent_id)
        except stripe.StripeError as error:
            raise _translate(error) from error
        return result_from_intent(intent.to_dict())

    async def retrieve_payment_intent(self, intent_id: str) -> PaymentResult:
        try:
            intent = await self._client.v1.payment_intents.retrieve_async(intent_id, params={"expand": _EXPAND})
        except stripe.InvalidRequestError as error:
            raise (PaymentIntentNotFound(intent_id) if _is_missing(error) else _translate(error)) from error
        except stripe.StripeError as error:
            raise _translate(error) from error
        return result_from_intent(intent.to_dict())

    async def cancel_payment_intent(self, intent_id: str) -> PaymentResult:
        try:
            intent = await self._client.v1.payment_intents.cancel_async(intent_id, params={"expand": _EXPAND})
        except stripe.InvalidRequestError as error:
            return await self._state_after_refusal(intent_id, error)
        except stripe.StripeError as error:
            raise _translate(error) from error
        return result_from_intent(intent.to_dict())

    async def capture_payment_intent(self, intent_id: str, *, amount: int, idempotency_key: str) -> PaymentResult:
        try:
            intent = await self._client.v1.payment_intents.capture_async(
                intent_id, params={"amount_to_capture": amount, "expand": _EXPAND},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as error:
            return await self._state_after_refusal(intent_id, error)  # captured already, voided, expired…
        except stripe.StripeError as error:
            raise _translate(error) from error
        return result_from_intent(intent.to_dict())

    async def refund(self, intent_id: str, *, amount: int, idempotency_key: str) -> RefundResult:
        try:
            refund = await self._client.v1.refunds.create_async(
                params={"payment_intent": intent_id, "amount": amount},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as error:
            raise (PaymentIntentNotFound(intent_id) if _is_missing(error) else _translate(error)) from error
        except stripe.StripeError as error:
            raise _translate(error) from error
        return RefundResult(refund_id=refund.id, amount=refund.amount, status=refund.status or "pending")

    async def create_customer(self, *, email: str, reference: str, idempotency_key: str) -> str:
        try:
            customer = await self._client.v1.customers.create_async(
                params={"email": email, "metadata": {"shopgraph_customer_id": reference}},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise _translate(error) from error
        return customer.id

    async def create_setup_intent(self, *, customer: str, reference: str, idempotency_key: str) -> SetupIntentRef:
        try:
            intent = await self._client.v1.setup_intents.create_async(
                params={"customer": customer, "payment_method_types": ["card"],
                        "metadata": {"shopgraph_customer_id": reference}},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise _translate(error) from error
        return SetupIntentRef(id=intent.id, client_secret=intent.client_secret)

    async def retrieve_setup_intent(self, setup_intent_id: str) -> SetupResult:
        if not _SETUP_INTENT.fullmatch(setup_intent_id):
            raise InvalidPaymentToken("not a SetupIntent id")
        try:
            intent = (await self._client.v1.setup_intents.retrieve_async(setup_intent_id)).to_dict()
        except stripe.InvalidRequestError as error:
            raise (InvalidPaymentToken("Stripe does not know the SetupIntent") if _is_missing(error)
                   else _translate(error)) from error
        except stripe.StripeError as error:
            raise _translate(error) from error
        return SetupResult(id=intent["id"], status=intent.get("status") or "", customer=_id_of(intent.get("customer")),
                           payment_method=_id_of(intent.get("payment_method")))

    async def attach_payment_method(self, payment_method: str, *, customer: str) -> SavedCard:
        """Real Stripe attaches a SetupIntent's card to its customer when the SetupIntent succeeds;
        localstripe does not (DESIGN §5), so the card is attached here unless it already is."""
        if not _PAYMENT_METHOD.fullmatch(payment_method):
            raise InvalidPaymentToken("not a PaymentMethod id")
        methods = self._client.v1.payment_methods
        try:
            method = (await methods.retrieve_async(payment_method)).to_dict()
            owner = _id_of(method.get("customer"))
            if owner is not None and owner != customer:
                raise InvalidPaymentToken("the card belongs to another customer")
            if owner is None:
                method = (await methods.attach_async(payment_method, params={"customer": customer})).to_dict()
        except stripe.CardError as error:
            raise PaymentDeclined(error.user_message or CARD_DECLINED, _decline_code(error)) from error
        except stripe.InvalidRequestError as error:
            raise (InvalidPaymentToken("Stripe does not know the card") if _is_missing(error)
                   else _translate(error)) from error
        except stripe.StripeError as error:
            raise _translate(error) from error
        card = method.get("card") or {}
        if method.get("type") != "card" or card_last4(card) is None or not isinstance(method.get("id"), str):
            raise InvalidPaymentToken("the payment method is not a card")
        return SavedCard(payment_method=method["id"], customer=customer, brand=card_brand(card) or "unknown",
                         last4=card_last4(card), exp_month=expiry_part(card.get("exp_month"), 12),
                         exp_year=expiry_part(card.get("exp_year"), 9999))

    async def detach_payment_method(self, payment_method: str) -> None:
        if not _PAYMENT_METHOD.fullmatch(payment_method):
            raise InvalidPaymentToken("not a PaymentMethod id")
        try:
            await self._client.v1.payment_methods.detach_async(payment_method)
        except stripe.InvalidRequestError as error:
            if _is_missing(error) or error.code == "payment_method_unexpected_state":
                return  # gone, or detached already
            raise _translate(error) from error
        except stripe.StripeError as error:
            raise _translate(error) from error

    async def _state_after_refusal(self, intent_id: str, error: stripe.InvalidRequestError) -> PaymentResult:
        """Stripe refused to move an intent (its state does not allow it: already
        confirmed, succeeded, canceled…); its own record says where it stands."""
        if _is_missing(error):
            raise PaymentIntentNotFound(intent_id) from error
        return await self.retrieve_payment_intent(intent_id)


def _translate(error: stripe.StripeError) -> PaymentError:
    kind = type(error).__name__
    if isinstance(error, _UNREACHABLE):
        return GatewayUnavailable(f"Stripe did not answer ({kind}, HTTP {error.http_status})")
    return PaymentError(f"Stripe refused the request ({kind}, HTTP {error.http_status}, code {error.code})")


def _id_of(value: Any) -> str | None:
    """An object's id whether the API gave it expanded or as a plain id."""
    if isinstance(value, Mapping):
        return value.get("id")
    return value or None


def _is_missing(error: stripe.InvalidRequestError) -> bool:
    return error.http_status == 404 or error.code == "resource_missing"


def _decline_code(error: stripe.CardError) -> str:
    details = error.error
    return (details.decline_code if details else None) or error.code or "card_declined"
