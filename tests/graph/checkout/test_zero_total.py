"""Orders with nothing to pay (a 100 % code on items that do not ship), through the API.

The app talks to Stripe through the fault proxy (tests/fault_proxy.py), which
sees every request the gateway makes: a zero-total order must make none, from
its checkout to its cancellation and the reconciler's passes.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from commerce.orders.reconcile import reconcile
from models import DiscountCode, OrderEvent, OrderEventType
from payments.stripe_gateway import StripeGateway
from tests.conftest import GraphQLClient
from tests.fault_proxy import FaultProxy
from tests.graph.outbound.test_emails import mail_worker, parts
from tests.graph.orders.test_fulfillment_capture import CANCEL, CAPTURE, FULFIL
from tests.shop import CHECKOUT, cart_with, key_of, make_product, stock_of
from tests.smtp_server import smtp_server
from tests.stripe_events import api_key, app_client
from tests.stripe_emulator import TEST_SECRET_KEY

FREE = "FREE100"
CODES = """mutation($c: ID!, $codes: [String!]!) { cartDiscountCodesUpdate(cartId: $c, codes: $codes) {
  cart { cost { total { amount } } } userErrors { code } } }"""
REFUND = """mutation($o: ID!, $amount: Decimal) { refundOrder(orderId: $o, amount: $amount) {
  refund { id } userErrors { field code } } }"""
ORDER = """query($id: ID!) { order(id: $id) { status financialStatus fulfillmentStatus
  payment { provider status amount { minorUnits } amountRefunded { minorUnits } cardBrand cardLast4 } } }"""


@pytest.fixture
async def proxy(localstripe_url):
    async with FaultProxy(localstripe_url) as proxy:
        yield proxy


@pytest.fixture
async def shop(settings, proxy):
    """The API (a GraphQL client), its staff (orders:write) and its gateway, all through the proxy."""
    gateway = StripeGateway(TEST_SECRET_KEY, api_base=proxy.url)
    http = app_client(settings, gateway)
    staff = GraphQLClient(http, {"Authorization": f"Bearer {await api_key('orders:write orders:read')}"})
    await DiscountCode.get_or_create(code=FREE, defaults={"kind": "percentage", "value": 10_000})
    yield GraphQLClient(http), staff, gateway
    await http.aclose()
    await gateway.aclose()


async def free_cart(gql, product, quantity: int = 1) -> str:
    cart_id = await cart_with(gql, (product, quantity))
    shown = (await gql.data(CODES, {"c": cart_id, "codes": [FREE]}))["cartDiscountCodesUpdate"]
    assert shown == {"cart": {"cost": {"total": {"amount": "0.00"}}}, "userErrors": []}
    return cart_id


async def place(gql, cart_id: str, key: str | None = None, **extra) -> dict:
    variables = {"input": {"cartId": cart_id, "email": "free@example.com",
                           "idempotencyKey": key or uuid.uuid4().hex, **extra}}
    return (await gql.data(CHECKOUT, variables))["checkout"]


def errors(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def test_a_zero_total_order_is_paid_without_stripe_and_confirmed(shop, proxy, settings):
    gql, _, _ = shop
    product = await make_product(1500, 3)
    cart_id = await free_cart(gql, product, 2)
    used = (await DiscountCode.get(code=FREE)).used_count
    with smtp_server() as (inbox, url):
        worker = await mail_worker(settings, smtp_url=url)
        await worker.drain()
        inbox.messages.clear()

        placed = await place(gql, cart_id, key="free-1", expectedTotal="0.00")  # no paymentToken at all

        assert placed["userErrors"] == [] and placed["paymentAction"] is None
        order = placed["order"]
        assert order["status"] == "PAID" and order["total"]["minorUnits"] == 0
        assert order["payment"] == {"provider": "none", "status": "SUCCEEDED", "amount": {"minorUnits": 0},
                                    "amountRefunded": {"minorUnits": 0}, "cardBrand": None, "cardLast4": None}
        assert proxy.seen == []  # no customer, no PaymentIntent: Stripe never heard of it
        assert await stock_of(product) == 1 and (await DiscountCode.get(code=FREE)).used_count == used + 1
        types = await OrderEvent.filter(order_id=key_of(order["id"])).order_by("sequence").values_list("type", flat=True)
        assert [OrderEventType(t) for t in types] == [OrderEventType.ORDER_CREATED, OrderEventType.ORDER_PAID]

        await worker.drain()
        [confirmation] = inbox.messages
        assert confirmation["Subject"] == f"Order {order['number']} confirmed"
        text = parts(confirmation)[0]
        assert "nothing to pay" in text and "Total: 0.00 USD" in text and "ending in" not in text
        await worker.stop()

    # The same key answers the same order; another attempt on the cart is refused.
    again = await place(gql, cart_id, key="free-1")
    assert again["userErrors"] == [] and again["order"] == order
    other = await place(gql, cart_id, paymentToken="pm_card_visa")
    assert errors(other) == [("CART_ALREADY_CHECKED_OUT", ["input", "cartId"])]
    assert proxy.seen == []


async def test_a_total_above_zero_still_needs_a_card_and_the_total_shown_is_checked(shop, proxy):
    gql, _, _ = shop
    product = await make_product(1500, 3)
    paid_cart = await cart_with(gql, (product, 1))
    assert errors(await place(gql, paid_cart)) == [("INVALID", ["input", "paymentToken"])]
    assert errors(await place(gql, paid_cart, paymentToken="")) == [("INVALID", ["input", "paymentToken"])]
    free = await free_cart(gql, product)
    assert errors(await place(gql, free, expectedTotal="15.00")) == [("TOTAL_CHANGED", ["input", "expectedTotal"])]
    assert await stock_of(product) == 3 and proxy.seen == []


async def test_a_zero_total_order_has_nothing_to_refund_or_capture_ships_and_can_be_cancelled(shop, proxy, settings):
    gql, staff, gateway = shop
    product = await make_product(900, 5)
    kept = (await place(gql, await free_cart(gql, product)))["order"]
    cancelled = (await place(gql, await free_cart(gql, product)))["order"]
    assert (kept["status"], cancelled["status"], await stock_of(product)) == ("PAID", "PAID", 3)
    used = (await DiscountCode.get(code=FREE)).used_count

    for amount in (None, "1.00"):
        refused = (await staff.data(REFUND, {"o": kept["id"], "amount": amount}))["refundOrder"]
        assert refused["refund"] is None and [code for code, _ in errors(refused)] == ["INVALID"], refused
    captured = (await staff.data(CAPTURE, {"orderId": kept["id"], "key": "k1"}))["orderCapture"]
    assert errors(captured) == [("ORDER_ALREADY_PAID", ["orderId"])]

    shipped = (await staff.data(FULFIL, {"orderId": kept["id"]}))["fulfillmentCreate"]
    assert shipped["userErrors"] == [] and shipped["order"]["status"] == "FULFILLED"
    too_late = (await staff.data(CANCEL, {"orderId": kept["id"]}))["cancelOrder"]
    assert too_late == {"order": None, "userErrors": [{"code": "INVALID"}]}

    gone = (await staff.data(CANCEL, {"orderId": cancelled["id"]}))["cancelOrder"]
    assert gone == {"order": {"status": "CANCELLED", "financialStatus": "VOIDED"}, "userErrors": []}
    assert await stock_of(product) == 4 and (await DiscountCode.get(code=FREE)).used_count == used - 1
    assert (await staff.data(ORDER, {"id": cancelled["id"]}))["order"]["payment"]["status"] == "CANCELED"
    assert (await staff.data(CANCEL, {"orderId": cancelled["id"]}))["cancelOrder"]["userErrors"] == []  # again: no change
    assert await stock_of(product) == 4

    # The reconciler has nothing to ask Stripe about them, now or in its audit.
    report = await reconcile(gateway, grace=timedelta(0), audit_window=timedelta(days=1))
    assert report.attention == {} and report.discrepancies == []
    assert proxy.seen == []
    assert (await staff.data(ORDER, {"id": kept["id"]}))["order"]["financialStatus"] == "PAID"


async def test_manual_capture_has_nothing_to_authorise_for_a_zero_total(settings, proxy):
    gateway = StripeGateway(TEST_SECRET_KEY, api_base=proxy.url)
    async with app_client(replace(settings, capture_method="manual"), gateway) as http:
        gql = GraphQLClient(http)
        await DiscountCode.get_or_create(code=FREE, defaults={"kind": "percentage", "value": 10_000})
        placed = await place(gql, await free_cart(gql, await make_product(700, 2)))
        assert placed["userErrors"] == [] and placed["order"]["status"] == "PAID"
    await gateway.aclose()
    assert proxy.seen == []


async def test_when_a_free_codes_last_use_goes_meanwhile_the_others_need_a_card_after_all(shop, proxy):
    """Every checkout sees a total of zero when it starts; one takes the code's only use,
    and the others find in step 1 that they have 15.00 to pay."""
    gql, _, _ = shop
    product = await make_product(1500, 20)

    async def racers(n: int, **extra) -> list[dict]:
        code = f"GIFT{uuid.uuid4().hex[:6]}".upper()
        await DiscountCode.create(code=code, kind="percentage", value=10_000, usage_limit=1)
        carts = []
        for _ in range(n):
            cart_id = await cart_with(gql, (product, 1))
            assert (await gql.data(CODES, {"c": cart_id, "codes": [code]}))["cartDiscountCodesUpdate"]["userErrors"] == []
            carts.append(cart_id)
        return list(await asyncio.gather(*(place(gql, c, **extra) for c in carts)))

    without_card = await racers(4)
    assert sorted(tuple(errors(r)) for r in without_card) == [()] + [(("INVALID", ["input", "paymentToken"]),)] * 3
    assert await stock_of(product) == 19 and proxy.seen == []

    with_card = await racers(4, paymentToken="pm_card_visa")
    assert all(r["userErrors"] == [] and r["order"]["status"] == "PAID" for r in with_card), with_card
    assert sorted((r["order"]["payment"]["provider"], r["order"]["total"]["minorUnits"]) for r in with_card) == [
        ("none", 0), ("stripe", 1500), ("stripe", 1500), ("stripe", 1500)]
    assert len(proxy.requests_to("POST", r"/v1/payment_intents")) == 3
