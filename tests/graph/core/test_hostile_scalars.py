"""`Decimal` and `DateTime` as an attacker sends them: huge exponents, NaN, other scripts' digits,
amounts that overflow a money column, years outside 1..9999. Each is a typed answer (BAD_USER_INPUT at
the top level, or INVALID with the field path), never INTERNAL_SERVER_ERROR, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.graph.accounts.test_accounts import api_key, as_
from tests.graph.checkout.test_shop_rules import CODE_CREATE, TAX_SET, ZONE_CREATE
from tests.graph.catalog.test_staff_catalog import CREATE as PRODUCT_CREATE

HOSTILE_DECIMALS = [
    "1e600000", "1e30", "1E2", "NaN", "-nan", "Infinity", "-Infinity", "sNaN", " 1", "1 ", "+1", "1.", ".5",
    "1_000", "0x10", "١٢٣", "²", "１２", "12\x00", "", "-", "1234567890123456789", "9" * 60_000,
]
PRICE_FILTER = "query($min: Decimal) { products(first: 5, filters: {price: {min: $min}}) { totalCount } }"
ORDERS_SINCE = "query($since: DateTime) { orders(first: 1, updatedSince: $since) { nodes { id } } }"


def top_level_codes(body: dict) -> list[str]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


@pytest.mark.parametrize("text", HOSTILE_DECIMALS, ids=lambda t: repr(t[:12]))
async def test_a_hostile_decimal_in_a_variable_is_bad_user_input(gql, database, text):
    response = await gql.post(PRICE_FILTER, {"min": text})
    assert response.status_code in (200, 400), response.text
    assert top_level_codes(response.json()) == ["BAD_USER_INPUT"], response.text


@pytest.mark.parametrize("literal", ['"1e600000"', '"1e30"', '"NaN"', '"Infinity"', '"١٢"', "1e600000", "1.5e3",
                                     "true", "[1]"])
async def test_a_hostile_decimal_literal_is_bad_user_input(gql, database, literal):
    response = await gql.post("{ products(first: 5, filters: {price: {min: %s}}) { totalCount } }" % literal)
    codes = top_level_codes(response.json())
    assert codes and set(codes) <= {"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"}, response.text
    assert "INTERNAL_SERVER_ERROR" not in response.text


async def test_ten_huge_exponents_in_one_request_are_refused_at_once(gql, database):
    aliases = " ".join('a%d: products(first: 5, filters: {price: {min: "1e600000"}}) { totalCount }' % i
                       for i in range(10))
    body = (await gql.post("{ %s }" % aliases)).json()
    assert top_level_codes(body) and set(top_level_codes(body)) == {"BAD_USER_INPUT"}, body


async def test_plain_decimals_still_filter_and_an_overflowing_bound_is_refused(gql, database):
    for text in ["19.99", "0", "-5", "0019.990", "21474836.47"]:
        body = await gql(PRICE_FILTER, {"min": text})
        assert "errors" not in body, (text, body)
    for text in ["21474836.48", "99999999999999999", "0.001"]:  # beyond a 32-bit column of cents; a tenth of a cent
        assert top_level_codes(await gql(PRICE_FILTER, {"min": text})) == ["BAD_USER_INPUT"], text


@pytest.fixture
async def shop_staff(gql):
    return as_(gql, await api_key("shop:write", "catalog:write", "orders:read"))


async def test_money_beyond_its_column_is_invalid_with_the_field_path(shop_staff, database):
    zone = {"name": "Far", "countries": ["IS"], "rates": [{"handle": "std", "title": "Std", "price": "50000000"}]}
    made = (await shop_staff.data(ZONE_CREATE, {"input": zone}))["shippingZoneCreate"]
    assert [(e["code"], e["field"]) for e in made["userErrors"]] == [("INVALID", ["input", "rates", "0", "price"])]
    code = {"code": "HUGE-OFF", "kind": "FIXED_AMOUNT", "value": "99999999999.99"}
    made = (await shop_staff.data(CODE_CREATE, {"input": code}))["discountCodeCreate"]
    assert [(e["code"], e["field"]) for e in made["userErrors"]] == [("INVALID", ["input", "value"])]
    product = {"slug": "too-dear", "title": "Too dear", "variants": [{"price": "123456789012345678", "stock": 1}]}
    made = (await shop_staff.data(PRODUCT_CREATE, {"input": product}))["productCreate"]
    assert made["userErrors"] and made["userErrors"][0]["code"] == "INVALID", made


async def test_a_hostile_percentage_is_refused(shop_staff, database):
    for rate in ["1e30", "NaN", "1e-30"]:
        body = await shop_staff(TAX_SET, {"c": "US", "p": "CA", "r": rate, "t": "Tax", "s": False})
        assert top_level_codes(body) == ["BAD_USER_INPUT"], (rate, body)
    body = await shop_staff(TAX_SET, {"c": "US", "p": "CA", "r": "123456789012345678", "t": "Tax", "s": False})
    assert body["data"]["taxRateSet"]["userErrors"][0]["code"] == "INVALID", body


@pytest.mark.parametrize("since", [
    "0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "2026-13-01T00:00:00Z", "2026-02-30", "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00", "tomorrow", "2026-01-01T00:00:00\x00", "２０２６-01-01", "2026-01-01T" + "0" * 60_000,
    "1e600000",
])
async def test_a_hostile_date_time_is_bad_user_input(shop_staff, database, since):
    response = await shop_staff.post(ORDERS_SINCE, {"since": since})
    assert top_level_codes(response.json()) == ["BAD_USER_INPUT"], response.text


async def test_a_time_without_an_offset_is_utc_and_the_edges_of_the_calendar_are_answered(shop_staff, database):
    for since in ["2026-01-01T00:00:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-01-01"]:
        assert (await shop_staff.data(ORDERS_SINCE, {"since": since}))["orders"]["nodes"] == [], since
    code = {"code": "LATE-START", "kind": "PERCENTAGE", "value": "10", "startsAt": "9999-12-31T23:59:59+01:00"}
    made = (await shop_staff.data(CODE_CREATE, {"input": code}))["discountCodeCreate"]
    assert made["userErrors"] == []
