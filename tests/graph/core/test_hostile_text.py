"""Text fields as an attacker fills them: a NUL byte, other control characters, far too many characters.
Each is refused with INVALID and the path of the field, on SQLite and PostgreSQL, and nothing is
half-written (PostgreSQL would refuse a NUL later, somewhere else)."""

from __future__ import annotations

import pytest

from graph.core.ids import to_global_id
from models import Cart, Customer, ShippingZone, WebhookSubscription
from tests.graph.accounts.test_accounts import REGISTER, api_key, as_
from tests.graph.outbound.test_partner_webhooks import CREATE as WEBHOOK_CREATE
from tests.graph.checkout.test_shop_rules import ZONE_CREATE
from tests.graph.catalog.test_staff_catalog import CREATE as PRODUCT_CREATE
from tests.shop import make_product

ADDRESS = {"firstName": "Ada", "lastName": "Lovelace", "company": "Engines", "address1": "1 Main St",
           "address2": "Floor 2", "city": "New York", "provinceCode": "NY", "zip": "10001", "countryCode": "US",
           "phone": "+1 212 555 0100"}
SHIP = """mutation($c: ID!, $a: MailingAddressInput!) { cartShippingAddressUpdate(cartId: $c, address: $a) {
  cart { shippingAddress { city } } userErrors { field code } } }"""
BUYER = """mutation($c: ID!, $e: String) { cartBuyerIdentityUpdate(cartId: $c, email: $e) {
  cart { email } userErrors { field code } } }"""
CODES = """mutation($c: ID!, $codes: [String!]!) { cartDiscountCodesUpdate(cartId: $c, codes: $codes) {
  cart { discountCodes { code } } userErrors { field code } } }"""
CHECKOUT = """mutation($c: ID!, $e: String) { checkout(input: {cartId: $c, email: $e, paymentToken: "pm_card_visa"}) {
  order { id } userErrors { field code } } }"""
HOSTILE = {"NUL": "x\x00y", "bell": "x\x07", "escape": "\x1b[31mred", "DEL": "x\x7f", "C1": "x\x85",
           "new line": "x\ny", "too long": "x" * 300}


def refusals(payload: dict) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


@pytest.fixture
async def cart_id(gql):
    product = await make_product(500, 10)
    added = (await gql.data('mutation($p: ID!) { addToCart(productId: $p) { cart { id } } }',
                            {"p": to_global_id("Product", product.id)}))["addToCart"]
    return added["cart"]["id"]


@pytest.mark.parametrize("field", list(ADDRESS))
async def test_every_address_field_refuses_a_nul_and_control_characters(gql, database, cart_id, field):
    for name, value in HOSTILE.items():
        if field == "countryCode" and name == "too long":
            continue
        answer = (await gql.data(SHIP, {"c": cart_id, "a": {**ADDRESS, field: value}}))["cartShippingAddressUpdate"]
        assert refusals(answer) == [("INVALID", ["address", field])], (name, answer)
    assert await Cart.filter(shipping_address__not_isnull=True).count() == 0  # nothing half-written
    accepted = (await gql.data(SHIP, {"c": cart_id, "a": ADDRESS}))["cartShippingAddressUpdate"]
    assert accepted["userErrors"] == [] and accepted["cart"]["shippingAddress"]["city"] == "New York"
    await Cart.all().update(shipping_address=None)


async def test_emails_refuse_control_characters_and_length(gql, database, cart_id):
    for email in ["a\x00b@example.com", "ab@exam\x00ple.com", "ab@example.com\x00", "a\x1b@example.com",
                  "a" * 250 + "@example.com"]:
        answer = (await gql.data(BUYER, {"c": cart_id, "e": email}))["cartBuyerIdentityUpdate"]
        assert refusals(answer) == [("INVALID", ["email"])], email
        answer = (await gql.data(CHECKOUT, {"c": cart_id, "e": email}))["checkout"]
        assert refusals(answer) == [("INVALID", ["input", "email"])], email
        answer = (await gql.data(REGISTER, {"e": email, "p": "correct horse battery"}))["customerRegister"]
        assert refusals(answer) == [("INVALID", ["email"])], email
    assert await Customer.all().count() == 0


async def test_discount_codes_refuse_control_characters_and_length(gql, database, cart_id):
    for codes, path in [(["WELCOME\x0010"], ["codes", "0"]), (["OK", "BAD\x07"], ["codes", "1"]),
                        (["X" * 65], ["codes", "0"])]:
        answer = (await gql.data(CODES, {"c": cart_id, "codes": codes}))["cartDiscountCodesUpdate"]
        assert refusals(answer) == [("INVALID", path)], codes


async def test_staff_text_refuses_control_characters(gql, database):
    staff = as_(gql, await api_key("catalog:write", "shop:write", "webhooks:write", "orders:read"))
    for title in ["Shirt\x00", "Shirt\x1b"]:
        made = (await staff.data(PRODUCT_CREATE, {"input": {"slug": "nul-shirt", "title": title}}))["productCreate"]
        assert refusals(made) == [("INVALID", ["input", "title"])], title
    made = (await staff.data(PRODUCT_CREATE, {"input": {"slug": "nul-shirt", "title": "Shirt",
                                                        "description": "a\x00b"}}))["productCreate"]
    assert refusals(made) == [("INVALID", ["input", "description"])]
    made = (await staff.data(PRODUCT_CREATE, {"input": {"slug": "lines-shirt", "title": "Shirt",
                                                        "price": "5.00", "description": "Linen.\r\n\tWashes well."}}))["productCreate"]
    assert made["userErrors"] == []
    zone = {"name": "Nul\x00zone", "countries": ["IS"], "rates": [{"handle": "std", "title": "Std", "price": "1"}]}
    made = (await staff.data(ZONE_CREATE, {"input": zone}))["shippingZoneCreate"]
    assert made["userErrors"] and made["userErrors"][0]["code"] == "INVALID"
    assert await ShippingZone.filter(name__contains="zone").count() == 0
    for url in ["https://partner.example.com/hook\x00", "https://partner.example.com/\x0d\x0aX-Evil: 1",
                "https://partner.example.com/" + "a" * 3000]:
        made = (await staff.data(WEBHOOK_CREATE, {"url": url, "topics": ["ORDER_PAID"]}))["webhookSubscriptionCreate"]
        assert [(e["code"], e["field"]) for e in made["userErrors"]] == [("INVALID", ["url"])], url
    assert await WebhookSubscription.all().count() == 0
