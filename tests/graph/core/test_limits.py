"""What one request may ask: limits answered with clear top-level codes."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from graphql import parse

from graph.core.limits import Limits, operation_cost
from shopgraph.app import create_app
from tests.conftest import GraphQLClient

PRODUCT = "id slug title description imageUrl availableForSale quantityAvailable createdAt updatedAt price { amount currencyCode minorUnits }"


def page(first: int, alias: str = "p") -> str:
    return f"{alias}: products(first: {first}) {{ totalCount edges {{ cursor node {{ {PRODUCT} }} }} pageInfo {{ hasNextPage }} }}"


def code(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


@pytest.fixture(scope="module")
async def tight(settings, gateway):
    """An app with a small depth limit, to show the limit on this schema's real depths."""
    app = create_app(settings, gateway=gateway, manage_db=False, limits=Limits(max_depth=4))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        yield GraphQLClient(http)


async def test_too_deep_a_query_is_refused_before_it_runs(tight, sql_statements):
    deep = "{ products(first: 1) { edges { node { price { amount } } } } }"  # five levels
    body = await tight(deep)
    assert body["data"] is None and code(body) == "QUERY_TOO_DEEP"
    assert sql_statements == []
    assert "errors" not in await tight("{ products(first: 1) { nodes { price { amount } } } }")


async def test_introspection_is_not_held_to_the_depth_limit(tight):
    body = await tight("{ __schema { types { name fields { name type { name ofType { name ofType { name } } } } } } }")
    assert "errors" not in body and body["data"]["__schema"]["types"]


async def test_big_pages_cost_more_than_small_ones(gql):
    assert "errors" not in await gql("{ %s }" % page(100))
    three_small = await gql("{ %s %s %s }" % (page(10, "a"), page(10, "b"), page(10, "c")))
    assert "errors" not in three_small
    three_big = await gql("{ %s %s %s }" % (page(100, "a"), page(100, "b"), page(100, "c")))
    assert three_big["data"] is None and code(three_big) == "QUERY_TOO_COSTLY"
    assert "cost" in three_big["errors"][0]["message"]


async def test_cost_counts_page_sizes_given_as_variables(gql):
    query = "query($n: Int) { %s %s %s }" % tuple(
        page(0, a).replace("first: 0", "first: $n") for a in "abc")
    assert "errors" not in await gql(query, {"n": 10})
    assert code(await gql(query, {"n": 100})) == "QUERY_TOO_COSTLY"


def test_a_page_size_left_out_of_the_variables_is_not_counted():
    # One document pages both ways (`first: $first, last: $last`); only the size sent counts.
    both_ways = "query($first: Int, $last: Int) { products(first: $first, last: $last) { nodes { id title } } }"
    cost = lambda variables: operation_cost(parse(both_ways), None, variables)  # noqa: E731
    assert cost({"last": 5}) == cost({"first": 5}) == 1 + 5 * 3  # products, then nodes, id, title per item
    assert cost({"first": None, "last": 50}) == 1 + 50 * 3
    assert cost({}) == cost({"first": None}) == 1 + 20 * 3  # neither: the default page
    assert operation_cost(parse("{ products(first: null) { nodes { id } } }"), None, {}) == 1 + 20 * 2


async def test_too_many_aliases_are_refused(gql):
    many = " ".join(f"a{i}: __typename" for i in range(31))
    assert code(await gql("{ %s }" % many)) == "TOO_MANY_ALIASES"
    assert "errors" not in await gql("{ %s }" % " ".join(f"a{i}: __typename" for i in range(30)))


async def test_too_many_tokens_are_refused(gql):
    body = await gql("{ " + " ".join(["x"] * 6000) + " }")
    assert body["data"] is None and code(body) == "TOO_MANY_TOKENS"


async def test_an_oversized_body_is_413(http):
    query = "{ __typename }" + " " * (70 * 1024)
    response = await http.post("/graphql", json={"query": query})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_batched_requests_are_not_accepted(http):
    response = await http.post("/graphql", json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}])
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_graphiql_and_introspection_can_be_switched_off(settings, gateway):
    closed = replace(settings, graphiql=False, introspection=False)
    app = create_app(closed, gateway=gateway, manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        page_request = await http.get("/graphql", headers={"accept": "text/html"})
        assert page_request.status_code == 404
        body = (await http.post("/graphql", json={"query": "{ __schema { types { name } } }"})).json()
        assert body["data"] is None and code(body) == "GRAPHQL_VALIDATION_FAILED"
        ok = (await http.post("/graphql", json={"query": "{ products(first: 1) { totalCount } }"})).json()
        assert "errors" not in ok
