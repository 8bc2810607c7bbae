"""The catalog through the public GraphQL API: paging, sorting, search, lookups."""

from __future__ import annotations


import pytest

from tests.shop import make_product, stock_of

from commerce.catalog.seed import demo_catalog, seed_demo_catalog
from models import Product

PRODUCT_FIELDS = """
  id slug title description imageUrl availableForSale quantityAvailable createdAt updatedAt
  price { amount currencyCode minorUnits }
"""
PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String,
           $sortKey: ProductSortKey!, $reverse: Boolean!, $query: String) {
  products(first: $first, after: $after, last: $last, before: $before,
           sortKey: $sortKey, reverse: $reverse, query: $query) {
    totalCount
    edges { cursor node { %s } }
    nodes { slug }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
""" % PRODUCT_FIELDS

SORT_KEYS = ["TITLE", "PRICE", "CREATED_AT", "ID"]


@pytest.fixture(scope="module", autouse=True)
async def catalog(database: str) -> None:
    await seed_demo_catalog("USD")


async def test_cheapest_three_products_come_first_with_money_from_the_database(gql):
    data = await gql.data(
        "{ products(first: 3, sortKey: PRICE) { totalCount nodes { slug title"
        " price { amount currencyCode minorUnits } } pageInfo { hasNextPage endCursor } } }"
    )
    cheapest = await Product.all().order_by("price", "id").limit(3)
    page = data["products"]
    assert page["totalCount"] == len(demo_catalog()) == 60
    assert [n["slug"] for n in page["nodes"]] == [p.slug for p in cheapest]
    for node, product in zip(page["nodes"], cheapest):
        assert node["price"] == {
            "amount": f"{product.price // 100}.{product.price % 100:02d}",
            "currencyCode": "USD",
            "minorUnits": product.price,
        }
    assert page["pageInfo"]["hasNextPage"] is True


async def _walk(gql, *, sort_key: str, reverse: bool, size: int, backward: bool) -> list[str]:
    slugs: list[str] = []
    cursor = None
    for _ in range(100):
        variables = {"sortKey": sort_key, "reverse": reverse}
        if backward:
            variables |= {"last": size, "before": cursor}
        else:
            variables |= {"first": size, "after": cursor}
        page = (await gql.data(PAGE, variables))["products"]
        nodes = [edge["node"]["slug"] for edge in page["edges"]]
        assert nodes == [n["slug"] for n in page["nodes"]]
        info = page["pageInfo"]
        if backward:
            slugs[:0] = nodes
            if not info["hasPreviousPage"]:
                return slugs
            cursor = info["startCursor"]
        else:
            slugs += nodes
            if not info["hasNextPage"]:
                return slugs
            cursor = info["endCursor"]
    raise AssertionError("paging did not end")


def _expected_order(products: list[Product], sort_key: str, reverse: bool) -> list[str]:
    field = {"TITLE": "title", "PRICE": "price", "CREATED_AT": "created_at", "ID": "id"}[sort_key]
    ordered = sorted(products, key=lambda p: (getattr(p, field), p.id), reverse=reverse)
    return [p.slug for p in ordered]


@pytest.mark.parametrize("sort_key", SORT_KEYS)
@pytest.mark.parametrize("reverse", [False, True])
async def test_paging_forward_and_backward_visits_every_product_once_in_order(gql, sort_key, reverse):
    expected = _expected_order(await Product.all(), sort_key, reverse)
    forward = await _walk(gql, sort_key=sort_key, reverse=reverse, size=7, backward=False)
    backward = await _walk(gql, sort_key=sort_key, reverse=reverse, size=7, backward=True)
    assert forward == expected
    assert backward == expected


async def test_prices_tie_and_paging_breaks_ties_by_id(gql):
    # Two products at the same price straddle a page boundary.
    a = await make_product(777, 1, title="Tie A", slug="tie-a")
    b = await make_product(777, 1, title="Tie B", slug="tie-b")
    try:
        before_tie = await Product.filter(price__lt=777).count()
        first = await gql.data(PAGE, {"first": before_tie + 1, "sortKey": "PRICE", "reverse": False})
        cursor = first["products"]["pageInfo"]["endCursor"]
        assert first["products"]["nodes"][-1]["slug"] == "tie-a"
        rest = await gql.data(PAGE, {"first": 1, "after": cursor, "sortKey": "PRICE", "reverse": False})
        assert rest["products"]["nodes"] == [{"slug": "tie-b"}]
    finally:
        await Product.filter(id__in=[a.id, b.id]).delete()


async def test_search_matches_title_and_description_ignoring_case(gql):
    by_title = await gql.data(PAGE, {"first": 100, "sortKey": "ID", "reverse": False, "query": "wALNut"})
    assert {n["slug"] for n in by_title["products"]["nodes"]} == {
        p.slug for p in demo_catalog() if "Walnut" in p.title
    }
    assert by_title["products"]["totalCount"] == 5

    by_description = await gql.data(PAGE, {"first": 100, "sortKey": "ID", "reverse": False, "query": "BUILT TO LAST"})
    assert by_description["products"]["totalCount"] == sum("built to last" in p.description for p in demo_catalog())

    wildcard = await gql.data(PAGE, {"first": 100, "sortKey": "ID", "reverse": False, "query": "%"})
    assert wildcard["products"]["totalCount"] == 0
    assert wildcard["products"]["nodes"] == []


async def test_product_by_slug_by_id_and_node_agree(gql):
    by_slug = (await gql.data("{ product(slug: \"oak-lamp\") { %s } }" % PRODUCT_FIELDS))["product"]
    product = await Product.get(slug="oak-lamp")
    assert by_slug["title"] == product.title
    assert by_slug["quantityAvailable"] == await stock_of(product)
    assert by_slug["availableForSale"] is (await stock_of(product) > 0)

    by_id = await gql.data("query($id: ID!) { product(id: $id) { slug } }", {"id": by_slug["id"]})
    assert by_id["product"] == {"slug": "oak-lamp"}
    node = await gql.data("query($id: ID!) { node(id: $id) { id ... on Product { slug } } }", {"id": by_slug["id"]})
    assert node["node"] == {"id": by_slug["id"], "slug": "oak-lamp"}


async def test_sold_out_products_say_so(gql):
    sold_out = [p.slug for p in demo_catalog() if p.stock == 0]
    assert sold_out, "the demo catalog has sold-out products"
    data = await gql.data("query($s: String!) { product(slug: $s) { availableForSale quantityAvailable } }", {"s": sold_out[0]})
    assert data["product"] == {"availableForSale": False, "quantityAvailable": 0}


async def test_unknown_products_are_null(gql):
    assert (await gql.data('{ product(slug: "nope") { id } }'))["product"] is None
    unknown_id = "UHJvZHVjdDo5OTk5OTk"  # Product:999999
    assert (await gql.data("query($id: ID!) { product(id: $id) { id } }", {"id": unknown_id}))["product"] is None
    for garbage in ["garbage", "", "UHJvZHVjdDphYmM", "Q2FydDox", "UHJvZHVjdDo5OTk5OTk5OTk5OTk5OTk5OQ"]:
        assert (await gql.data("query($id: ID!) { node(id: $id) { id } }", {"id": garbage}))["node"] is None


def _codes(body: dict) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


@pytest.mark.parametrize(
    "arguments",
    [
        "first: 1000",
        "first: -1",
        "last: 101",
        "first: 2, last: 2",
        'after: "garbage"',
        'before: "WyJQUklDRSIsMTI0OSwxNF0"',  # a PRICE cursor used with the default ID sort
        'after: "WyJJRCIsIjEiLDFd"',  # a cursor whose value has the wrong type
    ],
)
async def test_bad_paging_arguments_are_bad_user_input(gql, arguments):
    body = await gql("{ products(%s) { totalCount } }" % arguments)
    assert body["data"] is None
    assert _codes(body) == ["BAD_USER_INPUT"]
    assert "Internal" not in body["errors"][0]["message"]


async def test_product_needs_exactly_one_of_id_and_slug(gql):
    body = await gql("{ product { id } }")
    assert _codes(body) == ["BAD_USER_INPUT"]
    body = await gql('{ product(slug: "a", id: "b") { id } }')
    assert _codes(body) == ["BAD_USER_INPUT"]


async def test_an_id_of_another_type_for_product_is_unknown(gql):
    body = await gql('{ product(id: "Q2FydDox") { id } }')  # a Cart id
    assert body == {"data": {"product": None}}


async def test_zero_first_gives_an_empty_page_with_a_count(gql):
    page = (await gql.data(PAGE, {"first": 0, "sortKey": "ID", "reverse": False}))["products"]
    assert page["edges"] == [] and page["totalCount"] == 60
    assert page["pageInfo"]["hasNextPage"] is True


async def test_products_query_count_is_constant_whatever_the_page_size(gql, sql_statements):
    counts = {}
    for size in (1, 20, 100):
        sql_statements.clear()
        await gql.data(PAGE, {"first": size, "sortKey": "PRICE", "reverse": False})
        counts[size] = len(sql_statements)
    # the page and the count, and the variants and images behind availability and imageUrl
    assert counts == {1: 4, 20: 4, 100: 4}, sql_statements
