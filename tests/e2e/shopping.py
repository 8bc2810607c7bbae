"""Buying over real HTTP, as a storefront does: a token made at the emulator,
`addToCart`, an address and a delivery option (`ship_cart`: the demo goods
ship), then `checkout`."""

from __future__ import annotations

from typing import Any

import time
from collections.abc import Callable

import httpx

from tests.shop import US_ADDRESS
from tests.stripe_emulator import TEST_SECRET_KEY

__all__ = ["ADD", "CHECKOUT", "card_token", "graphql", "buy", "product_ids", "ship_cart", "wait_until"]

ADD = "mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { cart { id } userErrors { code } } }"
CHECKOUT = (
    "mutation($i: CheckoutInput!) { checkout(input: $i) { order { id number status total { minorUnits } }"
    " userErrors { code message } } }"
)
SHIP_TO = (
    "mutation($c: ID!, $a: MailingAddressInput!) { cartShippingAddressUpdate(cartId: $c, address: $a) {"
    " cart { deliveryOptions { handle } } userErrors { field code message } } }"
)
DELIVER = (
    "mutation($c: ID!, $h: String!) { cartSelectedDeliveryOptionUpdate(cartId: $c, handle: $h) {"
    " cart { selectedDeliveryOption { handle } } userErrors { field code message } } }"
)
PRODUCTS = "{ products(first: 100) { nodes { id slug quantityAvailable price { minorUnits } } } }"


def card_token(stripe_url: str, number: str = "4242424242424242") -> str:
    response = httpx.post(
        f"{stripe_url}/v1/tokens",
        json={"card": {"number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"}},
        headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["id"]


def graphql(http: httpx.Client, base: str, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
    return http.post(f"{base}/graphql", json={"query": query, "variables": variables or {}}, timeout=60)


def _data(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]



def product_ids(base: str) -> list[str]:
    with httpx.Client() as http:
        nodes = _data(graphql(http, base, PRODUCTS))["products"]["nodes"]
    return [n["id"] for n in nodes if n["quantityAvailable"] > 0]


def ship_cart(http: httpx.Client, base: str, cart_id: str, address: dict[str, str] = US_ADDRESS) -> str:
    """Gives the cart `address` and the cheapest delivery option of its zone; returns that option's handle."""
    shipped = _data(graphql(http, base, SHIP_TO, {"c": cart_id, "a": address}))["cartShippingAddressUpdate"]
    assert shipped["userErrors"] == [] and shipped["cart"]["deliveryOptions"], shipped
    handle = shipped["cart"]["deliveryOptions"][0]["handle"]
    chosen = _data(graphql(http, base, DELIVER, {"c": cart_id, "h": handle}))["cartSelectedDeliveryOptionUpdate"]
    assert chosen["userErrors"] == [] and chosen["cart"]["selectedDeliveryOption"]["handle"] == handle, chosen
    return handle


def wait_until(done: Callable[[], bool], what: str, seconds: float = 60, failed: Callable[[], None] | None = None) -> None:
    """Waits for `done()`; after `seconds` fails saying `what` did not happen. `failed()` is called on each
    try to re-raise the error of a worker that died (say, a buyer thread), instead of waiting on it."""
    deadline = time.monotonic() + seconds
    while not done():
        if failed is not None:
            failed()
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f}s waiting for {what}")
        time.sleep(0.1)


def buy(http: httpx.Client, base: str, stripe_url: str, product_id: str, key: str, quantity: int = 1) -> dict[str, Any]:
    """One purchase: the `checkout` payload (order and userErrors)."""
    added = _data(graphql(http, base, ADD, {"p": product_id, "q": quantity}))["addToCart"]
    assert added["userErrors"] == [], added
    ship_cart(http, base, added["cart"]["id"])
    token = card_token(stripe_url)
    variables = {"i": {"cartId": added["cart"]["id"], "email": "buyer@example.com", "paymentToken": token,
                       "idempotencyKey": key}}
    return _data(graphql(http, base, CHECKOUT, variables))["checkout"]
