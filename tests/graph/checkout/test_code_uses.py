"""Once-per-customer discount codes under concurrency: one customer, many carts at once.

A shopper (or a script) opens several carts with one email, enters a code
that may be used once per customer, and submits every checkout at the same
moment. The database holds the rule (a unique index on the code's customer
uses), so exactly one order gets the discount on SQLite and PostgreSQL; the
others are refused with TOTAL_CHANGED when they said what total they saw
(nothing charged, no stock taken), or are priced without the code as any code
with no use left is.
"""

from __future__ import annotations

import asyncio
import uuid

from models import DiscountCode, DiscountRedemption, Order
from tests.graph.accounts.test_accounts import api_key, as_, customer
from tests.conftest import GraphQLClient
from tests.shop import CHECKOUT, cart_with, intents_of_order, key_of, make_product, stock_of
from tests.stripe_emulator import create_card_token
from tests.stripe_events import THREE_D_SECURE, app_client, authenticated, deliver, event

N = 6
M = "{ amount minorUnits }"
BUYER = """mutation($c: ID!, $e: String) { cartBuyerIdentityUpdate(cartId: $c, email: $e) {
  userErrors { field code } } }"""
CODES = f"""mutation($c: ID!, $codes: [String!]!) {{ cartDiscountCodesUpdate(cartId: $c, codes: $codes) {{
  cart {{ discountCodes {{ code applicable }} cost {{ total {M} }} }} userErrors {{ field code }} }} }}"""
MAKE_CODE = """mutation($i: DiscountCodeInput!) { discountCodeCreate(input: $i) { userErrors { field code } } }"""


async def once_code(gql, value: str = "5.00") -> str:
    code = f"ONCE{uuid.uuid4().hex[:8]}".upper()
    staff = as_(gql, await api_key("shop:write"))
    made = await staff.data(MAKE_CODE, {"i": {"code": code, "kind": "FIXED_AMOUNT", "value": value,
                                              "oncePerCustomer": True}})
    assert made["discountCodeCreate"]["userErrors"] == []
    return code


async def cart_for(gql, product, email: str | None, *codes: str) -> tuple[str, dict]:
    """A cart of one unit with `email` and `codes`; returns it and what it shows."""
    cart_id = await cart_with(gql, (product, 1))
    if email is not None:
        assert (await gql.data(BUYER, {"c": cart_id, "e": email}))["cartBuyerIdentityUpdate"]["userErrors"] == []
    shown = (await gql.data(CODES, {"c": cart_id, "codes": list(codes)}))["cartDiscountCodesUpdate"]
    assert shown["userErrors"] == []
    return cart_id, shown["cart"]


async def pay(gql, cart_id: str, token: str = "pm_card_visa", **extra) -> dict:
    variables = {"input": {"cartId": cart_id, "paymentToken": token, "idempotencyKey": uuid.uuid4().hex, **extra}}
    return (await gql.data(CHECKOUT, variables))["checkout"]


def codes_of(result: dict) -> list[str]:
    return [e["code"] for e in result["userErrors"]]


async def test_one_email_checking_out_six_carts_at_once_gets_the_code_once(gql, localstripe_url):
    code = await once_code(gql)
    product = await make_product(2000, 50)
    # The same customer, however the email is written.
    emails = [f"{'Same' if i % 2 else 'same'}@Example.com" for i in range(N)]
    carts = [await cart_for(gql, product, email, code) for email in emails]
    assert all(shown["discountCodes"] == [{"code": code, "applicable": True}] for _, shown in carts)
    assert {shown["cost"]["total"]["amount"] for _, shown in carts} == {"15.00"}

    results = await asyncio.gather(*(pay(gql, c, expectedTotal="15.00") for c, _ in carts))

    paid = [r for r in results if r["order"] is not None]
    assert len(paid) == 1 and paid[0]["userErrors"] == [] and paid[0]["order"]["status"] == "PAID", results
    assert paid[0]["order"]["total"]["minorUnits"] == 1500
    refused = [r for r in results if r["order"] is None]
    assert [codes_of(r) for r in refused] == [["TOTAL_CHANGED"]] * (N - 1), refused
    # Nothing was charged or held for the refused ones: one order, one PaymentIntent, one unit sold.
    orders = await Order.filter(cart_id__in=[key_of(c) for c, _ in carts])
    assert len(orders) == 1 and await stock_of(product) == 49
    assert len(await intents_of_order(localstripe_url, orders[0].id)) == 1
    assert (await DiscountCode.get(code=code)).used_count == 1
    assert await DiscountRedemption.filter(discount__code=code).count() == 1


async def test_without_an_expected_total_the_other_carts_pay_full_price(gql):
    code = await once_code(gql)
    product = await make_product(2000, 50)
    carts = [(await cart_for(gql, product, "racer@example.com", code))[0] for _ in range(N)]

    results = await asyncio.gather(*(pay(gql, c) for c in carts))

    assert all(r["userErrors"] == [] and r["order"]["status"] == "PAID" for r in results), results
    orders = await Order.filter(cart_id__in=[key_of(c) for c in carts])
    assert sorted(o.discount for o in orders) == [0] * (N - 1) + [500]
    assert sorted(o.total for o in orders) == [1500] + [2000] * (N - 1)
    assert (await DiscountCode.get(code=code)).used_count == 1


async def test_a_signed_in_customer_racing_themselves_gets_the_code_once(gql):
    code = await once_code(gql)
    product = await make_product(2000, 50)
    email, token = await customer(gql)
    me = as_(gql, token)
    carts = [(await cart_for(me, product, None, code))[0] for _ in range(N)]

    results = await asyncio.gather(*(pay(me, c, email=email, expectedTotal="15.00") for c in carts))

    assert sorted(tuple(codes_of(r)) for r in results) == [()] + [("TOTAL_CHANGED",)] * (N - 1), results
    assert [o.discount for o in await Order.filter(cart_id__in=[key_of(c) for c in carts])] == [500]


async def test_an_order_that_ends_unpaid_frees_the_customers_use_and_other_codes_are_not_blocked(gql, localstripe_url):
    code, other = await once_code(gql), await once_code(gql, "3.00")
    product = await make_product(2000, 50)
    cart_id, _ = await cart_for(gql, product, "again@example.com", code)
    declined = await pay(gql, cart_id, await create_card_token(localstripe_url, "4000000000000341"))
    assert declined["order"]["status"] == "PAYMENT_FAILED"
    assert await DiscountRedemption.filter(discount__code=code).count() == 0

    # The same customer may use it after all, on that cart or another; another code of theirs,
    # and the same code for another customer, are not in the way.
    results = await asyncio.gather(
        pay(gql, cart_id, expectedTotal="15.00"),
        pay(gql, (await cart_for(gql, product, "again@example.com", other))[0], expectedTotal="17.00"),
        pay(gql, (await cart_for(gql, product, "someone.else@example.com", code))[0], expectedTotal="15.00"),
    )
    assert [(codes_of(r), r["order"]["status"]) for r in results] == [([], "PAID")] * 3, results
    assert (await DiscountCode.get(code=code)).used_count == 2

    # Used now: a later cart of theirs shows it as not applicable, and a checkout that expected it is refused.
    late_cart, shown = await cart_for(gql, product, "AGAIN@example.com", code)
    assert shown["discountCodes"] == [{"code": code, "applicable": False}]
    refused = await pay(gql, late_cart, expectedTotal="15.00")
    assert codes_of(refused) == ["TOTAL_CHANGED"] and refused["order"] is None


async def test_a_late_payment_keeps_its_code_when_the_customer_used_it_again_meanwhile(settings, gateway, localstripe_url):
    """A signed payment_failed ends the first order (its use given back), the customer uses
    the code on a second order, then Stripe says the first was paid after all."""
    async with app_client(settings, gateway) as http:
        gql = GraphQLClient(http)
        code = await once_code(gql)
        product = await make_product(2000, 10)
        first_cart, _ = await cart_for(gql, product, "late@example.com", code)
        first = await pay(gql, first_cart, await create_card_token(localstripe_url, THREE_D_SECURE))
        assert first["order"]["status"] == "ACTION_REQUIRED"
        [intent] = await intents_of_order(localstripe_url, key_of(first["order"]["id"]))
        failed = {**intent, "status": "requires_payment_method", "last_payment_error": {"code": "card_declined"}}
        assert (await deliver(http, event("payment_intent.payment_failed", failed)))["outcome"] == "applied"

        second = await pay(gql, (await cart_for(gql, product, "late@example.com", code))[0], expectedTotal="15.00")
        assert second["userErrors"] == [] and second["order"]["status"] == "PAID"

        paid = await authenticated(localstripe_url, {**intent, "client_secret": first["paymentAction"]["clientSecret"]})
        assert (await deliver(http, event("payment_intent.succeeded", paid)))["outcome"] == "applied"
    orders = {o.id: o for o in await Order.filter(id__in=[key_of(first["order"]["id"]), key_of(second["order"]["id"])])}
    assert sorted((o.status.name, o.discount) for o in orders.values()) == [("PAID", 500), ("PAID", 500)]
    uses = await DiscountRedemption.filter(discount__code=code).values_list("order_id", "once_key")
    assert sorted(uses, key=lambda u: u[1] is None) == [(key_of(second["order"]["id"]), "email:late@example.com"),
                                                        (key_of(first["order"]["id"]), None)]
    assert (await DiscountCode.get(code=code)).used_count == 2
