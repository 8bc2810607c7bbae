"""The catalog in a buyer's market: `@inContext(country:)` shows prices, ranges, facets, filters and the
price sort in the market's currency (explicit prices first, else the exchange rate and rounding), and a
market without a rate sells only what has a price in its currency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commerce.catalog.seed import seed_demo_catalog
from commerce.markets.prices import price_rule, derive
from graph.core.ids import to_global_id
from models import Product, ProductVariant, Rounding
from tests.graph.accounts.test_accounts import api_key, as_

CREATE = """mutation($input: MarketCreateInput!) { marketCreate(input: $input) { market { id } userErrors { code } } }"""
PRICES = """mutation($v: ID!, $p: [VariantPriceInput!]!) { productVariantPricesSet(variantId: $v, prices: $p) {
  userErrors { field code } } }"""
TRANSLATE = """mutation($id: ID!, $t: [TranslationInput!]!) { translationsRegister(resourceId: $id, language: DE,
  translations: $t) { userErrors { code } } }"""
PAGE = """query($c: CountryCode, $n: Int, $after: String, $sort: ProductSortKey, $reverse: Boolean,
                $filters: ProductFilter) @inContext(country: $c) {
  products(first: $n, after: $after, sortKey: $sort, reverse: $reverse, filters: $filters) {
    totalCount
    nodes { slug title price { amount currencyCode }
      priceRange { minVariantPrice { amount currencyCode minorUnits } maxVariantPrice { amount currencyCode } }
      compareAtPriceRange { minVariantPrice { amount currencyCode } }
      variants(first: 20) { nodes { id sku price { amount currencyCode minorUnits } compareAtPrice { amount } } } }
    pageInfo { hasNextPage endCursor }
    facets { price { min { amount currencyCode } max { amount currencyCode } } } } }"""
ONE = """query($c: CountryCode, $slug: String!) @inContext(country: $c) { product(slug: $slug) { slug
  variants(first: 100) { nodes { sku price { amount currencyCode } } } } }"""
NODE = """query($c: CountryCode, $id: ID!) @inContext(country: $c) { node(id: $id) { ... on ProductVariant {
  price { amount currencyCode } } } }"""

MARKETS = [
    {"handle": "europe", "name": "Europe", "countries": ["DE", "AT"], "currencyCode": "EUR", "languageCode": "DE",
     "exchangeRate": "0.92", "rounding": "NINETY_NINE"},
    {"handle": "japan", "name": "Japan", "countries": ["JP"], "currencyCode": "JPY", "languageCode": "JA",
     "exchangeRate": "151.37", "rounding": "WHOLE"},
    {"handle": "canada", "name": "Canada", "countries": ["CA"], "currencyCode": "CAD", "languageCode": "EN",
     "exchangeRate": "1.3612", "rounding": "NONE"},
    {"handle": "switzerland", "name": "Switzerland", "countries": ["CH"], "currencyCode": "CHF",
     "languageCode": "DE"},  # no rate: explicit prices only
]
RULES = {"DE": price_rule("USD", "EUR", Decimal("0.92"), Rounding.NINETY_NINE),
         "JP": price_rule("USD", "JPY", Decimal("151.37"), Rounding.WHOLE),
         "CA": price_rule("USD", "CAD", Decimal("1.3612"), Rounding.NONE)}
EUR_TEE = "7.00"  # the cheapest Classic Tee variant's explicit price in EUR: below every derived one


@pytest.fixture(scope="module", autouse=True)
async def markets(database: str, http) -> dict:
    from tests.conftest import GraphQLClient

    await seed_demo_catalog("USD")
    staff = as_(GraphQLClient(http), await api_key("catalog:write"))
    for market in MARKETS:
        assert (await staff.data(CREATE, {"input": market}))["marketCreate"]["userErrors"] == []
    tee = await ProductVariant.filter(product__slug="classic-tee").order_by("position", "id").first()
    done = await staff.data(PRICES, {"v": to_global_id("ProductVariant", tee.id), "p": [
        {"currencyCode": "EUR", "amount": EUR_TEE, "compareAtAmount": "9.00"},
        {"currencyCode": "CHF", "amount": "30.00"}]})
    assert done["productVariantPricesSet"]["userErrors"] == []
    tee_product = to_global_id("Product", tee.product_id)
    assert (await staff.data(TRANSLATE, {"id": tee_product, "t": [{"key": "title", "value": "Klassisches T-Shirt"}]}))[
        "translationsRegister"]["userErrors"] == []
    return {"tee_sku": tee.sku, "tee_id": tee.id}


def amount(minor: int, exponent: int) -> str:
    return str(Decimal(minor).scaleb(-exponent)) if exponent else str(minor)


async def everything(gql, country: str | None, **variables) -> list[dict]:
    nodes, after = [], None
    while True:
        page = (await gql.data(PAGE, {"c": country, "n": 7, "after": after, **variables}))["products"]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


async def test_a_german_buyer_sees_euro_prices_and_german_titles(gql, markets):
    base = {v.sku: (v.price, v.compare_at_price) for v in await ProductVariant.all()}
    products = await everything(gql, "DE")
    assert len(products) == await Product.all().count()
    rule = RULES["DE"]
    for product in products:
        shown = product["variants"]["nodes"]
        for variant in shown:
            assert variant["price"]["currencyCode"] == "EUR"
            expected = 700 if variant["sku"] == markets["tee_sku"] else derive(rule, base[variant["sku"]][0])
            assert variant["price"]["minorUnits"] == expected, variant
            assert variant["price"]["amount"] == amount(expected, 2)
            if variant["sku"] != markets["tee_sku"]:
                assert variant["price"]["amount"].endswith(".99")  # NINETY_NINE
        lowest = min(v["price"]["minorUnits"] for v in shown)
        assert product["priceRange"]["minVariantPrice"]["minorUnits"] == lowest
        assert product["price"] == {"amount": amount(lowest, 2), "currencyCode": "EUR"}
        assert product["priceRange"]["maxVariantPrice"]["currencyCode"] == "EUR"
    tee = next(p for p in products if p["slug"] == "classic-tee")
    assert tee["title"] == "Klassisches T-Shirt"  # the market's language, without `language:`
    assert tee["compareAtPriceRange"]["minVariantPrice"]["currencyCode"] == "EUR"

    at_home = {p["slug"]: p for p in await everything(gql, None)}
    assert at_home["classic-tee"]["title"] == "Classic Tee"
    assert {p["priceRange"]["minVariantPrice"]["currencyCode"] for p in at_home.values()} == {"USD"}
    assert {p["priceRange"]["minVariantPrice"]["currencyCode"] for p in await everything(gql, "US")} == {"USD"}


async def test_a_japanese_buyer_sees_whole_yen(gql, markets):
    base = {v.sku: v.price for v in await ProductVariant.all()}
    for product in await everything(gql, "JP"):
        for variant in product["variants"]["nodes"]:
            price = variant["price"]
            assert price["currencyCode"] == "JPY" and "." not in price["amount"]
            assert price["minorUnits"] == int(price["amount"]) == derive(RULES["JP"], base[variant["sku"]])
            assert Decimal(price["amount"]) >= Decimal(base[variant["sku"]]) / 100 * Decimal("151.37")


@pytest.mark.parametrize("country", ["DE", "JP", "CA", None])
async def test_the_price_sort_follows_the_market(gql, markets, country):
    for reverse in (False, True):
        products = await everything(gql, country, sort="PRICE", reverse=reverse)
        lows = [p["priceRange"]["minVariantPrice"]["minorUnits"] for p in products]
        assert lows == sorted(lows, reverse=reverse), (country, lows)
        assert len(products) == await Product.all().count()
    if country == "DE":  # the explicit 7.00 EUR makes the tee the cheapest in Germany, not at home
        assert (await everything(gql, "DE", sort="PRICE"))[0]["slug"] == "classic-tee"
        assert (await everything(gql, None, sort="PRICE"))[0]["slug"] != "classic-tee"


async def test_price_filters_and_facets_are_in_the_markets_currency(gql, markets):
    products = await everything(gql, "DE")
    prices = sorted(v["price"]["minorUnits"] for p in products for v in p["variants"]["nodes"])
    facets = (await gql.data(PAGE, {"c": "DE", "n": 1}))["products"]["facets"]["price"]
    assert facets == {"min": {"amount": amount(prices[0], 2), "currencyCode": "EUR"},
                      "max": {"amount": amount(prices[-1], 2), "currencyCode": "EUR"}}

    low, high = "5.00", "8.00"  # in EUR: only the tee's explicit 7.00 is inside
    within = await everything(gql, "DE", filters={"price": {"min": low, "max": high}})
    assert [p["slug"] for p in within] == ["classic-tee"]
    in_dollars = await everything(gql, None, filters={"price": {"min": low, "max": high}})
    assert "classic-tee" not in [p["slug"] for p in in_dollars]
    refused = await gql(PAGE, {"c": "JP", "n": 1, "filters": {"price": {"min": "1.5"}}})
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # yen have no decimals


async def test_a_market_without_a_rate_sells_only_what_has_its_price(gql, markets):
    products = await everything(gql, "CH")
    assert [p["slug"] for p in products] == ["classic-tee"]
    assert [v["sku"] for v in products[0]["variants"]["nodes"]] == [markets["tee_sku"]]
    assert products[0]["priceRange"]["minVariantPrice"] == {"amount": "30.00", "currencyCode": "CHF", "minorUnits": 3000}
    assert (await gql.data(PAGE, {"c": "CH", "n": 1}))["products"]["totalCount"] == 1
    assert (await gql.data(ONE, {"c": "CH", "slug": "classic-tee"}))["product"]["slug"] == "classic-tee"
    other = next(p for p in await everything(gql, None) if p["slug"] != "classic-tee")
    assert (await gql.data(ONE, {"c": "CH", "slug": other["slug"]}))["product"] is None
    assert (await gql.data(ONE, {"c": "DE", "slug": other["slug"]}))["product"]["slug"] == other["slug"]

    unpriced = await ProductVariant.filter(product__slug="classic-tee").exclude(id=markets["tee_id"]).first()
    variant_id = to_global_id("ProductVariant", unpriced.id)
    assert (await gql.data(NODE, {"c": "CH", "id": variant_id}))["node"] is None
    assert (await gql.data(NODE, {"c": "DE", "id": variant_id}))["node"]["price"]["currencyCode"] == "EUR"
    priced = to_global_id("ProductVariant", markets["tee_id"])
    assert (await gql.data(NODE, {"c": "CH", "id": priced}))["node"]["price"] == {"amount": "30.00", "currencyCode": "CHF"}


CATALOG = """query($n: Int, $c: CountryCode) @inContext(country: $c) { products(first: $n, sortKey: PRICE) {
  totalCount nodes { title price { amount } priceRange { minVariantPrice { amount } }
    images { url } tags availableForSale variants(first: 10) { nodes { sku price { amount } } } }
  facets { price { min { amount } } } } }"""


@pytest.mark.parametrize("country", ["DE", "JP"])
async def test_a_market_costs_the_catalog_no_statement_more(gql, markets, sql_statements, country):
    counts = {}
    for size in (1, 20, 60):
        for where in (None, country):
            await gql.data(CATALOG, {"n": size, "c": where})  # the market book and kept statements warm
            sql_statements.clear()
            await gql.data(CATALOG, {"n": size, "c": where})
            counts[size, where] = len(sql_statements)
    assert len(set(counts.values())) == 1, counts
