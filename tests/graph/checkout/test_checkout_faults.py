"""Checkout when the network or the process fails part-way (invariants I1, I2, I4).

localstripe cannot lose a response or crash our process, so these tests add
the faults themselves: a fault-injecting proxy in front of localstripe for the
network, and a gateway that stops the process ("crashes") at a step of the
saga, after or before the real call to Stripe. The reconciler then has to
bring every order to the state Stripe agrees with.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest

from commerce.orders.reconcile import reconcile
from models import Cart, CartStatus, Order, OrderStatus, Payment, Product
from payments.stripe_gateway import StripeGateway
from shopgraph.app import create_app
from tests.conftest import GraphQLClient
from tests.fault_proxy import Fault
from tests.shop import stock_of, cart_with, checkout, intents_of_order, key_of, make_product
from tests.stripe_emulator import TEST_SECRET_KEY

CONFIRM_PATH = r"/v1/payment_intents/[^/]+/confirm"


class SimulatedCrash(Exception):
    """The process dies here: nothing after this point of the saga runs."""


class CrashingGateway(StripeGateway):
    """The real gateway, except that the process dies at `crash_at`."""

    crash_at: str = ""

    async def create_payment_intent(self, **kwargs):
        if self.crash_at == "before create":
            raise SimulatedCrash(self.crash_at)
        intent_id = await super().create_payment_intent(**kwargs)
        if self.crash_at == "after create":
            raise SimulatedCrash(self.crash_at)
        return intent_id

    async def confirm_payment_intent(self, intent_id, **kwargs):
        if self.crash_at == "before confirm":
            raise SimulatedCrash(self.crash_at)
        result = await super().confirm_payment_intent(intent_id, **kwargs)
        if self.crash_at == "after confirm":
            raise SimulatedCrash(self.crash_at)
        return result


async def _client_with(settings, gateway) -> tuple[httpx.AsyncClient, GraphQLClient]:
    app = create_app(settings, gateway=gateway, manage_db=False)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shopgraph.test")
    return http, GraphQLClient(http)


@pytest.mark.parametrize(
    "crash_at, settles_as, intent_status",
    [
        ("before create", OrderStatus.CANCELLED, None),  # order made, no PaymentIntent
        ("after create", OrderStatus.CANCELLED, "requires_confirmation"),  # never stored, so never confirmed
        ("before confirm", OrderStatus.CANCELLED, "canceled"),  # stored, never confirmed: cancelled at Stripe
        ("after confirm", OrderStatus.PAID, "succeeded"),  # charged, outcome never applied
    ],
)
async def test_a_crash_at_any_step_is_settled_by_the_reconciler(settings, localstripe_url, crash_at, settles_as, intent_status):
    gateway = CrashingGateway(TEST_SECRET_KEY, api_base=localstripe_url)
    http, gql = await _client_with(settings, gateway)
    try:
        product = await make_product(1500, 4)
        cart_id = await cart_with(gql, (product, 2))
        gateway.crash_at = crash_at
        response = await gql.post(*_checkout_body(cart_id))
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR" and "requestId" in error["extensions"]
        assert "SimulatedCrash" not in response.text

        order = await Order.get(cart_id=key_of(cart_id))
        assert order.status is OrderStatus.PENDING_PAYMENT
        assert await stock_of(product) == 2  # reserved while undecided

        gateway.crash_at = ""
        young = await reconcile(gateway)  # within the grace period nothing is touched
        assert order.number not in {int(n) for n in young.settled}
        report = await reconcile(gateway, grace=timedelta(0))
        assert report.settled[str(order.number)] == settles_as.name

        order = await Order.get(id=order.id)
        assert order.status is settles_as
        intents = await intents_of_order(localstripe_url, order.id)
        assert [i["status"] for i in intents] == ([intent_status] if intent_status else [])
        payment = await Payment.get_or_none(order_id=order.id)
        if settles_as is OrderStatus.PAID:
            assert payment.intent_id == intents[0]["id"] and payment.status.name == "SUCCEEDED"
            assert await stock_of(product) == 2
            assert (await Cart.get(id=key_of(cart_id))).status is CartStatus.CHECKED_OUT
        else:  # I1: no charge, and the stock and the cart are back
            assert all(i["status"] != "succeeded" for i in intents)
            assert await stock_of(product) == 4
            assert (await Cart.get(id=key_of(cart_id))).status is CartStatus.OPEN
        again = await reconcile(gateway, grace=timedelta(0))
        assert str(order.number) not in again.settled  # settled once, for good
    finally:
        await http.aclose()
        await gateway.aclose()


def _checkout_body(cart_id: str, key: str | None = None) -> tuple[str, dict]:
    from tests.shop import CHECKOUT

    return CHECKOUT, {"input": {"cartId": cart_id, "email": "a@example.com", "paymentToken": "pm_card_visa",
                                "idempotencyKey": key or uuid.uuid4().hex}}


@pytest.mark.parametrize("fault", [Fault.ERROR_500, Fault.DROP])
async def test_a_lost_confirm_response_and_a_retry_charge_once(settings, fault_proxy, localstripe_url, fault):
    """The confirm reaches Stripe and charges; its answer is lost (localstripe
    ignores idempotency keys, so only our own records prevent a second charge)."""
    gateway = StripeGateway(TEST_SECRET_KEY, api_base=fault_proxy.url)
    http, gql = await _client_with(settings, gateway)
    try:
        product = await make_product(2100, 3)
        cart_id = await cart_with(gql, (product, 1))
        key = uuid.uuid4().hex
        fault_proxy.arm("POST", CONFIRM_PATH, fault, forward=True)

        first = await checkout(gql, cart_id, "pm_card_visa", key=key)
        retry = await checkout(gql, cart_id, "pm_card_visa", key=key)

        assert first["userErrors"] == [] and first["order"]["status"] == "PAID"
        assert retry == first
        intents = await intents_of_order(localstripe_url, key_of(first["order"]["id"]))
        assert [i["status"] for i in intents] == ["succeeded"]
        assert await stock_of(product) == 2
    finally:
        await http.aclose()
        await gateway.aclose()


async def test_stripe_unreachable_at_confirm_leaves_the_order_for_the_reconciler(settings, fault_proxy, localstripe_url):
    gateway = StripeGateway(TEST_SECRET_KEY, api_base=fault_proxy.url, max_network_retries=0)
    http, gql = await _client_with(settings, gateway)
    try:
        product = await make_product(700, 2)
        cart_id = await cart_with(gql, (product, 1))
        fault_proxy.arm("POST", CONFIRM_PATH, Fault.ERROR_500, forward=True)
        fault_proxy.arm("GET", r"/v1/payment_intents/[^/]+", Fault.ERROR_500, forward=False)
        result = await checkout(gql, cart_id, "pm_card_visa")
        assert result["userErrors"] == [] and result["order"]["status"] == "PENDING_PAYMENT"

        report = await reconcile(gateway, grace=timedelta(0))
        assert report.settled[result["order"]["number"]] == "PAID"
        assert len(await intents_of_order(localstripe_url, key_of(result["order"]["id"]))) == 1
    finally:
        await http.aclose()
        await gateway.aclose()
