"""StripeGateway against a real localstripe, through the real SDK over HTTP."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest
import stripe

from payments import (
    GatewayUnavailable,
    InvalidPaymentToken,
    PaymentDeclined,
    PaymentMethodRef,
    PaymentOutcome,
    PaymentResult,
)
from payments.stripe_gateway import StripeGateway
from payments.stripe_events import InvalidWebhook, PaymentEvent, parse_webhook
from tests.fault_proxy import read_request, write_response
from tests.stripe_emulator import (
    TEST_SECRET_KEY,
    authenticate_3ds,
    create_card_token,
    free_port,
    register_webhook,
)

VISA = "4242424242424242"
DECLINED_AT_CHARGE = "4000000000000341"
DECLINED_WHEN_SAVED = "4000000000000002"
THREE_D_SECURE = "4000002500003155"


def key() -> str:
    return uuid.uuid4().hex


async def prepared(gateway: StripeGateway, base_url: str, card_or_pm: str) -> PaymentMethodRef:
    token = card_or_pm if card_or_pm.startswith("pm_") else await create_card_token(base_url, card_or_pm)
    return await gateway.prepare_payment_method(token, email="shopper@example.com", idempotency_key=key())


async def pay(
    gateway: StripeGateway, base_url: str, card_or_pm: str, amount: int = 1999, currency: str = "USD"
) -> PaymentResult:
    """Prepare, create and confirm, as the checkout saga does."""
    method = await prepared(gateway, base_url, card_or_pm)
    intent_id = await gateway.create_payment_intent(
        amount=amount, currency=currency, method=method, order_id="order-1", idempotency_key=key()
    )
    return await gateway.confirm_payment_intent(intent_id, idempotency_key=key())


async def test_a_payment_method_id_is_used_directly_and_succeeds(stripe_gateway: StripeGateway) -> None:
    method = await stripe_gateway.prepare_payment_method("pm_card_visa", email="a@example.com", idempotency_key=key())
    assert method == PaymentMethodRef(payment_method="pm_card_visa", customer=None)

    intent_id = await stripe_gateway.create_payment_intent(
        amount=1999, currency="USD", method=method, order_id="order-42", idempotency_key=key()
    )
    result = await stripe_gateway.confirm_payment_intent(intent_id, idempotency_key=key())

    assert result == PaymentResult(
        PaymentOutcome.SUCCEEDED,
        intent_id=intent_id,
        amount=1999,
        currency="USD",
        card_brand="visa",
        card_last4="4242",
        metadata_order_id="order-42",
    )


async def test_a_card_token_becomes_a_customers_card_and_succeeds(
    stripe_gateway: StripeGateway, localstripe_url: str
) -> None:
    method = await prepared(stripe_gateway, localstripe_url, VISA)
    assert method.payment_method.startswith("card_")
    assert method.customer is not None and method.customer.startswith("cus_")

    result = await pay(stripe_gateway, localstripe_url, VISA, amount=500, currency="EUR")

    assert result.outcome is PaymentOutcome.SUCCEEDED
    assert (result.amount, result.currency) == (500, "EUR")
    # A card source says "Visa" where a PaymentMethod says "visa": one spelling for us.
    assert (result.card_brand, result.card_last4) == ("visa", "4242")


@pytest.mark.parametrize("card_or_pm", [DECLINED_AT_CHARGE, "pm_card_chargeCustomerFail"])
async def test_a_card_declined_at_charge_is_declined_with_a_message(
    stripe_gateway: StripeGateway, localstripe_url: str, card_or_pm: str
) -> None:
    result = await pay(stripe_gateway, localstripe_url, card_or_pm)

    assert result.outcome is PaymentOutcome.DECLINED
    assert result.decline_code == "card_declined"  # localstripe gives no decline_code of its own
    assert result.message == "Your card was declined."
    assert result.intent_id is not None
    later = await stripe_gateway.retrieve_payment_intent(result.intent_id)
    assert (later.outcome, later.decline_code, later.message) == (
        PaymentOutcome.DECLINED, "card_declined", "Your card was declined."
    )


async def test_a_card_declined_when_saved_to_the_customer_is_declined_before_any_intent(
    stripe_gateway: StripeGateway, localstripe_url: str
) -> None:
    with pytest.raises(PaymentDeclined) as declined:
        await prepared(stripe_gateway, localstripe_url, DECLINED_WHEN_SAVED)
    assert (declined.value.decline_code, declined.value.message) == ("card_declined", "Your card was declined.")


async def test_3d_secure_completed_succeeds(stripe_gateway: StripeGateway, localstripe_url: str) -> None:
    result = await pay(stripe_gateway, localstripe_url, THREE_D_SECURE)
    assert result.outcome is PaymentOutcome.REQUIRES_ACTION
    assert result.intent_id is not None and result.client_secret is not None
    assert result.client_secret.startswith(f"{result.intent_id}_secret_")

    await authenticate_3ds(localstripe_url, result.intent_id, result.client_secret, success=True)

    later = await stripe_gateway.retrieve_payment_intent(result.intent_id)
    assert later.outcome is PaymentOutcome.SUCCEEDED
    assert (later.card_last4, later.client_secret) == ("3155", None)


async def test_3d_secure_failed_is_declined(stripe_gateway: StripeGateway, localstripe_url: str) -> None:
    result = await pay(stripe_gateway, localstripe_url, THREE_D_SECURE)
    assert result.intent_id is not None and result.client_secret is not None

    await authenticate_3ds(localstripe_url, result.intent_id, result.client_secret, success=False)

    later = await stripe_gateway.retrieve_payment_intent(result.intent_id)
    assert later.outcome is PaymentOutcome.DECLINED
    assert later.decline_code == "payment_intent_authentication_failure"
    assert later.message == "Your card could not be authenticated. Please try another card."
    assert later.card_last4 is None  # the emulator, like Stripe, detaches the failed method


@pytest.mark.parametrize(
    "token", ["foo", "", "pm_", "tok_", "src_abc123", "tok_abc; DROP", "tok_é", "pm_card visa", "tok_" + "a" * 300]
)
async def test_a_malformed_token_is_refused_without_asking_stripe(token: str) -> None:
    # A gateway that cannot reach anything: asking Stripe would be GatewayUnavailable.
    gateway = StripeGateway(TEST_SECRET_KEY, api_base=f"http://127.0.0.1:{free_port()}", max_network_retries=0)
    try:
        with pytest.raises(InvalidPaymentToken):
            await gateway.prepare_payment_method(token, email="a@example.com", idempotency_key=key())
    finally:
        await gateway.aclose()


async def test_a_token_stripe_does_not_know_is_invalid(stripe_gateway: StripeGateway) -> None:
    with pytest.raises(InvalidPaymentToken):
        await stripe_gateway.prepare_payment_method("tok_doesnotexist", email="a@example.com", idempotency_key=key())


async def test_a_payment_method_stripe_does_not_know_is_invalid_when_the_intent_is_made(
    stripe_gateway: StripeGateway,
) -> None:
    method = await stripe_gateway.prepare_payment_method(
        "pm_doesnotexist", email="a@example.com", idempotency_key=key()
    )
    with pytest.raises(InvalidPaymentToken):
        await stripe_gateway.create_payment_intent(
            amount=100, currency="USD", method=method, order_id="o", idempotency_key=key()
        )


async def test_an_intent_made_but_not_confirmed_is_unconfirmed_and_names_its_order(
    stripe_gateway: StripeGateway, localstripe_url: str
) -> None:
    method = await prepared(stripe_gateway, localstripe_url, VISA)
    intent_id = await stripe_gateway.create_payment_intent(
        amount=1250, currency="usd", method=method, order_id="order-7", idempotency_key=key()
    )

    result = await stripe_gateway.retrieve_payment_intent(intent_id)

    assert result.outcome is PaymentOutcome.UNCONFIRMED
    assert (result.amount, result.currency, result.metadata_order_id) == (1250, "USD", "order-7")
    assert (result.card_brand, result.card_last4) == ("visa", "4242")


async def test_cancelling_an_unconfirmed_intent_cancels_it(stripe_gateway: StripeGateway, localstripe_url: str) -> None:
    method = await prepared(stripe_gateway, localstripe_url, VISA)
    intent_id = await stripe_gateway.create_payment_intent(
        amount=800, currency="USD", method=method, order_id="order-8", idempotency_key=key()
    )

    assert (await stripe_gateway.cancel_payment_intent(intent_id)).outcome is PaymentOutcome.CANCELED
    assert (await stripe_gateway.retrieve_payment_intent(intent_id)).outcome is PaymentOutcome.CANCELED


async def test_cancelling_or_confirming_again_a_succeeded_intent_answers_that_it_succeeded(
    stripe_gateway: StripeGateway, localstripe_url: str
) -> None:
    paid = await pay(stripe_gateway, localstripe_url, "pm_card_visa")
    assert paid.intent_id is not None

    # Stripe refuses both (unexpected state); the gateway answers from Stripe's record.
    assert (await stripe_gateway.cancel_payment_intent(paid.intent_id)).outcome is PaymentOutcome.SUCCEEDED
    again = await stripe_gateway.confirm_payment_intent(paid.intent_id, idempotency_key=key())
    assert again == paid


async def test_a_partial_refund_shows_on_the_intent(stripe_gateway: StripeGateway, localstripe_url: str) -> None:
    paid = await pay(stripe_gateway, localstripe_url, VISA, amount=3000)
    assert paid.intent_id is not None

    refund = await stripe_gateway.refund(paid.intent_id, amount=1000, idempotency_key=key())

    assert refund.refund_id.startswith("re_") and (refund.amount, refund.status) == (1000, "succeeded")
    later = await stripe_gateway.retrieve_payment_intent(paid.intent_id)
    assert (later.outcome, later.amount_refunded) == (PaymentOutcome.SUCCEEDED, 1000)


async def test_an_unreachable_stripe_is_unavailable_and_a_confirm_unknown_quickly() -> None:
    gateway = StripeGateway(
        TEST_SECRET_KEY, api_base=f"http://127.0.0.1:{free_port()}", timeout=1.0, max_network_retries=0
    )
    method = PaymentMethodRef("pm_card_visa")
    started = time.monotonic()
    try:
        with pytest.raises(GatewayUnavailable):
            await gateway.prepare_payment_method("tok_abc", email="a@example.com", idempotency_key=key())
        with pytest.raises(GatewayUnavailable):
            await gateway.create_payment_intent(
                amount=100, currency="USD", method=method, order_id="o", idempotency_key=key()
            )
        confirmed = await gateway.confirm_payment_intent("pi_123", idempotency_key=key())
        with pytest.raises(GatewayUnavailable):
            await gateway.retrieve_payment_intent("pi_123")
    finally:
        await gateway.aclose()

    assert confirmed == PaymentResult(PaymentOutcome.UNKNOWN, intent_id="pi_123")
    assert time.monotonic() - started < 5


async def test_the_gateway_never_shows_its_key() -> None:
    gateway = StripeGateway("sk_test_secret123", api_base="http://127.0.0.1:1")
    assert "secret123" not in repr(gateway)
    await gateway.aclose()


# Webhooks (payments.stripe_events): signed payloads, and a real delivery from localstripe.

WEBHOOK_SECRET = "whsec_shopgraph_test"


def signed(event: dict[str, object], secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, str]:
    payload = json.dumps(event)
    return payload.encode(), stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)


def test_a_signed_payment_intent_event_is_read_into_a_payment_result() -> None:
    intent = {"id": "pi_1", "object": "payment_intent", "status": "succeeded", "amount": 700, "currency": "usd",
              "metadata": {"order_id": "order-9"}, "payment_method": "pm_1", "latest_charge": "ch_1"}
    body, header = signed({"id": "evt_1", "type": "payment_intent.succeeded", "created": 1700000000,
                           "data": {"object": intent}})

    event = parse_webhook(body, header, WEBHOOK_SECRET)

    assert event == PaymentEvent(
        "evt_1", "payment_intent.succeeded", 1700000000, intent_id="pi_1",
        payment=PaymentResult(PaymentOutcome.SUCCEEDED, intent_id="pi_1", amount=700, currency="USD",
                              metadata_order_id="order-9"),
    )


def test_a_signed_refund_event_names_its_intent_and_the_amount_refunded() -> None:
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "amount": 700, "amount_refunded": 200}
    body, header = signed({"id": "evt_2", "type": "charge.refunded", "created": 1, "data": {"object": charge}})

    assert parse_webhook(body, header, WEBHOOK_SECRET) == PaymentEvent(
        "evt_2", "charge.refunded", 1, intent_id="pi_1", amount_refunded=200
    )


@pytest.mark.parametrize("forgery", ["wrong secret", "no header", "stale", "tampered", "not an event"])
def test_an_unverified_webhook_is_refused(forgery: str) -> None:
    event = {"id": "evt_3", "type": "payment_intent.succeeded", "created": 1,
             "data": {"object": {"id": "pi_1", "object": "payment_intent", "status": "succeeded"}}}
    body, header = signed(event, secret="whsec_other" if forgery == "wrong secret" else WEBHOOK_SECRET,
                          timestamp=int(time.time()) - 3600 if forgery == "stale" else None)
    if forgery == "tampered":
        body = body.replace(b"succeeded", b"cancelled", 1)
    if forgery == "not an event":
        body, header = signed({"hello": "world"})

    with pytest.raises(InvalidWebhook):
        parse_webhook(body, None if forgery == "no header" else header, WEBHOOK_SECRET)


async def test_localstripe_delivers_a_signed_succeeded_event(
    stripe_gateway: StripeGateway, localstripe_url: str
) -> None:
    deliveries: asyncio.Queue[tuple[bytes, str | None]] = asyncio.Queue()

    async def receive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await read_request(reader)
        if request is not None:
            signature = next((v for k, v in request.headers if k.lower() == "stripe-signature"), None)
            deliveries.put_nowait((request.body, signature))
            await write_response(writer, 200, [], b"")
        writer.close()

    server = await asyncio.start_server(receive, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    hook = "payments-tests"
    await register_webhook(localstripe_url, f"http://127.0.0.1:{port}/", WEBHOOK_SECRET,
                           events=["payment_intent.succeeded"], webhook_id=hook)
    try:
        paid = await pay(stripe_gateway, localstripe_url, "pm_card_visa")
        async with asyncio.timeout(10):  # localstripe waits ~1 s before it sends
            while True:
                event = parse_webhook(*await deliveries.get(), WEBHOOK_SECRET)
                if event.intent_id == paid.intent_id:
                    break
    finally:
        # localstripe cannot forget a webhook: leave ours listening to no event at all.
        await register_webhook(localstripe_url, f"http://127.0.0.1:{port}/", WEBHOOK_SECRET,
                               events=["shopgraph.none"], webhook_id=hook)
        server.close()
        await server.wait_closed()

    assert event.type == "payment_intent.succeeded" and event.event_id.startswith("evt_")
    assert event.payment is not None
    assert (event.payment.outcome, event.payment.amount, event.payment.metadata_order_id) == (
        PaymentOutcome.SUCCEEDED, 1999, "order-1"
    )
