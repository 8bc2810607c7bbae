"""Compiled reads (graph/core/plans): a query answers the same bytes on its plan as on the reference
executor, what the plans do not run falls back as a whole operation, and `/metrics` counts both."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from graphql import parse

from graph.core.ids import to_global_id
from graph.core.plans.executor import PlanCache
from models import ProductVariant
from shopgraph.app import create_app
from tests.graph.core.test_metrics import TOKEN, scrape, value
from tests.shop import ADD, make_product


@pytest.fixture(scope="module")
async def clients(settings, gateway):
    """The app with compiled reads (True) and without (False), on the same database."""
    made = {}
    for compiled in (True, False):
        app = create_app(dataclasses.replace(settings, compiled_reads=compiled, metrics_token=TOKEN),
                         gateway=gateway, manage_db=False)
        made[compiled] = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shopgraph.test")
    yield made
    for client in made.values():
        await client.aclose()


@pytest.fixture(scope="module")
async def catalog(database):
    products = [await make_product(price=1000 + 250 * n, stock=n, title=f"Plan product {n}", slug=f"plan-{n}")
                for n in range(3)]
    variant = await ProductVariant.filter(product_id=products[0].id).first()
    return {"product": to_global_id("Product", products[0].id), "variant": to_global_id("ProductVariant", variant.id)}


async def both(clients: dict[bool, httpx.AsyncClient], query: str, variables: dict[str, Any] | None = None) -> bytes:
    """The response body, which must be the same bytes with and without compiled reads."""
    bodies = {}
    for compiled, client in clients.items():
        response = await client.post("/graphql", json={"query": query, "variables": variables or {}})
        assert response.status_code == 200, response.text
        bodies[compiled] = response.content
    assert bodies[True] == bodies[False]
    return bodies[True]


SHAPES = """
query Shapes($withPrice: Boolean!, $skipTags: Boolean!) {
  first: products(first: 2) {
    __typename
    totalCount
    nodes { ...Card handle: slug }
    edges { cursor node { __typename ... on Product { id title } } }
  }
  again: products(first: 2) { nodes { title ...Card @skip(if: $skipTags) } }
}
fragment Card on Product {
  __typename
  name: title
  title
  price @include(if: $withPrice) { amount currencyCode }
  ... on Node { id }
  tags @skip(if: $skipTags)
  variants(first: 1) { nodes { id ...on ProductVariant { sku price { amount } } } }
}
"""


@pytest.mark.parametrize("with_price,skip_tags", [(True, False), (False, True), (True, True)])
async def test_aliases_fragments_typename_and_directives_answer_the_same(clients, catalog, with_price, skip_tags):
    body = await both(clients, SHAPES, {"withPrice": with_price, "skipTags": skip_tags})
    assert (b'"currencyCode"' in body) is with_price
    assert (b'"tags"' in body) is not skip_tags


async def test_an_error_in_a_nullable_field_answers_null_beside_its_siblings(clients, catalog):
    body = await both(clients, '{ product { title } products(first: 1) { totalCount } }')
    assert b'"product":null' in body and b'"totalCount"' in body and b"BAD_USER_INPUT" in body


@pytest.mark.parametrize("query", [
    '{ products(first: 1, after: "x") { totalCount } }',
    '{ product(slug: "plan-1") { title variants(after: "x") { totalCount } } }',
    '{ products(first: 3) { nodes { title variants(after: "x") { totalCount } } } }',
], ids=["root", "nested", "in-a-list"])
async def test_an_error_in_a_non_null_field_nulls_the_nearest_nullable_parent(clients, catalog, query):
    body = await both(clients, query)
    assert b"BAD_USER_INPUT" in body and b"null" in body


async def test_the_node_interface_answers_the_same(clients, catalog):
    query = ('query ($id: ID!, $variant: ID!) { node(id: $id) { ...Named } variant: node(id: $variant) { ...Named } '
             'missing: node(id: "nope") { id } } '
             'fragment Named on Node { __typename id ... on Product { slug title variants { nodes { id } } } '
             '... on ProductVariant { sku title } }')
    body = await both(clients, query, {"id": catalog["product"], "variant": catalog["variant"]})
    assert b'"__typename":"Product"' in body and b'"__typename":"ProductVariant"' in body
    assert b'"missing":null' in body and b"errors" not in body


async def test_queries_run_on_their_plans(clients, catalog):
    before = await scrape(clients[True])
    await both(clients, '{ products(first: 1) { nodes { title } } }')
    after = await scrape(clients[True])
    assert value(after, "shopgraph_plan_runs_total") == value(before, "shopgraph_plan_runs_total") + 1


@pytest.mark.parametrize("reason", ["mutation", "introspection"])
async def test_what_the_plans_do_not_run_falls_back_with_its_reason(clients, catalog, reason):
    product = await make_product(price=500, stock=5)
    before = await scrape(clients[True])
    if reason == "mutation":
        response = await clients[True].post("/graphql", json={"query": ADD, "variables": {
            "cartId": None, "productId": to_global_id("Product", product.id), "quantity": 1}})
        assert response.json()["data"]["addToCart"]["cart"]["id"]
    else:
        assert b'"queryType"' in await both(clients, '{ __schema { queryType { name } } products { totalCount } }')
    after = await scrape(clients[True])
    fallbacks = value(after, "shopgraph_plan_fallbacks_total", reason=reason)
    assert fallbacks == value(before, "shopgraph_plan_fallbacks_total", reason=reason) + 1
    assert value(after, "shopgraph_plan_runs_total") == value(before, "shopgraph_plan_runs_total")


async def test_a_long_document_answers_the_same_and_its_plan_is_not_kept(clients, catalog):
    padded = "# " + "x" * PlanCache.KEPT_SOURCE_CHARS + "\n{ products(first: 2) { nodes { id title } totalCount } }"
    assert b'"Plan product' in await both(clients, padded)

    cache = PlanCache(4)
    for source in ("{ products(first: 1) { nodes { id } } }", padded, padded):
        operation = parse(source).definitions[0]
        cache.document(SimpleNamespace(operation=operation, fragments={}))
    assert len(cache.documents) == 1  # the short document only: a long one is planned for its request alone
