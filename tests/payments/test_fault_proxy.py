"""A confirm whose answer is lost (500, dropped connection, timeout) is UNKNOWN,
never a second charge; Stripe's record then tells what happened.

localstripe ignores idempotency keys (two requests with one key make two
objects), so the SDK's own retries are not saved by the key here the way real
Stripe would replay the first answer. What saves them on the emulator is its
state machine: a second confirm of an intent that is no longer
`requires_confirmation` is refused (400), and the gateway then answers from the
intent's record. These tests count the confirms that reached localstripe and
the charges it made, so both behaviours are pinned.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from payments import GatewayUnavailable, PaymentMethodRef, PaymentOutcome, PaymentResult
from payments.stripe_gateway import StripeGateway
from tests.fault_proxy import Fault, FaultProxy
from tests.stripe_emulator import TEST_SECRET_KEY, charges_of_customer, create_card_token

CONFIRM = r"/v1/payment_intents/pi_\w+/confirm"
VISA = "4242424242424242"

GatewayFactory = Callable[..., StripeGateway]  # (timeout=20.0, max_network_retries=2)


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
async def gateway_via(fault_proxy: FaultProxy) -> AsyncIterator[GatewayFactory]:
    """Makes gateways that talk to localstripe through the proxy (closed at teardown)."""
    made: list[StripeGateway] = []

    def make(timeout: float = 20.0, max_network_retries: int = 2) -> StripeGateway:
        gateway = StripeGateway(TEST_SECRET_KEY, fault_proxy.url, timeout, max_network_retries)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        await gateway.aclose()


async def unconfirmed_intent(gateway: StripeGateway, localstripe_url: str) -> tuple[str, PaymentMethodRef]:
    token = await create_card_token(localstripe_url, VISA)
    method = await gateway.prepare_payment_method(token, email="shopper@example.com", idempotency_key=key())
    intent_id = await gateway.create_payment_intent(
        amount=2500, currency="USD", method=method, order_id="order-1", idempotency_key=key()
    )
    return intent_id, method


async def assert_charged_once(gateway: StripeGateway, localstripe_url: str, intent_id: str, customer: str) -> None:
    assert (await gateway.retrieve_payment_intent(intent_id)).outcome is PaymentOutcome.SUCCEEDED
    charges = await charges_of_customer(localstripe_url, customer)
    assert [(c["payment_intent"], c["amount"], c["status"]) for c in charges] == [(intent_id, 2500, "succeeded")]


async def test_traffic_without_faults_passes_through(
    fault_proxy: FaultProxy, gateway_via: GatewayFactory, localstripe_url: str
) -> None:
    gateway = gateway_via()
    intent_id, _ = await unconfirmed_intent(gateway, localstripe_url)

    result = await gateway.confirm_payment_intent(intent_id, idempotency_key=key())

    assert (result.outcome, result.card_last4) == (PaymentOutcome.SUCCEEDED, "4242")
    assert [(s.method, s.forwarded, s.fault) for s in fault_proxy.seen] == [
        ("POST", True, None), ("POST", True, None), ("POST", True, None)
    ]


@pytest.mark.parametrize("fault", [Fault.ERROR_500, Fault.DROP])
async def test_a_confirm_whose_answer_is_lost_is_unknown_and_charged_once(
    fault_proxy: FaultProxy, gateway_via: GatewayFactory, localstripe_url: str, fault: Fault
) -> None:
    gateway = gateway_via(max_network_retries=0)
    intent_id, method = await unconfirmed_intent(gateway, localstripe_url)
    fault_proxy.arm("POST", CONFIRM, fault)

    result = await gateway.confirm_payment_intent(intent_id, idempotency_key=key())

    assert result == PaymentResult(PaymentOutcome.UNKNOWN, intent_id=intent_id)
    [confirm] = fault_proxy.requests_to("POST", CONFIRM)
    assert (confirm.upstream_status, confirm.fault) == (200, fault)  # it happened; only the answer was lost
    assert method.customer is not None
    await assert_charged_once(gateway, localstripe_url, intent_id, method.customer)


async def test_a_confirm_answered_too_late_is_unknown_and_charged_once(
    fault_proxy: FaultProxy, gateway_via: GatewayFactory, localstripe_url: str
) -> None:
    gateway = gateway_via(timeout=0.5, max_network_retries=0)
    intent_id, method = await unconfirmed_intent(gateway, localstripe_url)
    fault_proxy.arm("POST", CONFIRM, Fault.DELAY, delay=2.0)

    result = await gateway.confirm_payment_intent(intent_id, idempotency_key=key())

    assert result == PaymentResult(PaymentOutcome.UNKNOWN, intent_id=intent_id)
    assert method.customer is not None
    await assert_charged_once(gateway, localstripe_url, intent_id, method.customer)


@pytest.mark.parametrize("fault", [Fault.ERROR_500, Fault.DROP])
async def test_the_sdk_retries_a_lost_confirm_and_the_answer_is_the_intents_record(
    fault_proxy: FaultProxy, gateway_via: GatewayFactory, localstripe_url: str, fault: Fault
) -> None:
    gateway = gateway_via(max_network_retries=2)
    intent_id, method = await unconfirmed_intent(gateway, localstripe_url)
    fault_proxy.arm("POST", CONFIRM, fault)

    result = await gateway.confirm_payment_intent(intent_id, idempotency_key=key())

    # The SDK sent the confirm again with the same Idempotency-Key. Real Stripe
    # would replay the first answer; localstripe refuses it (400: no longer
    # requires_confirmation), and the gateway reads the intent instead.
    confirms = fault_proxy.requests_to("POST", CONFIRM)
    assert [(c.upstream_status, c.fault) for c in confirms] == [(200, fault), (400, None)]
    assert (result.outcome, result.intent_id, result.amount) == (PaymentOutcome.SUCCEEDED, intent_id, 2500)
    assert method.customer is not None
    await assert_charged_once(gateway, localstripe_url, intent_id, method.customer)


async def test_a_confirm_that_never_arrived_leaves_the_intent_unconfirmed(
    fault_proxy: FaultProxy, gateway_via: GatewayFactory, localstripe_url: str
) -> None:
    gateway = gateway_via(max_network_retries=0)
    intent_id, method = await unconfirmed_intent(gateway, localstripe_url)
    fault_proxy.arm("POST", CONFIRM, Fault.ERROR_500, forward=False)

    assert (await gateway.confirm_payment_intent(intent_id, idempotency_key=key())).outcome is PaymentOutcome.UNKNOWN
    assert (await gateway.retrieve_payment_intent(intent_id)).outcome is PaymentOutcome.UNCONFIRMED

    # The reconciler may confirm it then, once.
    assert (await gateway.confirm_payment_intent(intent_id, idempotency_key=key())).outcome is PaymentOutcome.SUCCEEDED
    assert method.customer is not None
    await assert_charged_once(gateway, localstripe_url, intent_id, method.customer)


async def test_a_failing_stripe_makes_creating_an_intent_unavailable(
    fault_proxy: FaultProxy, gateway_via: GatewayFactory
) -> None:
    gateway = gateway_via(max_network_retries=1)
    fault_proxy.arm("POST", "/v1/payment_intents", Fault.ERROR_500, forward=False, times=2)

    with pytest.raises(GatewayUnavailable):
        await gateway.create_payment_intent(
            amount=100, currency="USD", method=PaymentMethodRef("pm_card_visa"), order_id="o", idempotency_key=key()
        )
    assert len(fault_proxy.requests_to("POST", "/v1/payment_intents")) == 2  # the SDK retried once
