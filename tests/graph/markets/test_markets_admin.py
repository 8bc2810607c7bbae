"""Staff manage markets and prices per currency; every refusal is a typed userError."""

from __future__ import annotations

import asyncio

import pytest

from commerce.catalog.seed import seed_demo_catalog
from graph.core.ids import to_global_id
from models import Market, Product, ProductVariant, VariantPrice
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


MARKETS = "{ markets { handle exchangeRate } }"


async def _gone(staff, market_id: str) -> None:
    assert (await staff.data(DELETE, {"id": market_id}))["marketDelete"]["userErrors"] == []


@pytest.mark.parametrize("sent, read", [
    ("0.92", "0.92"), ("151.37", "151.37"), ("100", "100"), ("999999", "999999"), ("1", "1"),
    ("0.000001", "0.000001"), ("0.0000001", "0.0000001"), ("0.920", "0.92"), ("100.00", "100"), ("0012.5", "12.5"),
])
async def test_staff_read_the_exchange_rate_they_sent(gql, staff_key, sent, read):
    """A plain decimal, never "1E+2" or "1E-7", which the API's own Decimal input would refuse; what is read
    can be sent back as it is."""
    staff = as_(gql, staff_key)
    created = (await staff.data(CREATE, {"input": europe(handle="rate", countries=[], exchangeRate=sent)}))[
        "marketCreate"]
    assert created["userErrors"] == []
    try:
        assert created["market"]["exchangeRate"] == read
        assert {"handle": "rate", "exchangeRate": read} in (await gql.data(MARKETS))["markets"]
        again = (await staff.data(UPDATE, {"id": created["market"]["id"], "input": {"exchangeRate": read}}))
        assert again["marketUpdate"]["market"]["exchangeRate"] == read
    finally:
        await _gone(staff, created["market"]["id"])


@pytest.mark.parametrize("rate", ["1e5", "1E+2", "NaN", "Infinity", " 1", "1 ", "１", "0x10", "1_000", "1" * 80, ""])
async def test_an_exchange_rate_that_is_not_a_plain_decimal_is_bad_user_input(gql, staff_key, rate):
    body = await as_(gql, staff_key)(CREATE, {"input": europe(handle="odd", countries=[], exchangeRate=rate)})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT" and body.get("data") is None


@pytest.mark.parametrize("rate", [
    "0.00000000000000000001", "100000000000000000.0", "123456789012", "1234567.89012", "0.0000000001",
])
async def test_an_exchange_rate_beyond_exact_pricing_is_refused_on_its_field(gql, staff_key, rate):
    answer = (await as_(gql, staff_key).data(CREATE, {"input": europe(handle="odd", countries=[], exchangeRate=rate)}))
    assert answer["marketCreate"]["market"] is None
    assert [(e["field"], e["code"]) for e in answer["marketCreate"]["userErrors"]] == [
        (["input", "exchangeRate"], "INVALID")]


async def test_huge_inputs_are_refused_on_their_field(gql, staff_key):
    staff = as_(gql, staff_key)
    every = sorted(c for c in (await gql.data("{ __type(name: \"CountryCode\") { enumValues { name } } }"))[
        "__type"]["enumValues"] for c in [c["name"]])
    for changes, field in (
        ({"handle": "h" * 5000}, ["input", "handle"]),
        ({"name": "N" * 5000}, ["input", "name"]),
        ({"name": "Europe\x00"}, ["input", "name"]),
        ({"countries": every + every[:2]}, ["input", "countries"]),  # 251
        ({"countries": every + every[:1]}, ["input", "countries"]),  # 250, one twice
    ):
        answer = (await staff.data(CREATE, {"input": europe(**{"handle": "huge", **changes})}))["marketCreate"]
        assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [(field, "INVALID")], changes
    everywhere = (await staff.data(CREATE, {"input": europe(handle="everywhere", countries=every)}))["marketCreate"]
    assert everywhere["userErrors"] == [] and len(everywhere["market"]["countries"]) == len(every)
    await _gone(staff, everywhere["market"]["id"])


async def test_racing_creates_of_one_handle_or_country_make_one_market(gql, staff_key):
    staff = as_(gql, staff_key)
    for race in (
        [europe(handle="racer", countries=[]) for _ in range(6)],
        [europe(handle=f"racer-{n}", countries=["NL", "PT"][n % 2:]) for n in range(6)],
    ):
        answers = await asyncio.gather(*(staff(CREATE, {"input": spec}) for spec in race))
        assert all("errors" not in body for body in answers), [body["errors"] for body in answers if "errors" in body]
        payloads = [body["data"]["marketCreate"] for body in answers]
        made = [p["market"] for p in payloads if p["market"] is not None]
        assert len(made) == 1, payloads
        assert sorted(e["code"] for p in payloads for e in p["userErrors"]) == ["TAKEN"] * 5
        await _gone(staff, made[0]["id"])


async def test_racing_renames_to_one_handle_leave_one_market_with_it(gql, staff_key):
    staff = as_(gql, staff_key)
    ids = [(await staff.data(CREATE, {"input": europe(handle=f"rename-{n}", countries=[])}))["marketCreate"][
        "market"]["id"] for n in range(4)]
    answers = await asyncio.gather(*(staff(UPDATE, {"id": i, "input": {"handle": "renamed"}}) for i in ids))
    assert all("errors" not in body for body in answers)
    codes = sorted(e["code"] for body in answers for e in body["data"]["marketUpdate"]["userErrors"])
    assert codes == ["TAKEN"] * 3
    for market_id in ids:
        await _gone(staff, market_id)


async def test_a_deleted_market_is_not_found(gql, staff_key):
    staff = as_(gql, staff_key)
    market_id = (await staff.data(CREATE, {"input": europe(handle="brief", countries=["BE"])}))["marketCreate"][
        "market"]["id"]
    await _gone(staff, market_id)
    changed = (await staff.data(UPDATE, {"id": market_id, "input": {"name": "Back"}}))["marketUpdate"]
    assert changed["market"] is None and [e["code"] for e in changed["userErrors"]] == ["NOT_FOUND"]
    again = (await staff.data(DELETE, {"id": market_id}))["marketDelete"]
    assert again["deletedMarketId"] is None and [e["code"] for e in again["userErrors"]] == ["NOT_FOUND"]
    assert (await gql.data(LOCALIZATION, {"c": "BE"}))["localization"]["market"]["handle"] == "primary"


async def test_a_market_changed_while_it_is_deleted_is_not_found_or_gone(gql, staff_key):
    """Whichever wins, the loser gets a typed answer, never a 500."""
    staff = as_(gql, staff_key)
    for n in range(8):
        market_id = (await staff.data(CREATE, {"input": europe(handle=f"fleeting-{n}", countries=["LU"])}))[
            "marketCreate"]["market"]["id"]
        changed, deleted = await asyncio.gather(
            staff(UPDATE, {"id": market_id, "input": {"name": "Changed", "countries": ["LU", "MT"]}}),
            staff(DELETE, {"id": market_id}))
        assert "errors" not in changed and "errors" not in deleted, (changed, deleted)
        assert deleted["data"]["marketDelete"]["userErrors"] == []
        assert [e["code"] for e in changed["data"]["marketUpdate"]["userErrors"]] in ([], ["NOT_FOUND"])
    assert (await gql.data(LOCALIZATION, {"c": "MT"}))["localization"]["market"]["handle"] == "primary"


async def test_prices_for_a_deleted_variant_are_not_found(gql, staff_key):
    staff = as_(gql, staff_key)
    product = await Product.create(slug="short-lived", title="Short-lived", price=500, currency="USD")
    variant = await ProductVariant.create(product_id=product.id, price=500)
    variant_id = to_global_id("ProductVariant", variant.id)
    await product.delete()
    answer = (await staff.data(PRICES, {"v": variant_id, "p": [{"currencyCode": "EUR", "amount": "4.60"}]}))
    assert answer["productVariantPricesSet"]["prices"] is None
    assert [e["code"] for e in answer["productVariantPricesSet"]["userErrors"]] == ["NOT_FOUND"]
    for odd in ("1e3", "NaN", "１", "99999999999999999999"):
        body = await staff(PRICES, {"v": variant_id, "p": [{"currencyCode": "EUR", "amount": odd}]})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", odd


async def test_prices_set_while_the_variant_is_deleted_are_not_found_or_gone(gql, staff_key):
    staff = as_(gql, staff_key)
    for n in range(8):
        product = await Product.create(slug=f"racing-{n}", title="Racing", price=500, currency="USD")
        variant = await ProductVariant.create(product_id=product.id, price=500)
        answer, _ = await asyncio.gather(
            staff(PRICES, {"v": to_global_id("ProductVariant", variant.id),
                           "p": [{"currencyCode": "EUR", "amount": "4.60"}, {"currencyCode": "GBP", "amount": "4"}]}),
            product.delete())
        assert "errors" not in answer, answer["errors"]
        assert [e["code"] for e in answer["data"]["productVariantPricesSet"]["userErrors"]] in ([], ["NOT_FOUND"])
        assert not await VariantPrice.filter(product_id=product.id).exists()


async def test_a_stored_rate_that_no_longer_prices_exactly_prices_nothing(gql, staff_key):
    """A rate set under another SHOPGRAPH_CURRENCY (or before a currency's minor units changed) may not fit
    the 64-bit fraction any more: that market sells at its explicit prices only, and every read still works."""
    staff = as_(gql, staff_key)
    market_id = (await staff.data(CREATE, {"input": europe(handle="legacy", countries=["GR"])}))["marketCreate"][
        "market"]["id"]
    await Market.filter(handle="legacy").update(exchange_rate="0.0000000001")  # as an older shop left it
    try:
        renamed = (await staff.data(UPDATE, {"id": market_id, "input": {"name": "Legacy"}}))["marketUpdate"]
        assert [(e["field"], e["code"]) for e in renamed["userErrors"]] == [(["input", "exchangeRate"], "INVALID")]
        other = (await staff.data(CREATE, {"input": europe(handle="other", countries=[])}))["marketCreate"]
        await _gone(staff, other["market"]["id"])  # both read every market afresh
        assert {"handle": "legacy", "exchangeRate": "0.0000000001"} in (await gql.data(MARKETS))["markets"]
        assert (await gql.data(LOCALIZATION, {"c": "GR"}))["localization"]["market"]["handle"] == "legacy"
    finally:
        await _gone(staff, market_id)
