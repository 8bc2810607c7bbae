"""Shared steps for tests that shop through the GraphQL API."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from graph.core.ids import from_global_id, to_global_id
from models import Product, ProductVariant
from tests.stripe_emulator import TEST_SECRET_KEY

ADD = """
mutation($cartId: ID, $productId: ID!, $quantity: Int!) {
  addToCart(cartId: $cartId, productId: $productId, quantity: $quantity) {
    cart { id } userErrors { code message }
  }
}
"""
ORDER_FIELDS = """
  id number status email
  subtotal { amount minorUnits currencyCode } total { amount minorUnits currencyCode }
  lines { title quantity unitPrice { minorUnits } total { minorUnits } product { slug } }
  payment { provider status amount { minorUnits } amountRefunded { minorUnits } cardBrand cardLast4 }
"""
CHECKOUT = """
mutation($input: CheckoutInput!) {
  checkout(input: $input) {
    order { %s }
    paymentAction { type clientSecret }
    userErrors { field message code }
  }
}
""" % ORDER_FIELDS
CONFIRM = """
mutation($orderId: ID!) {
  checkoutConfirm(orderId: $orderId) {
    order { %s }
    paymentAction { type clientSecret }
    userErrors { field message code }
  }
}
""" % ORDER_FIELDS
READ_ORDER = "query($id: ID!) { order(id: $id) { %s } }" % ORDER_FIELDS


async def make_product(price: int, stock: int, title: str = "Test Product", slug: str | None = None,
                       *, requires_shipping: bool = False, weight_grams: int = 0) -> Product:
    """A product with one (default) variant holding its price and stock; by default
    one that needs no delivery, so a checkout needs no address."""
    slug = slug or f"p-{uuid.uuid4().hex[:12]}"
    product = await Product.create(slug=slug, title=title, price=price, currency="USD")
    await ProductVariant.create(product_id=product.id, price=price, stock=stock,
                                requires_shipping=requires_shipping, weight_grams=weight_grams)
    return product


async def stock_of(product: Product) -> int:
    """Units in stock of all the product's variants."""
    return sum(await ProductVariant.filter(product_id=product.id).values_list("stock", flat=True))


async def set_stock(product: Product, stock: int) -> None:
    """Sets the stock of a single-variant product, behind the API's back."""
    await ProductVariant.filter(product_id=product.id).update(stock=stock)


async def cart_with(gql, *items: tuple[Product, int]) -> str:
    """A new cart holding `items`; returns its id."""
    cart_id = None
    for product, quantity in items:
        result = (await gql.data(ADD, {"cartId": cart_id, "productId": to_global_id("Product", product.id), "quantity": quantity}))
        assert result["addToCart"]["userErrors"] == [], result
        cart_id = result["addToCart"]["cart"]["id"]
    return cart_id


async def checkout(gql, cart_id: str, token: str, key: str | None = "new", email: str = "shopper@example.com") -> dict[str, Any]:
    variables = {"input": {"cartId": cart_id, "email": email, "paymentToken": token,
                           "idempotencyKey": uuid.uuid4().hex if key == "new" else key}}
    return (await gql.data(CHECKOUT, variables))["checkout"]


def key_of(global_id: str) -> str:
    return from_global_id(global_id)[1]


async def intents_of_order(stripe_url: str, order_id: str) -> list[dict[str, Any]]:
    """Every PaymentIntent localstripe holds that names this order."""
    found: list[dict[str, Any]] = []
    starting_after = None
    async with httpx.AsyncClient(base_url=stripe_url, headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"}) as http:
        while True:
            params: dict[str, Any] = {"limit": 100}
            if starting_after:
                params["starting_after"] = starting_after
            page = (await http.get("/v1/payment_intents", params=params)).raise_for_status().json()
            found += [pi for pi in page["data"] if (pi.get("metadata") or {}).get("order_id") == order_id]
            if not page.get("has_more") or not page["data"]:
                return found
            starting_after = page["data"][-1]["id"]


US_ADDRESS = {"firstName": "Ada", "lastName": "Lovelace", "address1": "1 Market St", "city": "San Francisco",
              "provinceCode": "CA", "zip": "94105", "countryCode": "US"}
_SHIP_TO = """mutation($c: ID!, $a: MailingAddressInput!) { cartShippingAddressUpdate(cartId: $c, address: $a) {
  cart { deliveryOptions { handle } } userErrors { code } } }"""
_DELIVER = """mutation($c: ID!, $h: String!) { cartSelectedDeliveryOptionUpdate(cartId: $c, handle: $h) {
  userErrors { code } } }"""


async def ship_to(gql, cart_id: str, address: dict[str, str] = US_ADDRESS) -> None:
    """Gives a cart that ships an address and its cheapest delivery option (the shop's zones must exist)."""
    answer = (await gql.data(_SHIP_TO, {"c": cart_id, "a": address}))["cartShippingAddressUpdate"]
    assert answer["userErrors"] == [] and answer["cart"]["deliveryOptions"], answer
    handle = answer["cart"]["deliveryOptions"][0]["handle"]
    assert (await gql.data(_DELIVER, {"c": cart_id, "h": handle}))["cartSelectedDeliveryOptionUpdate"]["userErrors"] == []
