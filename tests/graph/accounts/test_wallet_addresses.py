"""Saved addresses (DESIGN §13), through the public GraphQL API, on SQLite and PostgreSQL:
a returning buyer's new cart starts with their default address, and nobody reaches
another buyer's addresses."""

from __future__ import annotations

import pytest

from commerce.wallet import MAX_ADDRESSES
from tests.conftest import GraphQLClient
from tests.graph.accounts.test_accounts import as_, customer, error_code
from tests.shop import US_ADDRESS, cart_with, make_product

CREATE = """mutation($a: MailingAddressInput!, $d: Boolean! = false) {
  customerAddressCreate(address: $a, setAsDefault: $d) {
    customerAddress { id isDefault address { city zip provinceCode countryCode } }
    userErrors { field code message } } }"""
UPDATE = """mutation($id: ID!, $a: MailingAddressInput!) { customerAddressUpdate(id: $id, address: $a) {
  customerAddress { id address { city } } userErrors { field code } } }"""
DELETE = """mutation($id: ID!) { customerAddressDelete(id: $id) { deletedAddressId userErrors { field code } } }"""
SET_DEFAULT = """mutation($id: ID!) { customerDefaultAddressUpdate(addressId: $id) {
  customerAddress { id isDefault } userErrors { field code } } }"""
MINE = """{ me { addresses { id isDefault address { city } } defaultAddress { id address { city zip } } } }"""
CART = """query($id: ID!) { cart(id: $id) { shippingAddress { city zip provinceCode countryCode }
  deliveryOptions { handle } } }"""

TORONTO = {"firstName": "Grace", "lastName": "Hopper", "address1": "100 Queen St W", "city": "Toronto",
           "provinceCode": "ON", "zip": "M5H 2N2", "countryCode": "CA"}


async def signed_in(gql: GraphQLClient) -> GraphQLClient:
    return as_(gql, (await customer(gql))[1])


async def save(buyer: GraphQLClient, address: dict, default: bool = False) -> dict:
    answer = (await buyer.data(CREATE, {"a": address, "d": default}))["customerAddressCreate"]
    assert answer["userErrors"] == [], answer
    return answer["customerAddress"]


async def test_a_returning_buyers_new_cart_starts_with_their_default_address(gql):
    buyer = await signed_in(gql)
    product = await make_product(1500, 5, requires_shipping=True)

    first = await save(buyer, US_ADDRESS)
    second = await save(buyer, TORONTO)
    mine = (await buyer.data(MINE))["me"]
    assert [(a["id"], a["isDefault"]) for a in mine["addresses"]] == [(first["id"], True), (second["id"], False)]
    assert mine["defaultAddress"]["address"] == {"city": "San Francisco", "zip": "94105"}

    cart = (await buyer.data(CART, {"id": await cart_with(buyer, (product, 1))}))["cart"]
    assert cart["shippingAddress"] == {"city": "San Francisco", "zip": "94105", "provinceCode": "CA",
                                       "countryCode": "US"}

    changed = (await buyer.data(SET_DEFAULT, {"id": second["id"]}))["customerDefaultAddressUpdate"]
    assert changed == {"customerAddress": {"id": second["id"], "isDefault": True}, "userErrors": []}
    cart = (await buyer.data(CART, {"id": await cart_with(buyer, (product, 1))}))["cart"]
    assert cart["shippingAddress"]["city"] == "Toronto"

    guest_cart = (await gql.data(CART, {"id": await cart_with(gql, (product, 1))}))["cart"]
    assert guest_cart["shippingAddress"] is None


async def test_updating_and_deleting_the_default_address(gql):
    buyer = await signed_in(gql)
    first = await save(buyer, US_ADDRESS)
    second = await save(buyer, TORONTO)
    third = await save(buyer, {**US_ADDRESS, "city": "Oakland", "zip": "94607"}, default=True)
    assert third["isDefault"] is True

    updated = (await buyer.data(UPDATE, {"id": first["id"], "a": {**US_ADDRESS, "city": "Berkeley",
                                                                   "zip": "94704"}}))["customerAddressUpdate"]
    assert updated == {"customerAddress": {"id": first["id"], "address": {"city": "Berkeley"}}, "userErrors": []}

    assert (await buyer.data(DELETE, {"id": third["id"]}))["customerAddressDelete"] == {
        "deletedAddressId": third["id"], "userErrors": []}
    mine = (await buyer.data(MINE))["me"]
    assert [a["id"] for a in mine["addresses"]] == [first["id"], second["id"]]
    assert mine["defaultAddress"]["id"] == first["id"]  # the oldest one left

    for address in (first, second):
        await buyer.data(DELETE, {"id": address["id"]})
    assert (await buyer.data(MINE))["me"] == {"addresses": [], "defaultAddress": None}


@pytest.mark.parametrize("change, field", [
    ({"zip": "ABCDE"}, ["address", "zip"]),
    ({"provinceCode": None}, ["address", "provinceCode"]),
    ({"countryCode": "XX"}, ["address", "countryCode"]),
    ({"address1": "1 Main St\x00"}, ["address", "address1"]),
    ({"city": "x" * 300}, ["address", "city"]),
])
async def test_saved_addresses_are_checked_like_a_carts(gql, change, field):
    buyer = await signed_in(gql)
    answer = (await buyer.data(CREATE, {"a": {**US_ADDRESS, **change}}))["customerAddressCreate"]
    assert answer["customerAddress"] is None
    assert [(e["code"], e["field"]) for e in answer["userErrors"]] == [("INVALID", field)]
    assert (await buyer.data(MINE))["me"]["addresses"] == []


async def test_a_buyer_cannot_see_or_change_another_buyers_addresses(gql):
    alice, bob = await signed_in(gql), await signed_in(gql)
    hers = await save(alice, US_ADDRESS)
    await save(bob, TORONTO)

    assert [a["address"]["city"] for a in (await bob.data(MINE))["me"]["addresses"]] == ["Toronto"]
    for query, variables, name in [
        (UPDATE, {"id": hers["id"], "a": TORONTO}, "customerAddressUpdate"),
        (DELETE, {"id": hers["id"]}, "customerAddressDelete"),
        (SET_DEFAULT, {"id": hers["id"]}, "customerDefaultAddressUpdate"),
        (DELETE, {"id": "not-an-id"}, "customerAddressDelete"),
    ]:
        answer = (await bob.data(query, variables))[name]
        assert [e["code"] for e in answer["userErrors"]] == ["NOT_FOUND"], (name, answer)

    mine = (await alice.data(MINE))["me"]
    assert mine["addresses"] == [{"id": hers["id"], "isDefault": True, "address": {"city": "San Francisco"}}]
    assert mine["defaultAddress"]["id"] == hers["id"]


async def test_guests_have_no_wallet(gql):
    body = await gql(CREATE, {"a": US_ADDRESS})
    assert error_code(body) == "UNAUTHENTICATED"



async def test_at_most_fifty_addresses(gql):
    buyer = await signed_in(gql)
    for _ in range(MAX_ADDRESSES):
        await save(buyer, US_ADDRESS)
    answer = (await buyer.data(CREATE, {"a": TORONTO}))["customerAddressCreate"]
    assert [(e["code"], e["field"]) for e in answer["userErrors"]] == [("INVALID", ["address"])]
    assert len((await buyer.data(MINE))["me"]["addresses"]) == MAX_ADDRESSES
