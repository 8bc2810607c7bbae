"""Buying over real HTTP, as a storefront does: a token made at the emulator,
`addToCart`, then `checkout`."""

from __future__ import annotations

from typing import Any

import httpx

from tests.stripe_emulator import TEST_SECRET_KEY

__all__ = ["ADD", "CHECKOUT", "card_token", "graphql", "buy", "product_ids", "ship"]

ADD = "mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { cart { id } userErrors { code } } }"
CHECKOUT = (
    "mutation($i: CheckoutInput!) { checkout(input: $i) { order { id number status total { minorUnits } }"
    " userErrors { code message } } }"
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


SHIP_TO = """mutation($c: ID!, $a: MailingAddressInput!) { cartShippingAddressUpdate(cartId: $c, address: $a) {
  cart { deliveryOptions { handle } } userErrors { code } } }"""
DELIVER = """mutation($c: ID!, $h: String!) { cartSelectedDeliveryOptionUpdate(cartId: $c, handle: $h) {
  userErrors { code } } }"""


def ship(base: str, cart_id: str) -> None:
    """Gives the cart a US address and its first delivery option, as checkout requires."""
    from tests.shop import US_ADDRESS

    with httpx.Client() as http:
        answer = _data(graphql(http, base, SHIP_TO, {"c": cart_id, "a": US_ADDRESS}))["cartShippingAddressUpdate"]
        assert answer["userErrors"] == [] and answer["cart"]["deliveryOptions"], answer
        handle = answer["cart"]["deliveryOptions"][0]["handle"]
        chosen = _data(graphql(http, base, DELIVER, {"c": cart_id, "h": handle}))["cartSelectedDeliveryOptionUpdate"]
        assert chosen["userErrors"] == [], chosen


def product_ids(base: str) -> list[str]:
    with httpx.Client() as http:
        nodes = _data(graphql(http, base, PRODUCTS))["products"]["nodes"]
    return [n["id"] for n in nodes if n["quantityAvailable"] > 0]


def buy(http: httpx.Client, base: str, stripe_url: str, product_id: str, key: str, quantity: int = 1) -> dict[str, Any]:
    """One purchase: the `checkout` payload (order and userErrors)."""
    added = _data(graphql(http, base, ADD, {"p": product_id, "q": quantity}))["addToCart"]
    assert added["userErrors"] == [], added
    ship(base, added["cart"]["id"])
    token = card_token(stripe_url)
    variables = {"i": {"cartId": added["cart"]["id"], "email": "buyer@example.com", "paymentToken": token,
                       "idempotencyKey": key}}
    return _data(graphql(http, base, CHECKOUT, variables))["checkout"]
