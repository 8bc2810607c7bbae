"""Persisted queries, ETags and the response cache for anonymous catalog reads."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import httpx
import pytest

from commerce.outbound import notices
from models import Product
from payments.stripe_gateway import StripeGateway
from shopgraph.app import create_app
from tests.conftest import GraphQLClient
from tests.fault_proxy import Fault
from tests.graph.accounts.test_accounts import api_key
from tests.shop import cart_with, checkout, make_product
from tests.stripe_emulator import TEST_SECRET_KEY

QUERY = "query($slug: String!) { product(slug: $slug) { title price { amount } quantityAvailable } }"
DIGEST = hashlib.sha256(QUERY.encode()).hexdigest()


def apq(digest: str = DIGEST) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


@pytest.fixture(scope="module")
async def cached(settings, gateway):
    """The app with its response cache on, its notices wired as the server wires them."""
    app = create_app(replace(settings, response_cache=True), gateway=gateway, manage_db=False)
    notices.set_publisher(app.state.bus)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as http:
            yield http
    finally:
        notices.set_publisher(None)
        await app.state.bus.stop()


async def test_a_persisted_query_is_registered_once_then_sent_by_hash_over_get(http):
    product = await make_product(1234, 3, "Persisted Pot")
    params = {"variables": json.dumps({"slug": product.slug}), "extensions": json.dumps(apq())}
    unknown = (await http.get("/graphql", params=params)).json()
    assert unknown["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

    registered = await http.post("/graphql", json={"query": QUERY, "variables": {"slug": product.slug}, "extensions": apq()})
    assert registered.json()["data"]["product"]["title"] == "Persisted Pot"
    by_hash = await http.get("/graphql", params=params)
    assert by_hash.status_code == 200 and by_hash.json() == registered.json()


async def test_a_hash_that_does_not_match_its_query_is_refused(http):
    response = await http.post("/graphql", json={"query": "{ __typename }", "extensions": apq("0" * 64)})
    assert response.status_code == 400 and response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_anonymous_catalog_reads_carry_an_etag_and_revalidate_with_304(http):
    product = await make_product(990, 2, "Etag Egg Cup")
    params = {"query": QUERY, "variables": json.dumps({"slug": product.slug})}
    first = await http.get("/graphql", params=params)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, no-cache"
    again = await http.get("/graphql", params=params, headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""

    await Product.filter(id=product.id).update(price=1090)
    changed = await http.get("/graphql", params=params, headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["data"]["product"]["price"]["amount"] == "10.90"


async def test_reads_with_credentials_or_of_carts_get_no_etag(http):
    key = await api_key("orders:read")
    signed = await http.get("/graphql", params={"query": "{ products(first: 1) { totalCount } }"},
                            headers={"authorization": f"Bearer {key}"})
    assert signed.status_code == 200 and "etag" not in signed.headers
    cart = await http.get("/graphql", params={"query": '{ cart(id: "x") { id } }'})
    assert "etag" not in cart.headers


async def test_the_response_cache_answers_repeats_without_sql_and_forgets_on_change(cached, sql_statements):
    product = await make_product(2000, 5, "Cached Candle")
    body = {"query": QUERY, "variables": {"slug": product.slug}}
    assert (await cached.post("/graphql", json=body)).json()["data"]["product"]["price"]["amount"] == "20.00"
    sql_statements.clear()
    assert (await cached.post("/graphql", json=body)).json()["data"]["product"]["price"]["amount"] == "20.00"
    assert sql_statements == []  # served from the cache

    staff = {"authorization": f"Bearer {await api_key('catalog:write')}"}
    update = """mutation($id: ID!) { productUpdate(id: $id, input: {price: "25.00"}) { userErrors { code } } }"""
    gid = (await cached.post("/graphql", json={"query": "query($s: String!) { product(slug: $s) { id } }",
                                                "variables": {"s": product.slug}})).json()["data"]["product"]["id"]
    assert (await cached.post("/graphql", json={"query": update, "variables": {"id": gid}}, headers=staff)).json()[
        "data"]["productUpdate"]["userErrors"] == []
    assert (await cached.post("/graphql", json=body)).json()["data"]["product"]["price"]["amount"] == "25.00"


async def test_a_sale_empties_the_cache_so_stock_is_current(cached, gql):
    product = await make_product(700, 4, "Cached Cup")
    body = {"query": QUERY, "variables": {"slug": product.slug}}
    assert (await cached.post("/graphql", json=body)).json()["data"]["product"]["quantityAvailable"] == 4
    paid = await checkout(gql, await cart_with(gql, (product, 3)), "pm_card_visa")
    assert paid["order"]["status"] == "PAID"
    assert (await cached.post("/graphql", json=body)).json()["data"]["product"]["quantityAvailable"] == 1


async def test_stock_held_by_an_unsettled_checkout_shows_at_once(settings, cached, fault_proxy):
    """Stripe does not answer the confirm: the order stays PENDING_PAYMENT and
    keeps its stock, and the cached catalog must already show that stock gone."""
    gateway = StripeGateway(TEST_SECRET_KEY, api_base=fault_proxy.url, max_network_retries=0)
    app = create_app(settings, gateway=gateway, manage_db=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p") as http:
            shopper = GraphQLClient(http)
            product = await make_product(650, 5, "Pending Plate")
            body = {"query": QUERY, "variables": {"slug": product.slug}}
            assert (await cached.post("/graphql", json=body)).json()["data"]["product"]["quantityAvailable"] == 5
            fault_proxy.arm("POST", r"/v1/payment_intents/[^/]+/confirm", Fault.ERROR_500, forward=False)
            fault_proxy.arm("GET", r"/v1/payment_intents/[^/]+", Fault.ERROR_500, forward=False)
            result = await checkout(shopper, await cart_with(shopper, (product, 2)), "pm_card_visa")
            assert result["order"]["status"] == "PENDING_PAYMENT"
            assert (await cached.post("/graphql", json=body)).json()["data"]["product"]["quantityAvailable"] == 3
    finally:
        await gateway.aclose()
