"""Staff manage markets and prices per currency; every refusal is a typed userError."""

from __future__ import annotations

import pytest

from commerce.catalog.seed import seed_demo_catalog
from graph.core.ids import to_global_id
from models import ProductVariant
from tests.graph.accounts.test_accounts import api_key, as_

CREATE = """mutation($input: MarketCreateInput!) { marketCreate(input: $input) {
  market { id handle name primary countries currencyCode languageCode exchangeRate rounding }
  userErrors { field code message } } }"""
UPDATE = """mutation($id: ID!, $input: MarketUpdateInput!) { marketUpdate(id: $id, input: $input) {
  market { handle countries currencyCode exchangeRate rounding } userErrors { field code message } } }"""
DELETE = """mutation($id: ID!) { marketDelete(id: $id) { deletedMarketId userErrors { field code message } } }"""
PRICES = """mutation($v: ID!, $p: [VariantPriceInput!]!) { productVariantPricesSet(variantId: $v, prices: $p) {
  prices { price { amount currencyCode } compareAtPrice { amount } } userErrors { field code message } } }"""
LOCALIZATION = """query($c: CountryCode) @inContext(country: $c) { localization { country language
  market { handle primary currencyCode } availableMarkets { handle } } }"""


@pytest.fixture(scope="module", autouse=True)
async def catalog(database: str) -> None:
    await seed_demo_catalog("USD")


@pytest.fixture(scope="module")
async def staff_key(catalog) -> str:
    return await api_key("catalog:write")


def europe(**changes) -> dict:
    return {"handle": "europe", "name": "Europe", "countries": ["DE", "AT"], "currencyCode": "EUR",
            "languageCode": "DE", "exchangeRate": "0.92", "rounding": "NINETY_NINE", **changes}


async def test_staff_create_change_and_delete_a_market(gql, staff_key):
    staff = as_(gql, staff_key)
    created = (await staff.data(CREATE, {"input": europe()}))["marketCreate"]
    assert created["userErrors"] == []
    market = created["market"]
    assert market["countries"] == ["AT", "DE"] and market["currencyCode"] == "EUR" and market["primary"] is False
    assert market["exchangeRate"] == "0.92" and market["rounding"] == "NINETY_NINE"

    here = (await gql.data(LOCALIZATION, {"c": "DE"}))["localization"]
    assert here["market"] == {"handle": "europe", "primary": False, "currencyCode": "EUR"}
    assert here["language"] == "DE"  # the market's language, as none was asked for
    assert [m["handle"] for m in here["availableMarkets"]] == ["primary", "europe"]
    assert (await gql.data(LOCALIZATION, {"c": "US"}))["localization"]["market"]["handle"] == "primary"

    changed = (await staff.data(UPDATE, {"id": market["id"], "input": {"countries": ["DE", "FR"], "exchangeRate": None}}))
    assert changed["marketUpdate"]["market"]["countries"] == ["DE", "FR"]
    assert changed["marketUpdate"]["market"]["exchangeRate"] is None
    assert (await gql.data(LOCALIZATION, {"c": "AT"}))["localization"]["market"]["handle"] == "primary"

    deleted = (await staff.data(DELETE, {"id": market["id"]}))["marketDelete"]
    assert deleted == {"deletedMarketId": market["id"], "userErrors": []}
    assert (await gql.data(LOCALIZATION, {"c": "DE"}))["localization"]["market"]["handle"] == "primary"


@pytest.mark.parametrize("changes, field, code", [
    ({"handle": "Not A Handle"}, ["input", "handle"], "INVALID"),
    ({"handle": "primary"}, ["input", "handle"], "TAKEN"),
    ({"name": "  "}, ["input", "name"], "INVALID"),
    ({"exchangeRate": "-1"}, ["input", "exchangeRate"], "INVALID"),
    ({"exchangeRate": "0"}, ["input", "exchangeRate"], "INVALID"),
    ({"exchangeRate": "1.23456789012345"}, ["input", "exchangeRate"], "INVALID"),
    ({"countries": ["DE", "DE"]}, ["input", "countries"], "INVALID"),
    ({"currencyCode": "JPY"}, ["input", "rounding"], "INVALID"),  # no .99 in yen
])
async def test_bad_markets_are_refused_with_a_code(gql, staff_key, changes, field, code):
    staff = as_(gql, staff_key)
    answer = (await staff.data(CREATE, {"input": europe(**{"handle": "bad", "countries": [], **changes})}))[
        "marketCreate"]
    assert answer["market"] is None
    assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [(field, code)]


async def test_a_country_is_in_one_market_only(gql, staff_key):
    staff = as_(gql, staff_key)
    first = (await staff.data(CREATE, {"input": europe(handle="one", countries=["IT"])}))["marketCreate"]
    assert first["userErrors"] == []
    second = (await staff.data(CREATE, {"input": europe(handle="two", countries=["ES", "IT"])}))["marketCreate"]
    assert [(e["field"], e["code"]) for e in second["userErrors"]] == [(["input", "countries", "1"], "TAKEN")]
    again = (await staff.data(CREATE, {"input": europe(handle="one", countries=[])}))["marketCreate"]
    assert [e["code"] for e in again["userErrors"]] == ["TAKEN"]
    primary = to_global_id("Market", 0)
    assert [e["code"] for e in (await staff.data(DELETE, {"id": primary}))["marketDelete"]["userErrors"]] == ["INVALID"]
    assert (await staff.data(DELETE, {"id": first["market"]["id"]}))["marketDelete"]["userErrors"] == []


async def test_unknown_codes_are_bad_user_input(gql):
    body = await gql(LOCALIZATION, {"c": "XX"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_markets_need_catalog_write(gql):
    body = await gql(CREATE, {"input": europe(handle="nope")})
    assert body["errors"][0]["extensions"]["code"] in ("UNAUTHENTICATED", "FORBIDDEN")
    body = await as_(gql, await api_key("orders:read")).__call__(CREATE, {"input": europe(handle="nope")})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_explicit_prices_per_currency(gql, staff_key):
    staff = as_(gql, staff_key)
    variant = to_global_id("ProductVariant", (await ProductVariant.filter(product__slug="classic-tee").first()).id)
    done = (await staff.data(PRICES, {"v": variant, "p": [
        {"currencyCode": "EUR", "amount": "21.50", "compareAtAmount": "25.00"},
        {"currencyCode": "JPY", "amount": "3200"}]}))["productVariantPricesSet"]
    assert done["userErrors"] == []
    assert done["prices"] == [
        {"price": {"amount": "21.50", "currencyCode": "EUR"}, "compareAtPrice": {"amount": "25.00"}},
        {"price": {"amount": "3200", "currencyCode": "JPY"}, "compareAtPrice": None}]
    removed = (await staff.data(PRICES, {"v": variant, "p": [{"currencyCode": "JPY", "amount": None}]}))
    assert [p["price"]["currencyCode"] for p in removed["productVariantPricesSet"]["prices"]] == ["EUR"]
    for prices, field in (
        ([{"currencyCode": "JPY", "amount": "12.5"}], ["prices", "0", "amount"]),  # yen has no decimals
        ([{"currencyCode": "USD", "amount": "12"}], ["prices", "0", "currencyCode"]),  # the shop's own
        ([{"currencyCode": "EUR", "amount": "-1"}], ["prices", "0", "amount"]),
        ([{"currencyCode": "EUR", "amount": "1"}, {"currencyCode": "EUR", "amount": "2"}], ["prices", "1", "currencyCode"]),
        ([{"currencyCode": "EUR", "amount": None, "compareAtAmount": "3"}], ["prices", "0", "compareAtAmount"]),
    ):
        answer = (await staff.data(PRICES, {"v": variant, "p": prices}))["productVariantPricesSet"]
        assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [(field, "INVALID")], prices
    missing = (await staff.data(PRICES, {"v": to_global_id("ProductVariant", 99999), "p": []}))
    assert missing["productVariantPricesSet"]["userErrors"][0]["code"] == "NOT_FOUND"
