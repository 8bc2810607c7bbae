"""Saved cards (DESIGN §13), through the public GraphQL API against localstripe, on SQLite
and PostgreSQL: save a card with a SetupIntent, pay with it through the checkout saga,
remove it; nobody but its owner sees or uses it; a setup cut short saves nothing.

What localstripe lacks, and how these tests cover it: its SetupIntents never attach
their card to the SetupIntent's customer (real Stripe does), so the gateway attaches
it; it ignores idempotency keys, so one Stripe Customer per buyer is held by our own
record; a detached card can still be charged there, so a removed card is refused by
our records before anything reaches Stripe. A lost or failed attach is injected with
the fault proxy.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest

from commerce.passwords import hash_password
from models import Customer, CustomerWallet, SavedPaymentMethod
from payments.gateway import PaymentError
from payments.stripe_gateway import StripeGateway
from shopgraph.app import create_app
from tests.conftest import GraphQLClient
from tests.fault_proxy import Fault
from tests.graph.accounts.test_accounts import LOGIN, as_, customer, error_code
from tests.shop import CHECKOUT, CONFIRM, cart_with, key_of, make_product, stock_of
from tests.stripe_emulator import TEST_SECRET_KEY, authenticate_3ds, charges_of_customer, confirm_card_setup

SETUP = """mutation { customerPaymentMethodSetup { clientSecret setupIntentId userErrors { code message } } }"""
COMPLETE = """mutation($s: String!) { customerPaymentMethodSetupComplete(setupIntentId: $s) {
  paymentMethod { id brand last4 expMonth expYear } userErrors { field code message } } }"""
DELETE = """mutation($id: ID!) { customerPaymentMethodDelete(id: $id) {
  deletedPaymentMethodId userErrors { field code } } }"""
CARDS = "{ customerPaymentMethods { id brand last4 } }"
ME_CARDS = "{ me { paymentMethods { id last4 } } }"
ATTACH_PATH = r"/v1/payment_methods/pm_\w+/attach"


async def signed_in(gql: GraphQLClient) -> GraphQLClient:
    return as_(gql, (await customer(gql))[1])


async def set_up(buyer: GraphQLClient, stripe_url: str, number: str = "4242424242424242") -> str:
    """A SetupIntent confirmed with `number` in the browser; returns its id."""
    setup = (await buyer.data(SETUP))["customerPaymentMethodSetup"]
    assert setup["userErrors"] == [] and setup["clientSecret"].startswith(setup["setupIntentId"])
    confirmed = await confirm_card_setup(stripe_url, setup["clientSecret"], number)
    assert confirmed["status"] == "succeeded", confirmed
    return setup["setupIntentId"]


async def save_card(buyer: GraphQLClient, stripe_url: str, number: str = "4242424242424242") -> dict:
    answer = (await buyer.data(COMPLETE, {"s": await set_up(buyer, stripe_url, number)}))
    answer = answer["customerPaymentMethodSetupComplete"]
    assert answer["userErrors"] == [], answer
    return answer["paymentMethod"]


async def pay_with(buyer: GraphQLClient, card_id: str, product, key: str | None = None) -> dict:
    cart_id = await cart_with(buyer, (product, 1))
    variables = {"input": {"cartId": cart_id, "email": "buyer@example.com", "savedPaymentMethodId": card_id,
                           "idempotencyKey": key or uuid.uuid4().hex}}
    return (await buyer.data(CHECKOUT, variables))["checkout"]


async def stripe_customer_of(buyer: GraphQLClient) -> str:
    email = (await buyer.data("{ me { email } }"))["me"]["email"]
    wallet = await CustomerWallet.get(customer__email=email)
    return wallet.stripe_customer_id


async def test_save_a_card_pay_with_it_twice_remove_it_and_the_next_payment_is_refused(gql, localstripe_url):
    buyer = await signed_in(gql)
    product = await make_product(1250, 10)
    card = await save_card(buyer, localstripe_url)
    assert {k: card[k] for k in ("brand", "last4", "expMonth")} == {"brand": "visa", "last4": "4242", "expMonth": 12}
    assert (await buyer.data(CARDS))["customerPaymentMethods"] == [
        {"id": card["id"], "brand": "visa", "last4": "4242"}]
    assert (await buyer.data(ME_CARDS))["me"]["paymentMethods"] == [{"id": card["id"], "last4": "4242"}]

    for _ in range(2):
        paid = await pay_with(buyer, card["id"], product)
        assert paid["userErrors"] == [] and paid["order"]["status"] == "PAID", paid
        assert paid["order"]["payment"]["cardLast4"] == "4242"
    stripe_customer = await stripe_customer_of(buyer)
    assert len(await charges_of_customer(localstripe_url, stripe_customer)) == 2

    removed = (await buyer.data(DELETE, {"id": card["id"]}))["customerPaymentMethodDelete"]
    assert removed == {"deletedPaymentMethodId": card["id"], "userErrors": []}
    assert (await buyer.data(CARDS))["customerPaymentMethods"] == []
    saved = await SavedPaymentMethod.get(id=int(key_of(card["id"])))
    async with httpx.AsyncClient(base_url=localstripe_url, headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"}) as s:
        method = (await s.get(f"/v1/payment_methods/{saved.stripe_payment_method_id}")).json()
    assert method["customer"] is None  # detached at Stripe

    refused = await pay_with(buyer, card["id"], product)
    assert refused["order"] is None
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("PAYMENT_METHOD_REMOVED", ["input", "savedPaymentMethodId"])]
    assert len(await charges_of_customer(localstripe_url, stripe_customer)) == 2
    assert await stock_of(product) == 8


async def test_a_buyer_cannot_see_or_use_another_buyers_cards(gql, localstripe_url):
    alice, bob = await signed_in(gql), await signed_in(gql)
    product = await make_product(900, 10)
    hers = await save_card(alice, localstripe_url)
    her_setup = await set_up(alice, localstripe_url, "5555555555554444")
    await save_card(bob, localstripe_url, "4000056655665556")

    assert [c["last4"] for c in (await bob.data(CARDS))["customerPaymentMethods"]] == ["5556"]
    for who in (bob, gql):  # another customer, and a guest
        attempt = await pay_with(who, hers["id"], product)
        assert attempt["order"] is None
        assert [(e["code"], e["field"]) for e in attempt["userErrors"]] == [
            ("NOT_FOUND", ["input", "savedPaymentMethodId"])]
    assert [e["code"] for e in (await bob.data(DELETE, {"id": hers["id"]}))["customerPaymentMethodDelete"][
        "userErrors"]] == ["NOT_FOUND"]
    stolen = (await bob.data(COMPLETE, {"s": her_setup}))["customerPaymentMethodSetupComplete"]
    assert [e["code"] for e in stolen["userErrors"]] == ["NOT_FOUND"]
    assert error_code(await gql(CARDS)) == "UNAUTHENTICATED"
    assert error_code(await gql(SETUP)) == "UNAUTHENTICATED"

    assert [c["id"] for c in (await alice.data(CARDS))["customerPaymentMethods"]] == [hers["id"]]
    assert await stock_of(product) == 10
    assert await charges_of_customer(localstripe_url, await stripe_customer_of(alice)) == []


async def test_a_setup_cut_short_before_the_card_is_attached_saves_nothing(settings, fault_proxy, localstripe_url):
    """The attach fails (refused, or done at Stripe with its answer lost): the wallet shows no
    card, and completing the same setup again saves it once."""
    gateway = StripeGateway(TEST_SECRET_KEY, api_base=fault_proxy.url, max_network_retries=0)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, gateway=gateway, manage_db=False)),
                             base_url="http://shopgraph.test")
    try:
        buyer = await signed_in(GraphQLClient(http))
        for saved_before, forward in enumerate((False, True)):
            setup = await set_up(buyer, localstripe_url)
            fault_proxy.arm("POST", ATTACH_PATH, Fault.ERROR_500, forward=forward)
            cut = (await buyer.data(COMPLETE, {"s": setup}))["customerPaymentMethodSetupComplete"]
            assert cut["paymentMethod"] is None
            assert [e["code"] for e in cut["userErrors"]] == ["PAYMENT_FAILED"]
            before = (await buyer.data(CARDS))["customerPaymentMethods"]
            assert len(before) == saved_before  # nothing half-saved

            again = (await buyer.data(COMPLETE, {"s": setup}))["customerPaymentMethodSetupComplete"]
            assert again["userErrors"] == []
            after = (await buyer.data(CARDS))["customerPaymentMethods"]
            assert after == [*before, {"id": again["paymentMethod"]["id"], "brand": "visa", "last4": "4242"}]
            replay = (await buyer.data(COMPLETE, {"s": setup}))["customerPaymentMethodSetupComplete"]
            assert replay == again
        assert len((await buyer.data(CARDS))["customerPaymentMethods"]) == 2
    finally:
        await http.aclose()
        await gateway.aclose()


async def test_a_saved_card_the_bank_wants_to_confirm_goes_through_3d_secure(gql, localstripe_url):
    buyer = await signed_in(gql)
    product = await make_product(4000, 3)
    card = await save_card(buyer, localstripe_url, "4000002500003155")

    asked = await pay_with(buyer, card["id"], product)
    assert asked["order"]["status"] == "ACTION_REQUIRED"
    assert [e["code"] for e in asked["userErrors"]] == ["PAYMENT_ACTION_REQUIRED"]
    secret = asked["paymentAction"]["clientSecret"]
    await authenticate_3ds(localstripe_url, secret.split("_secret_")[0], secret, success=True)
    confirmed = (await buyer.data(CONFIRM, {"orderId": asked["order"]["id"]}))["checkoutConfirm"]
    assert confirmed["order"]["status"] == "PAID", confirmed


async def test_the_same_key_with_a_saved_card_charges_once(gql, localstripe_url):
    buyer = await signed_in(gql)
    product = await make_product(700, 5)
    card = await save_card(buyer, localstripe_url)
    cart_id = await cart_with(buyer, (product, 1))
    variables = {"input": {"cartId": cart_id, "email": "buyer@example.com", "savedPaymentMethodId": card["id"],
                           "idempotencyKey": uuid.uuid4().hex}}

    first, second = await asyncio.gather(buyer.data(CHECKOUT, variables), buyer.data(CHECKOUT, variables))

    assert first["checkout"]["order"]["status"] == "PAID"
    assert second["checkout"]["order"]["id"] == first["checkout"]["order"]["id"]
    assert len(await charges_of_customer(localstripe_url, await stripe_customer_of(buyer))) == 1
    assert await stock_of(product) == 4


async def test_each_buyer_gets_one_stripe_customer_however_many_setups_at_once(gql, localstripe_url):
    buyer = await signed_in(gql)
    answers = await asyncio.gather(*(buyer.data(SETUP) for _ in range(4)))
    setups = [a["customerPaymentMethodSetup"]["setupIntentId"] for a in answers]
    async with httpx.AsyncClient(base_url=localstripe_url, headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"}) as s:
        customers = {(await s.get(f"/v1/setup_intents/{seti}")).json()["customer"] for seti in setups}
    assert customers == {await stripe_customer_of(buyer)}


@pytest.mark.parametrize("setup_id", ["seti_unknown", "not a setup", "x" * 300, ""])
async def test_an_unknown_setup_is_not_found(gql, setup_id):
    buyer = await signed_in(gql)
    await buyer.data(SETUP)
    answer = (await buyer.data(COMPLETE, {"s": setup_id}))["customerPaymentMethodSetupComplete"]
    assert [(e["code"], e["field"]) for e in answer["userErrors"]] == [("NOT_FOUND", ["setupIntentId"])]


async def test_a_declined_card_is_not_saved(gql, localstripe_url):
    buyer = await signed_in(gql)
    setup = (await buyer.data(SETUP))["customerPaymentMethodSetup"]
    confirmed = await confirm_card_setup(localstripe_url, setup["clientSecret"], "4000000000000002")
    assert confirmed.get("error", {}).get("code") == "card_declined"
    answer = (await buyer.data(COMPLETE, {"s": setup["setupIntentId"]}))["customerPaymentMethodSetupComplete"]
    assert answer["paymentMethod"] is None and [e["code"] for e in answer["userErrors"]] == ["INVALID"]
    assert (await buyer.data(CARDS))["customerPaymentMethods"] == []


async def test_a_card_removed_while_stripe_cannot_be_told_is_never_charged(settings, fault_proxy, localstripe_url):
    gateway = StripeGateway(TEST_SECRET_KEY, api_base=fault_proxy.url, max_network_retries=0)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, gateway=gateway, manage_db=False)),
                             base_url="http://shopgraph.test")
    try:
        buyer = await signed_in(GraphQLClient(http))
        product = await make_product(1100, 4)
        card = await save_card(buyer, localstripe_url)
        fault_proxy.arm("POST", r"/v1/payment_methods/pm_\w+/detach", Fault.ERROR_500, forward=False)

        removed = (await buyer.data(DELETE, {"id": card["id"]}))["customerPaymentMethodDelete"]
        assert [e["code"] for e in removed["userErrors"]] == ["PAYMENT_FAILED"]
        assert (await buyer.data(CARDS))["customerPaymentMethods"] == []
        refused = await pay_with(buyer, card["id"], product)
        assert [e["code"] for e in refused["userErrors"]] == ["PAYMENT_METHOD_REMOVED"] and refused["order"] is None

        again = (await buyer.data(DELETE, {"id": card["id"]}))["customerPaymentMethodDelete"]
        assert again == {"deletedPaymentMethodId": card["id"], "userErrors": []}
        saved = await SavedPaymentMethod.get(id=int(key_of(card["id"])))
        async with httpx.AsyncClient(base_url=localstripe_url,
                                     headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"}) as stripe_api:
            method = (await stripe_api.get(f"/v1/payment_methods/{saved.stripe_payment_method_id}")).json()
        assert method["customer"] is None
        assert await charges_of_customer(localstripe_url, await stripe_customer_of(buyer)) == []
        assert await stock_of(product) == 4
    finally:
        await http.aclose()
        await gateway.aclose()


class IdempotentStripe(StripeGateway):
    """Stripe's idempotency keys for Customers, which localstripe ignores: a key sent again
    answers as it first did, and with other parameters is refused (Stripe's idempotency_error)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.customers: dict[str, tuple[tuple[str, str], str]] = {}

    async def create_customer(self, *, email: str, reference: str, idempotency_key: str) -> str:
        if idempotency_key in self.customers:
            sent, made = self.customers[idempotency_key]
            if sent != (email, reference):
                raise PaymentError("Keys for idempotent requests can only be used with the same parameters")
            return made
        made = await super().create_customer(email=email, reference=reference, idempotency_key=idempotency_key)
        self.customers[idempotency_key] = ((email, reference), made)
        return made


async def test_a_buyer_with_the_number_of_another_shops_buyer_gets_a_stripe_customer_of_their_own(
        settings, localstripe_url):
    """Two shops on one Stripe account (or one shop restored from a backup) number their
    customers alike: customer #n of the second still gets a Stripe Customer of their own."""
    gateway = IdempotentStripe(TEST_SECRET_KEY, api_base=localstripe_url)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, gateway=gateway, manage_db=False)),
                             base_url="http://shopgraph.test")
    try:
        gql = GraphQLClient(http)
        first = await signed_in(gql)
        assert (await first.data(SETUP))["customerPaymentMethodSetup"]["userErrors"] == []
        theirs = await stripe_customer_of(first)

        email = (await first.data("{ me { email } }"))["me"]["email"]
        number = (await Customer.get(email=email)).id
        await Customer.filter(id=number).delete()  # the other shop's customer #number
        other_email, password = f"o{uuid.uuid4().hex[:10]}@example.com", "correct horse battery"
        await Customer.create(id=number, email=other_email, password_hash=await hash_password(password))
        login = (await gql.data(LOGIN, {"e": other_email, "p": password, "c": None}))["customerLogin"]
        other = as_(gql, login["sessionToken"])

        setup = (await other.data(SETUP))["customerPaymentMethodSetup"]
        assert setup["userErrors"] == [] and setup["setupIntentId"], setup
        assert await stripe_customer_of(other) not in (None, theirs)
    finally:
        await http.aclose()
        await gateway.aclose()


async def test_a_saved_card_stripe_no_longer_takes_is_named_as_the_saved_card(settings, fault_proxy, localstripe_url):
    """Stripe refuses the saved card (detached there behind the shop's back): the error names
    `savedPaymentMethodId`, which the buyer sent, not a `paymentToken` they never typed."""
    gateway = StripeGateway(TEST_SECRET_KEY, api_base=fault_proxy.url, max_network_retries=0)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, gateway=gateway, manage_db=False)),
                             base_url="http://shopgraph.test")
    try:
        buyer = await signed_in(GraphQLClient(http))
        product = await make_product(800, 3)
        card = await save_card(buyer, localstripe_url)
        fault_proxy.arm("POST", r"/v1/payment_intents", Fault.ANSWER, forward=False, status=400, body=json.dumps(
            {"error": {"type": "invalid_request_error", "param": "payment_method",
                       "message": "The provided PaymentMethod was detached from a Customer. It may not be used again."}}
        ).encode())

        refused = await pay_with(buyer, card["id"], product)
        assert [e["field"] for e in refused["userErrors"]] == [["input", "savedPaymentMethodId"]], refused
        assert refused["order"] is None or refused["order"]["status"] != "PAID"
        assert await charges_of_customer(localstripe_url, await stripe_customer_of(buyer)) == []
        assert await stock_of(product) == 3
    finally:
        await http.aclose()
        await gateway.aclose()
