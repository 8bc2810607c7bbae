"""Customers, API keys and the access rules, through the public GraphQL API."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from commerce.access import API_KEY_PREFIX, hash_secret, new_secret
from models import ApiKey, Cart, Customer, CustomerSession, Order, Product
from tests.conftest import GraphQLClient
from tests.shop import stock_of, READ_ORDER, cart_with, checkout, key_of, make_product

REGISTER = """mutation($e: String!, $p: String!) { customerRegister(email: $e, password: $p) {
  customer { id email } userErrors { field code message } } }"""
LOGIN = """mutation($e: String!, $p: String!, $c: ID) { customerLogin(email: $e, password: $p, cartId: $c) {
  sessionToken expiresAt customer { email } userErrors { code message } } }"""
LOGOUT = "mutation { customerLogout { userErrors { code } } }"
ME = "{ me { email orders(first: 10) { nodes { id number status } pageInfo { hasNextPage } } } }"
CART = "query($id: ID!) { cart(id: $id) { id lines { quantity } } }"
FEED = """query($first: Int!, $after: String, $since: DateTime, $status: [OrderStatus!]) {
  orders(first: $first, after: $after, updatedSince: $since, status: $status) {
    nodes { id number status updatedAt } pageInfo { hasNextPage endCursor } } }"""
FULFIL = "mutation($id: ID!) { orderMarkFulfilled(orderId: $id) { order { status } userErrors { code } } }"


def as_(gql: GraphQLClient, token: str | None) -> GraphQLClient:
    return GraphQLClient(gql.http, headers={"authorization": f"Bearer {token}"} if token else {})


async def api_key(*scopes: str, revoked: bool = False) -> str:
    key = new_secret(API_KEY_PREFIX)
    await ApiKey.create(name="test", prefix=key[:12], key_hash=hash_secret(key), scopes=" ".join(scopes),
                        revoked_at=datetime.now(timezone.utc) if revoked else None)
    return key


async def customer(gql: GraphQLClient, cart_id: str | None = None) -> tuple[str, str]:
    """A registered, signed-in customer: (email, session token)."""
    email, password = f"c{uuid.uuid4().hex[:10]}@example.com", "correct horse battery"
    assert (await gql.data(REGISTER, {"e": email, "p": password}))["customerRegister"]["userErrors"] == []
    login = (await gql.data(LOGIN, {"e": email, "p": password, "c": cart_id}))["customerLogin"]
    assert login["userErrors"] == [] and login["sessionToken"]
    return email, login["sessionToken"]


def error_code(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


async def test_register_sign_in_see_my_orders_and_sign_out(gql):
    email, token = await customer(gql)
    me = as_(gql, token)
    assert (await me.data(ME))["me"] == {"email": email, "orders": {"nodes": [], "pageInfo": {"hasNextPage": False}}}

    product = await make_product(1000, 5)
    paid = await checkout(me, await cart_with(me, (product, 1)), "pm_card_visa", email=email)
    assert paid["order"]["status"] == "PAID"
    mine = (await me.data(ME))["me"]["orders"]["nodes"]
    assert [o["id"] for o in mine] == [paid["order"]["id"]]

    stored = await Customer.get(email=email)
    assert stored.password_hash.startswith("scrypt$") and "correct horse" not in stored.password_hash
    assert await CustomerSession.exists(token_hash=hash_secret(token))
    assert not await CustomerSession.exists(token_hash=token)

    assert (await me.data(LOGOUT))["customerLogout"]["userErrors"] == []
    assert error_code(await me(ME)) == "UNAUTHENTICATED"
    assert (await gql.data(ME))["me"] is None  # a guest is nobody


@pytest.mark.parametrize(
    "email, password, code, field",
    [("not-an-email", "long enough pw", "INVALID", ["email"]), ("x@example.com", "short", "INVALID", ["password"])],
)
async def test_registration_refuses_bad_input(gql, email, password, code, field):
    result = (await gql.data(REGISTER, {"e": email, "p": password}))["customerRegister"]
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [(code, field)]
    assert not await Customer.exists(email=email)


async def test_an_email_registers_once_and_wrong_passwords_do_not_sign_in(gql):
    email, _ = await customer(gql)
    again = (await gql.data(REGISTER, {"e": email.upper(), "p": "another password"}))["customerRegister"]
    assert [e["code"] for e in again["userErrors"]] == ["TAKEN"]
    for attempt in [(email, "wrong password"), ("nobody@example.com", "correct horse battery")]:
        login = (await gql.data(LOGIN, {"e": attempt[0], "p": attempt[1]}))["customerLogin"]
        assert [e["code"] for e in login["userErrors"]] == ["UNIDENTIFIED_CUSTOMER"]
        assert login["sessionToken"] is None


async def test_an_expired_or_unknown_token_is_refused_not_taken_for_a_guest(gql):
    email, token = await customer(gql)
    await CustomerSession.filter(token_hash=hash_secret(token)).update(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    assert error_code(await as_(gql, token)(ME)) == "UNAUTHENTICATED"
    assert error_code(await as_(gql, "sgc_made-up")(ME)) == "UNAUTHENTICATED"
    assert error_code(await GraphQLClient(gql.http, headers={"authorization": "Basic abc"})(ME)) == "UNAUTHENTICATED"


async def test_a_customers_cart_is_theirs_alone(gql):
    _, alice = await customer(gql)
    _, bob = await customer(gql)
    product = await make_product(500, 10)
    cart_id = await cart_with(as_(gql, alice), (product, 1))
    assert (await Cart.get(id=key_of(cart_id))).customer_id is not None

    assert (await as_(gql, alice).data(CART, {"id": cart_id}))["cart"]["id"] == cart_id
    for stranger in (as_(gql, bob), gql):
        assert (await stranger.data(CART, {"id": cart_id}))["cart"] is None
        result = await checkout(stranger, cart_id, "pm_card_visa")
        assert [e["code"] for e in result["userErrors"]] == ["NOT_FOUND"]
    assert await stock_of(product) == 10


async def test_a_guest_cart_becomes_the_customers_on_sign_in(gql):
    product = await make_product(500, 10)
    cart_id = await cart_with(gql, (product, 2))
    _, token = await customer(gql, cart_id=cart_id)
    assert (await as_(gql, token).data(CART, {"id": cart_id}))["cart"]["lines"] == [{"quantity": 2}]
    assert (await gql.data(CART, {"id": cart_id}))["cart"] is None  # no longer a guest cart


async def test_who_may_read_an_order(gql):
    _, alice = await customer(gql)
    _, bob = await customer(gql)
    product = await make_product(800, 10)
    alices = (await checkout(as_(gql, alice), await cart_with(as_(gql, alice), (product, 1)), "pm_card_visa"))["order"]
    guests = (await checkout(gql, await cart_with(gql, (product, 1)), "pm_card_visa"))["order"]
    reader, writer = await api_key("orders:read"), await api_key("catalog:write")

    async def sees(client: GraphQLClient, order: dict) -> bool:
        return (await client.data(READ_ORDER, {"id": order["id"]}))["order"] is not None

    assert await sees(as_(gql, alice), alices) and await sees(as_(gql, reader), alices)
    assert not await sees(as_(gql, bob), alices) and not await sees(gql, alices)
    assert await sees(gql, guests) and await sees(as_(gql, bob), guests)  # the id is the key
    assert error_code(await as_(gql, writer)(READ_ORDER, {"id": alices["id"]})) == "FORBIDDEN"
    node = await as_(gql, bob).data("query($id: ID!) { node(id: $id) { id } }", {"id": alices["id"]})
    assert node["node"] is None


@pytest.mark.parametrize(
    "who, code",
    [("guest", "UNAUTHENTICATED"), ("customer", "FORBIDDEN"), ("no scope", "FORBIDDEN"),
     ("revoked", "UNAUTHENTICATED"), ("unknown", "UNAUTHENTICATED")],
)
async def test_nobody_but_an_orders_read_key_lists_orders(gql, who, code):
    token = {
        "guest": None,
        "customer": (await customer(gql))[1] if who == "customer" else None,
        "no scope": await api_key("catalog:write"),
        "revoked": await api_key("orders:read", revoked=True),
        "unknown": "sgk_" + "x" * 43,
    }[who]
    body = await as_(gql, token)(FEED, {"first": 5})
    assert body["data"] is None and error_code(body) == code


async def test_a_partner_polling_by_update_time_sees_every_change_once(gql):
    reader, writer = as_(gql, await api_key("orders:read")), as_(gql, await api_key("orders:write"))
    start = datetime.now(timezone.utc) - timedelta(seconds=1)
    product = await make_product(300, 50)
    made = [(await checkout(gql, await cart_with(gql, (product, 1)), "pm_card_visa"))["order"] for _ in range(5)]

    async def poll(cursor: str | None) -> tuple[list[tuple[str, str]], str | None]:
        seen, more = [], True
        while more:
            page = (await reader.data(FEED, {"first": 2, "after": cursor, "since": start.isoformat()}))["orders"]
            seen += [(o["id"], o["status"]) for o in page["nodes"] if o["id"] in {m["id"] for m in made}]
            cursor = page["pageInfo"]["endCursor"] or cursor
            more = page["pageInfo"]["hasNextPage"]
        return seen, cursor

    first_sync, cursor = await poll(None)
    assert first_sync == [(m["id"], "PAID") for m in made]

    for order in (made[3], made[1]):
        assert (await writer.data(FULFIL, {"id": order["id"]}))["orderMarkFulfilled"]["userErrors"] == []
    second_sync, cursor = await poll(cursor)
    assert second_sync == [(made[3]["id"], "FULFILLED"), (made[1]["id"], "FULFILLED")]
    assert (await poll(cursor))[0] == []  # nothing changed since

    only_fulfilled = (await reader.data(FEED, {"first": 50, "since": start.isoformat(), "status": ["FULFILLED"]}))
    assert {o["id"] for o in only_fulfilled["orders"]["nodes"]} >= {made[1]["id"], made[3]["id"]}
    assert not {o["id"] for o in only_fulfilled["orders"]["nodes"]} & {made[0]["id"], made[2]["id"]}


async def test_fulfilment_needs_orders_write_and_a_paid_order(gql):
    product = await make_product(300, 5)
    cart_id = await cart_with(gql, (product, 1))
    declined_token = "pm_card_chargeCustomerFail"
    failed = (await checkout(gql, cart_id, declined_token))["order"]
    paid = (await checkout(gql, cart_id, "pm_card_visa"))["order"]
    reader, writer = as_(gql, await api_key("orders:read")), as_(gql, await api_key("orders:write"))
    assert error_code(await reader(FULFIL, {"id": paid["id"]})) == "FORBIDDEN"
    assert error_code(await gql(FULFIL, {"id": paid["id"]})) == "UNAUTHENTICATED"
    refused = (await writer.data(FULFIL, {"id": failed["id"]}))["orderMarkFulfilled"]
    assert [e["code"] for e in refused["userErrors"]] == ["INVALID"]
    done = (await writer.data(FULFIL, {"id": paid["id"]}))["orderMarkFulfilled"]
    assert done == {"order": {"status": "FULFILLED"}, "userErrors": []}
    assert (await Order.get(id=key_of(paid["id"]))).status.name == "FULFILLED"


async def test_failed_logins_are_rate_limited_per_address_and_account(gql):
    email, _ = await customer(gql)  # a successful sign-in spends nothing
    codes = []
    for _ in range(12):
        body = await gql(LOGIN, {"e": email, "p": "wrong password"})
        codes.append(error_code(body) if "errors" in body else body["data"]["customerLogin"]["userErrors"][0]["code"])
    assert codes == ["UNIDENTIFIED_CUSTOMER"] * 10 + ["RATE_LIMITED"] * 2
    body = await gql(LOGIN, {"e": email, "p": "correct horse battery"})
    assert error_code(body) == "RATE_LIMITED"  # from this address, even the right password waits
    assert body["errors"][0]["extensions"]["retryAfter"] > 0


async def test_guessing_api_keys_is_rate_limited_per_address_but_valid_keys_pass(gql):
    good = await api_key("orders:read")
    for _ in range(20):
        assert error_code(await as_(gql, "sgk_guess" + uuid.uuid4().hex)(FEED, {"first": 1})) == "UNAUTHENTICATED"
    assert error_code(await as_(gql, "sgk_guess")(FEED, {"first": 1})) == "RATE_LIMITED"
    assert "errors" not in await as_(gql, good)(FEED, {"first": 1})  # a valid key always authenticates
    assert "errors" not in await gql("{ products(first: 1) { totalCount } }")  # guests are not held up
    stored = await ApiKey.get(key_hash=hash_secret(good))
    assert stored.last_used_at is not None
