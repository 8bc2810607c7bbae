"""`/metrics`: Prometheus counters that move with GraphQL requests and
checkouts, shown only to the bearer of `SHOPGRAPH_METRICS_TOKEN`."""

from __future__ import annotations

import dataclasses
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from shopgraph.app import create_app
from tests.conftest import GraphQLClient
from tests.shop import cart_with, checkout, make_product
from tests.stripe_emulator import create_card_token

TOKEN = f"metrics-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
async def metrics_http(settings, gateway):
    app = create_app(dataclasses.replace(settings, metrics_token=TOKEN), gateway=gateway, manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shopgraph.test") as client:
        yield client


async def scrape(http: httpx.AsyncClient) -> dict[tuple[str, frozenset], float]:
    response = await http.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_are_not_served_without_a_configured_token(http):
    assert (await http.get("/metrics")).status_code == 404
    assert (await http.get("/metrics", headers={"authorization": "Bearer anything"})).status_code == 404


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", "Bearer"],
                         ids=["none", "wrong-bearer", "basic-with-the-token", "bearer-without-token"])
async def test_metrics_need_the_token(metrics_http, authorization):
    headers = {"authorization": authorization} if authorization else {}
    response = await metrics_http.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert "shopgraph_" not in response.text


async def test_graphql_requests_are_counted_by_operation_and_outcome(metrics_http):
    gql = GraphQLClient(metrics_http)
    before = await scrape(metrics_http)
    await gql.data("query CatalogPage { products(first: 2) { totalCount } }")
    await gql.data("query CatalogPage { products(first: 2) { totalCount } }")
    await gql.data("{ products(first: 1) { totalCount } }")  # unnamed: its first field names it
    assert "errors" in await gql("{ nope }")
    after = await scrape(metrics_http)

    requests = "shopgraph_graphql_requests_total"
    assert value(after, requests, operation="CatalogPage", outcome="ok") - \
        value(before, requests, operation="CatalogPage", outcome="ok") == 2
    assert value(after, requests, operation="products", outcome="ok") - \
        value(before, requests, operation="products", outcome="ok") == 1
    assert value(after, requests, operation="nope", outcome="rejected") - \
        value(before, requests, operation="nope", outcome="rejected") == 1
    duration = "shopgraph_graphql_request_duration_seconds_count"
    assert value(after, duration, operation="CatalogPage", outcome="ok") - \
        value(before, duration, operation="CatalogPage", outcome="ok") == 2
    assert value(after, "shopgraph_http_requests_in_flight") == 1  # the scrape itself
    for defined in ("shopgraph_checkouts", "shopgraph_webhook_deliveries", "shopgraph_emails",
                    "shopgraph_outbox_lag_seconds", "shopgraph_reconciler_passes"):
        assert f"# TYPE {defined}" in (await metrics_http.get(
            "/metrics", headers={"authorization": f"Bearer {TOKEN}"})).text


async def test_checkouts_are_counted_by_outcome(metrics_http, localstripe_url):
    gql = GraphQLClient(metrics_http)
    product = await make_product(1200, 5)
    before = await scrape(metrics_http)
    paid = await checkout(gql, await cart_with(gql, (product, 1)), await create_card_token(localstripe_url, "4242424242424242"))
    declined = await checkout(gql, await cart_with(gql, (product, 1)),
                              await create_card_token(localstripe_url, "4000000000000341"))
    after = await scrape(metrics_http)
    assert paid["order"]["status"] == "PAID"
    assert declined["userErrors"][0]["code"] == "CARD_DECLINED"
    checkouts = "shopgraph_checkouts_total"
    assert value(after, checkouts, outcome="paid") - value(before, checkouts, outcome="paid") == 1
    assert value(after, checkouts, outcome="card_declined") - value(before, checkouts, outcome="card_declined") == 1
    requests = "shopgraph_graphql_requests_total"
    assert value(after, requests, operation="checkout", outcome="ok") - \
        value(before, requests, operation="checkout", outcome="ok") == 2


def test_operation_labels_are_bounded():
    from shopgraph import metrics

    assert metrics.operation_label(None) == "anonymous"
    assert metrics.operation_label("x" * 65) == "other"
    assert metrics.operation_label("drop table") == "other"
    for n in range(metrics._MAX_OPERATIONS + 5):
        metrics.operation_label(f"Generated{n}")
    assert metrics.operation_label("OneMoreNewName") == "other"
