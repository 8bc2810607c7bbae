"""Throttles an attacker cannot turn against the shop's users, through the GraphQL API.

The app sits behind a trusted proxy (127.0.0.0/8, the test client's address), so
each test plays its clients from addresses of its own through `X-Forwarded-For`.
On PostgreSQL the attempts are counted in the database (`DatabaseStore`), where
every server process sees them; SQLite's single process counts in memory.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

import httpx
import pytest

from commerce import throttle
from graph.core.forwarded import parse_networks
from models import DiscountCode, DiscountKind
from shopgraph.app import create_app
from shopgraph.settings import Settings
from tests.conftest import GraphQLClient
from tests.graph.accounts.test_accounts import FEED, LOGIN, REGISTER, api_key
from tests.shop import cart_with, make_product

CODES = """mutation($c: ID!, $codes: [String!]!) { cartDiscountCodesUpdate(cartId: $c, codes: $codes) {
  cart { discountCodes { code applicable } cost { discount { amount } } } userErrors { field code } } }"""
CART_CODES = "query($id: ID!) { cart(id: $id) { discountCodes { code applicable } } }"
ME = "{ me { email } }"


@pytest.fixture(scope="module")
def settings(database: str) -> Settings:
    return Settings(database_url=database, response_cache=False, trusted_proxies=parse_networks("127.0.0.0/8"))


@pytest.fixture(scope="module", autouse=True)
def shared_store(database: str):
    """PostgreSQL counts in the database, as the server does there (shopgraph.app)."""
    throttle.use_store(throttle.DatabaseStore() if database.startswith("postgres") else None)
    yield
    throttle.use_store(None)


def client_at(gql: GraphQLClient, address: str, token: str | None = None) -> GraphQLClient:
    """A client at `address`, as the trusted proxy reports it."""
    headers = {"x-forwarded-for": address}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return GraphQLClient(gql.http, headers=headers)


def new_address() -> str:
    """An IPv6 client of a /64 of its own (throttles count a whole /64 as one client)."""
    return f"2001:db8:{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}::{uuid.uuid4().hex[:4]}"


def code_of(body: dict) -> str | None:
    return body["errors"][0]["extensions"]["code"] if body.get("errors") else None


async def test_a_valid_key_still_works_after_100_bad_tokens_from_its_address(gql):
    address = new_address()
    good = await api_key("orders:read")
    codes = [code_of(await client_at(gql, address, f"sgk_guess{i}")(FEED, {"first": 1})) for i in range(100)]
    assert codes == ["UNAUTHENTICATED"] * 20 + ["RATE_LIMITED"] * 80
    assert "errors" not in await client_at(gql, address, good)(FEED, {"first": 1})
    assert code_of(await client_at(gql, new_address(), "sgk_guess")(FEED, {"first": 1})) == "UNAUTHENTICATED"


async def test_an_ipv6_client_picking_a_new_address_in_its_64_for_each_guess_is_still_counted(gql):
    network = new_address().rpartition("::")[0]
    codes = [code_of(await client_at(gql, f"{network}:{i:x}:{i:x}:{i:x}:{i:x}", f"sgk_guess{i}")(FEED, {"first": 1}))
             for i in range(21)]
    assert codes == ["UNAUTHENTICATED"] * 20 + ["RATE_LIMITED"]
    assert code_of(await client_at(gql, new_address(), "sgk_guess")(FEED, {"first": 1})) == "UNAUTHENTICATED"


async def test_a_valid_session_still_works_after_bad_tokens_from_its_address(gql):
    address = new_address()
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    await client_at(gql, new_address()).data(REGISTER, {"e": email, "p": "correct horse battery"})
    login = await client_at(gql, new_address()).data(LOGIN, {"e": email, "p": "correct horse battery"})
    for i in range(25):
        await client_at(gql, address, f"sgc_guess{i}")(ME)
    assert await client_at(gql, address, login["customerLogin"]["sessionToken"]).data(ME) == {"me": {"email": email}}


async def _login(client: GraphQLClient, email: str, password: str) -> str:
    body = await client(LOGIN, {"e": email, "p": password})
    if body.get("errors"):
        return code_of(body)
    result = body["data"]["customerLogin"]
    return "SIGNED_IN" if result["sessionToken"] else result["userErrors"][0]["code"]


async def test_guessing_a_password_never_locks_out_its_owner_nor_other_accounts(gql):
    owner, other = (f"{uuid.uuid4().hex[:8]}@example.com" for _ in range(2))
    for email in (owner, other):
        await client_at(gql, new_address()).data(REGISTER, {"e": email, "p": "correct horse battery"})
    attacker = client_at(gql, new_address())
    guesses = [await _login(attacker, owner.upper(), f"guess {i}") for i in range(12)]  # any spelling of the email
    assert guesses == ["UNIDENTIFIED_CUSTOMER"] * 10 + ["RATE_LIMITED"] * 2
    assert await _login(attacker, owner, "correct horse battery") == "RATE_LIMITED"  # this address, this account
    assert await _login(client_at(gql, new_address()), owner, "correct horse battery") == "SIGNED_IN"
    assert await _login(attacker, other, "correct horse battery") == "SIGNED_IN"


async def test_one_address_trying_many_accounts_is_limited_too(gql):
    """Password spraying, or made-up emails that each cost a password hash: 30 failures a
    minute per address, whatever the accounts; another address is not held up."""
    sprayer = client_at(gql, new_address())
    tries = [await _login(sprayer, f"{uuid.uuid4().hex[:8]}@example.com", "Summer2026!") for _ in range(31)]
    assert tries == ["UNIDENTIFIED_CUSTOMER"] * 30 + ["RATE_LIMITED"]
    assert await _login(client_at(gql, new_address()), "nobody@example.com", "x" * 8) == "UNIDENTIFIED_CUSTOMER"


async def test_signing_in_does_not_spend_the_allowance(gql):
    email, address = f"{uuid.uuid4().hex[:8]}@example.com", new_address()
    await client_at(gql, new_address()).data(REGISTER, {"e": email, "p": "correct horse battery"})
    outcomes = {await _login(client_at(gql, address), email, "correct horse battery") for _ in range(15)}
    assert outcomes == {"SIGNED_IN"}


async def _cart(gql: GraphQLClient) -> str:
    return await cart_with(gql, (await make_product(5000, 5), 1))


async def _known_code() -> str:
    code = f"REAL{uuid.uuid4().hex[:8].upper()}"
    await DiscountCode.create(code=code, kind=DiscountKind.PERCENTAGE, value=1000)
    return code


def _guesses(n: int) -> list[str]:
    return [f"GUESS{uuid.uuid4().hex[:10].upper()}" for _ in range(n)]


async def test_the_11th_unknown_code_on_a_cart_is_rate_limited_and_the_cart_keeps_its_codes(gql):
    shopper = client_at(gql, new_address())
    cart_id, known = await _cart(shopper), await _known_code()
    first, second = _guesses(5), _guesses(5)
    for codes in (first, second):
        result = (await shopper.data(CODES, {"c": cart_id, "codes": codes}))["cartDiscountCodesUpdate"]
        assert result["userErrors"] == [] and len(result["cart"]["discountCodes"]) == 5
    assert (await shopper.data(CODES, {"c": cart_id, "codes": second}))["cartDiscountCodesUpdate"]["userErrors"] == []
    # Another address on the same cart: the cart's allowance is spent.
    refused = await client_at(gql, new_address())(CODES, {"c": cart_id, "codes": [*second[:4], *_guesses(1)]})
    assert code_of(refused) == "RATE_LIMITED" and refused["errors"][0]["extensions"]["retryAfter"] > 0
    listed = (await shopper.data(CART_CODES, {"id": cart_id}))["cart"]["discountCodes"]
    assert [c["code"] for c in listed] == second  # unchanged
    result = (await shopper.data(CODES, {"c": cart_id, "codes": [known]}))["cartDiscountCodesUpdate"]
    assert result["cart"]["discountCodes"] == [{"code": known, "applicable": True}]
    assert result["cart"]["cost"]["discount"]["amount"] == "5.00"


async def test_the_31st_unknown_code_from_one_address_is_rate_limited(gql):
    shopper = client_at(gql, new_address())
    for _ in range(3):
        cart_id = await _cart(shopper)
        for codes in (_guesses(5), _guesses(5)):
            assert (await shopper.data(CODES, {"c": cart_id, "codes": codes}))["cartDiscountCodesUpdate"]["userErrors"] == []
    cart_id, known = await _cart(shopper), await _known_code()
    assert code_of(await shopper(CODES, {"c": cart_id, "codes": _guesses(1)})) == "RATE_LIMITED"
    assert code_of(await shopper(CODES, {"c": cart_id, "codes": [known, *_guesses(1)]})) == "RATE_LIMITED"
    result = (await shopper.data(CODES, {"c": cart_id, "codes": [known.lower()]}))["cartDiscountCodesUpdate"]
    assert result["cart"]["discountCodes"] == [{"code": known, "applicable": True}]
    other = client_at(gql, new_address())  # another shopper is not held up
    assert (await other.data(CODES, {"c": await _cart(other), "codes": _guesses(1)}))["cartDiscountCodesUpdate"]["userErrors"] == []


async def test_more_than_10_codes_in_one_request_are_invalid(gql):
    shopper = client_at(gql, new_address())
    cart_id = await _cart(shopper)
    result = (await shopper.data(CODES, {"c": cart_id, "codes": ["SAME"] * 11}))["cartDiscountCodesUpdate"]
    assert result == {"cart": None, "userErrors": [{"field": ["codes"], "code": "INVALID"}]}


async def test_x_forwarded_for_is_honoured_only_from_a_trusted_proxy(gql, settings, gateway):
    behind_proxy = client_at(gql, f"203.0.113.9, {new_address()}")  # the client wrote the left entry itself
    for i in range(20):
        assert code_of(await GraphQLClient(gql.http, {**behind_proxy.headers, "authorization": f"Bearer bad{i}"})(ME))
    spoofed = GraphQLClient(gql.http, {"x-forwarded-for": "203.0.113.9", "authorization": "Bearer bad"})
    assert code_of(await spoofed(ME)) == "UNAUTHENTICATED"  # 203.0.113.9 was never the one counted
    app = create_app(replace(settings, trusted_proxies=()), gateway=gateway, manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("198.51.100.20", 4000)),
                                 base_url="http://shopgraph.test") as direct:
        codes = [code_of(await GraphQLClient(direct, {"x-forwarded-for": new_address(),
                                                      "authorization": f"Bearer bad{i}"})(ME)) for i in range(21)]
    assert codes == ["UNAUTHENTICATED"] * 20 + ["RATE_LIMITED"]  # a made-up X-Forwarded-For changes nothing


@pytest.mark.parametrize("forwarded_for, expected", [
    ("198.51.100.7", "198.51.100.7"),
    ("203.0.113.9, 198.51.100.7", "198.51.100.7"),
    ("198.51.100.7, 127.0.0.5", "198.51.100.7"),  # a second trusted proxy in the chain
    ("not-an-address, 198.51.100.7", "198.51.100.7"),
    ("198.51.100.7, garbage", "127.0.0.1"),  # garbage is never believed, nor anything left of it
    ("[2001:db8::1]:443", "2001:db8::1"),
    ("198.51.100.7:8080", "198.51.100.7"),
    ("::ffff:198.51.100.7", "198.51.100.7"),
    ("unknown", "127.0.0.1"),
    ("\x00" * 1000, "127.0.0.1"),
    ("," * 10_000, "127.0.0.1"),
    ("127.0.0.9", "127.0.0.9"),  # only trusted proxies: the farthest of them
])
def test_the_client_address_from_a_trusted_proxy(forwarded_for, expected):
    from graph.core.forwarded import client_address

    assert client_address("127.0.0.1", [forwarded_for], parse_networks("127.0.0.0/8")) == expected
    assert client_address("192.0.2.1", [forwarded_for], parse_networks("127.0.0.0/8")) == "192.0.2.1"
