"""Translated catalog text: staff register it, `@inContext(language:)` shows it, search finds it."""

from __future__ import annotations

import pytest

from commerce.catalog.seed import seed_demo_catalog
from models import Collection, Product
from graph.core.ids import to_global_id
from tests.graph.accounts.test_accounts import api_key, as_

REGISTER = """mutation($id: ID!, $language: LanguageCode!, $t: [TranslationInput!]!) {
  translationsRegister(resourceId: $id, language: $language, translations: $t) {
    translations { key value languageCode } userErrors { field code message } } }"""
REMOVE = """mutation($id: ID!, $language: LanguageCode!, $keys: [String!]!) {
  translationsRemove(resourceId: $id, language: $language, keys: $keys) {
    translations { key value } userErrors { field code } } }"""
TEE = """query Tee($l: LanguageCode) @inContext(language: $l) { product(slug: "classic-tee") {
  title description options { name values }
  variants(first: 2) { nodes { title selectedOptions { name value } } }
  variantBySelectedOptions(selectedOptions: [{name: "Größe", value: "M"}, {name: "Farbe", value: "Marineblau"}]) { title }
  collections(first: 1) { nodes { title } } } }"""
SEARCH = """query Search($q: String!, $l: LanguageCode) @inContext(language: $l) {
  products(first: 10, query: $q) { nodes { slug title } } }"""
GERMAN_TEE = [
    {"key": "title", "value": "Klassisches T-Shirt"},
    {"key": "option:Size", "value": "Größe"}, {"key": "option:Color", "value": "Farbe"},
    {"key": "value:Color:Black", "value": "Schwarz"}, {"key": "value:Color:Navy", "value": "Marineblau"},
]


@pytest.fixture(scope="module", autouse=True)
async def catalog(database: str) -> None:
    await seed_demo_catalog("USD")


@pytest.fixture(scope="module")
async def staff_key(catalog) -> str:
    return await api_key("catalog:write")


async def tee_id() -> str:
    return to_global_id("Product", (await Product.get(slug="classic-tee")).id)


async def register(gql, key: str, resource_id: str, language: str, translations: list[dict]) -> dict:
    return (await as_(gql, key).data(REGISTER, {"id": resource_id, "language": language, "t": translations}))[
        "translationsRegister"]


@pytest.fixture(scope="module")
async def german_tee(staff_key: str, http) -> None:
    from tests.conftest import GraphQLClient

    gql = GraphQLClient(http)
    done = await register(gql, staff_key, await tee_id(), "DE", GERMAN_TEE)
    assert done["userErrors"] == [] and {t["languageCode"] for t in done["translations"]} == {"DE"}
    apparel = to_global_id("Collection", (await Collection.get(slug="apparel")).id)
    assert (await register(gql, staff_key, apparel, "DE", [{"key": "title", "value": "Bekleidung"}]))["userErrors"] == []


async def test_a_german_buyer_sees_german_text_and_everyone_else_the_shops(gql, german_tee):
    german = (await gql.data(TEE, {"l": "DE"}))["product"]
    assert german["title"] == "Klassisches T-Shirt"
    assert german["options"] == [{"name": "Größe", "values": ["S", "M", "L", "XL"]},
                                 {"name": "Farbe", "values": ["Schwarz", "Marineblau", "Sand", "Olive"]}]
    assert german["variants"]["nodes"][0] == {
        "title": "S / Schwarz", "selectedOptions": [{"name": "Größe", "value": "S"}, {"name": "Farbe", "value": "Schwarz"}]}
    assert german["variantBySelectedOptions"] == {"title": "M / Marineblau"}  # picked by what the buyer sees
    assert german["collections"]["nodes"] == [{"title": "Bekleidung"}]

    for english in ((await gql.data(TEE))["product"], (await gql.data(TEE, {"l": "EN"}))["product"]):
        assert english["title"] == "Classic Tee"
        assert english["options"][0] == {"name": "Size", "values": ["S", "M", "L", "XL"]}
        assert english["variants"]["nodes"][0]["title"] == "S / Black"
        assert english["variantBySelectedOptions"] is None  # German names mean nothing in English
        assert english["collections"]["nodes"] == [{"title": "Apparel"}]

    literal = await gql.data('query @inContext(language: DE) { product(slug: "classic-tee") { title } }')
    assert literal["product"]["title"] == "Klassisches T-Shirt"


async def test_a_missing_translation_falls_back_to_the_shops_text_field_by_field(gql, german_tee):
    german = (await gql.data(TEE, {"l": "DE"}))["product"]
    english = (await gql.data(TEE))["product"]
    assert german["description"] == english["description"]  # no German description
    assert german["description"].startswith("The classic tee: cut for every day")
    assert german["options"][1]["values"][2] == "Sand"  # nor a German word for this colour
    assert (await gql.data(TEE, {"l": "JA"}))["product"] == english  # nothing in Japanese at all


async def test_search_in_german_finds_by_german_words_and_still_by_the_shops(gql, german_tee):
    found = lambda data: [n["slug"] for n in data["products"]["nodes"]]  # noqa: E731
    german = (await gql.data(SEARCH, {"q": "klassisches t", "l": "DE"}))
    assert found(german) == ["classic-tee"] and german["products"]["nodes"][0]["title"] == "Klassisches T-Shirt"
    assert found(await gql.data(SEARCH, {"q": "marineblau", "l": "DE"})) == ["classic-tee"]
    assert found(await gql.data(SEARCH, {"q": "klassisches"})) == []  # not in the shop's language
    assert found(await gql.data(SEARCH, {"q": "klassisches", "l": "FR"})) == []  # nor in French
    assert "classic-tee" in found(await gql.data(SEARCH, {"q": "classic tee", "l": "DE"}))


async def test_an_unknown_language_or_country_is_a_typed_error(gql):
    for variables in ({"l": "XX"}, {"l": "de"}, {"l": "German"}):
        body = await gql(TEE, variables)
        assert body.get("data") is None and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    country = 'query($c: CountryCode) @inContext(country: $c) { product(slug: "classic-tee") { title } }'
    body = await gql(country, {"c": "ZZ"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert (await gql.data(country, {"c": "DE"}))["product"]["title"] == "Classic Tee"  # a country chooses no language
    # Written in the document, an unknown value fails validation, as any unknown enum value does.
    body = await gql('query @inContext(language: XX) { product(slug: "classic-tee") { title } }')
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", body
    body = await gql('query { product(slug: "classic-tee") @inContext(language: DE) { title } }')
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", body  # operations only


async def test_translations_need_catalog_write(gql, catalog):
    variables = {"id": await tee_id(), "language": "FR", "t": [{"key": "title", "value": "T-shirt classique"}]}
    body = await gql(REGISTER, variables)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    body = await as_(gql, await api_key("orders:read")).__call__(REGISTER, variables)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql(REMOVE, {"id": variables["id"], "language": "FR", "keys": ["title"]})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await gql.data(TEE, {"l": "FR"}))["product"]["title"] == "Classic Tee"


@pytest.mark.parametrize("translations, field, code", [
    ([{"key": "subtitle", "value": "x"}], ["translations", "0", "key"], "INVALID"),
    ([{"key": "option:Fabric", "value": "Stoff"}], ["translations", "0", "key"], "INVALID"),
    ([{"key": "value:Size:XXL", "value": "XXL"}], ["translations", "0", "key"], "INVALID"),
    ([{"key": "title", "value": "x" * 201}], ["translations", "0", "value"], "INVALID"),
    ([{"key": "description", "value": "x" * 20_001}], ["translations", "0", "value"], "INVALID"),
    ([{"key": "title", "value": "  "}], ["translations", "0", "value"], "INVALID"),
    ([{"key": "title", "value": "a\x00b"}], ["translations", "0", "value"], "INVALID"),
    ([{"key": "title", "value": "A"}, {"key": "title", "value": "B"}], ["translations", "1", "key"], "INVALID"),
    ([], ["translations"], "INVALID"),
    ([{"key": "title", "value": "x"}] * 101, ["translations"], "INVALID"),
])
async def test_translations_are_bounded_and_refused_with_the_field_at_fault(gql, staff_key, translations, field, code):
    answer = await register(gql, staff_key, await tee_id(), "IT", translations)
    assert answer["translations"] is None
    assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [(field, code)], answer
    assert (await gql.data(TEE, {"l": "IT"}))["product"]["title"] == "Classic Tee"  # nothing was stored


async def test_a_translation_names_a_product_or_collection_in_another_language(gql, staff_key):
    title = [{"key": "title", "value": "Titel"}]
    for resource in (to_global_id("Product", 2**31 - 1), to_global_id("Order", "f" * 32), "not an id"):
        answer = await register(gql, staff_key, resource, "DE", title)
        assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [(["resourceId"], "NOT_FOUND")], answer
    answer = await register(gql, staff_key, await tee_id(), "EN", title)  # the shop's own language
    assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [(["language"], "INVALID")]


async def test_removing_a_translation_shows_the_shops_text_again(gql, staff_key):
    tee = await tee_id()
    assert (await register(gql, staff_key, tee, "NL", [{"key": "title", "value": "Klassiek T-shirt"},
                                                        {"key": "option:Size", "value": "Maat"}]))["userErrors"] == []
    assert (await gql.data(TEE, {"l": "NL"}))["product"]["title"] == "Klassiek T-shirt"
    removed = (await as_(gql, staff_key).data(REMOVE, {"id": tee, "language": "NL", "keys": ["title"]}))[
        "translationsRemove"]
    assert removed == {"translations": [{"key": "title", "value": "Klassiek T-shirt"}], "userErrors": []}
    dutch = (await gql.data(TEE, {"l": "NL"}))["product"]
    assert dutch["title"] == "Classic Tee" and dutch["options"][0]["name"] == "Maat"
    refused = (await as_(gql, staff_key).data(REMOVE, {"id": tee, "language": "NL", "keys": ["nonsense"]}))[
        "translationsRemove"]
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(["keys", "0"], "INVALID")]


PAGE = """query Page($n: Int, $l: LanguageCode) @inContext(language: $l) { products(first: $n) { nodes {
  title description options { name values } priceRange { minVariantPrice { amount } } featuredImage { url }
  variants(first: 10) { nodes { title selectedOptions { name value } price { amount } } } } } }"""


async def test_a_page_in_german_costs_the_same_statements_for_any_size(gql, german_tee, sql_statements):
    """A page's translations come with its product rows, in the page's own statement, and only when
    another language than the shop's is asked: a page costs the same in any language."""
    counts = {}
    for language in (None, "EN", "DE"):
        for size in (1, 20, 60):
            sql_statements.clear()
            page = (await gql.data(PAGE, {"n": size, "l": language}))["products"]["nodes"]
            assert len(page) == size
            counts[language, size] = len(sql_statements)
            assert [s for s in sql_statements if "translation" in s] == ([] if language != "DE" else [
                s for s in sql_statements if 'FROM "product"' in s]), sql_statements
    assert len(set(counts.values())) == 1, counts
    tee = next(n for n in page if n["title"] == "Klassisches T-Shirt")
    assert tee["options"][0]["name"] == "Größe"


async def test_one_product_in_german_reads_its_translations_in_one_statement_more(gql, german_tee, sql_statements):
    one = 'query($l: LanguageCode) @inContext(language: $l) { product(slug: "classic-tee") { title options { name } } }'
    counts = {}
    for language in (None, "DE"):
        sql_statements.clear()
        await gql.data(one, {"l": language})
        counts[language] = len(sql_statements)
    assert counts["DE"] == counts[None] + 1, sql_statements


def test_the_shops_language_is_an_iso_639_1_setting():
    from shopgraph.settings import load_settings

    assert load_settings({}, dotenv=None).language == "EN"
    assert load_settings({"SHOPGRAPH_LANGUAGE": " de "}).language == "DE"
    for wrong in ("xx", "deu", "German"):
        with pytest.raises(ValueError, match="SHOPGRAPH_LANGUAGE"):
            load_settings({"SHOPGRAPH_LANGUAGE": wrong})


async def test_in_a_german_shop_german_is_the_text_itself_and_english_a_translation(settings, gateway, staff_key,
                                                                                    german_tee):
    from dataclasses import replace

    from tests.conftest import GraphQLClient
    from tests.stripe_events import app_client

    async with app_client(replace(settings, language="DE"), gateway) as http:
        gql = GraphQLClient(http)
        for language in (None, "DE"):  # the shop's own text; its German translations mean nothing here
            assert (await gql.data(TEE, {"l": language}))["product"]["title"] == "Classic Tee"
        assert (await register(gql, staff_key, await tee_id(), "EN", [{"key": "title", "value": "The Tee"}]))[
            "userErrors"] == []
        assert (await gql.data(TEE, {"l": "EN"}))["product"]["title"] == "The Tee"
        refused = await register(gql, staff_key, await tee_id(), "DE", [{"key": "title", "value": "T-Shirt"}])
        assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(["language"], "INVALID")]


async def test_a_deleted_product_or_collection_takes_its_translations_along(gql, staff_key):
    from models import Translation

    staff = as_(gql, staff_key)
    made = await staff.data('mutation { productCreate(input: {slug: "brief-lamp", title: "Brief Lamp", price: "9.00"})'
                            ' { product { id } } collectionCreate(input: {slug: "brief", title: "Brief"})'
                            ' { collection { id } } }')
    product, collection = made["productCreate"]["product"]["id"], made["collectionCreate"]["collection"]["id"]
    for resource in (product, collection):
        assert (await register(gql, staff_key, resource, "DE", [{"key": "title", "value": "Kurz"}]))["userErrors"] == []
    assert await Translation.filter(value="Kurz").count() == 2
    await staff.data('mutation($p: ID!, $c: ID!) { productDelete(id: $p) { userErrors { code } }'
                     ' collectionDelete(id: $c) { userErrors { code } } }', {"p": product, "c": collection})
    assert await Translation.filter(value="Kurz").count() == 0
    assert (await gql.data(SEARCH, {"q": "kurz", "l": "DE"}))["products"]["nodes"] == []
