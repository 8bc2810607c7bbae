"""SHOPGRAPH_ENV=production, through the public API: no explorer and no introspection
unless asked for, no app without the Stripe secrets, and mail only over TLS."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from models import EmailMessage
from shopgraph.app import create_app
from shopgraph.outbound import OutboundWorker
from shopgraph.settings import Settings, load_settings
from tests.shop import key_of
from tests.smtp_server import self_signed_certificate, smtp_server
from tests.stripe_events import paid_order

PRODUCTION = {"SHOPGRAPH_ENV": "production", "STRIPE_SECRET_KEY": "sk_test_production",
              "STRIPE_WEBHOOK_SECRET": "whsec_production"}
SCHEMA = "{ __schema { types { name } } }"
TYPE = '{ __type(name: "Product") { fields { name } } }'
STOREFRONT = "{ __typename products(first: 1) { nodes { id title priceRange { minVariantPrice { amount } } } } }"


def production(settings: Settings, **environ: str) -> Settings:
    """The settings a production process reads, on this module's database."""
    loaded = load_settings(environ={**PRODUCTION, "DATABASE_URL": settings.database_url, **environ},
                           dotenv=Path("/nonexistent"))
    return replace(loaded, response_cache=False)


async def _client(settings: Settings, gateway) -> httpx.AsyncClient:
    app = create_app(settings, gateway=gateway, manage_db=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop.test")


def _code(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


async def test_production_has_no_explorer_and_answers_introspection_with_a_typed_error(settings, gateway):
    async with await _client(production(settings), gateway) as http:
        assert (await http.get("/graphql", headers={"accept": "text/html"})).status_code == 404
        for query in (SCHEMA, TYPE):
            response = await http.post("/graphql", json={"query": query})
            assert response.status_code == 200 and response.json()["data"] is None
            assert _code(response.json()) == "GRAPHQL_VALIDATION_FAILED"
            strict = await http.post("/graphql", json={"query": query},
                                     headers={"accept": "application/graphql-response+json"})
            assert strict.status_code == 400 and _code(strict.json()) == "GRAPHQL_VALIDATION_FAILED"
        storefront = (await http.post("/graphql", json={"query": STOREFRONT})).json()
        assert "errors" not in storefront and storefront["data"]["__typename"] == "Query"


async def test_production_can_ask_for_the_explorer_and_introspection(settings, gateway):
    opened = production(settings, SHOPGRAPH_GRAPHIQL="1", SHOPGRAPH_INTROSPECTION="1")
    async with await _client(opened, gateway) as http:
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        body = (await http.post("/graphql", json={"query": SCHEMA})).json()
        assert "errors" not in body and body["data"]["__schema"]["types"]


def test_development_keeps_the_explorer_and_introspection():
    local = load_settings(environ={}, dotenv=Path("/nonexistent"))
    assert not local.production and local.graphiql and local.introspection


@pytest.mark.parametrize("missing", ["STRIPE_WEBHOOK_SECRET", "STRIPE_SECRET_KEY"])
def test_production_refuses_to_make_the_app_without_the_stripe_secrets(settings, missing):
    incomplete = load_settings(environ={**PRODUCTION, missing: ""}, dotenv=Path("/nonexistent"))
    with pytest.raises(ValueError, match=missing):
        create_app(incomplete, manage_db=False)


async def _mail_worker(settings: Settings, smtp_url: str) -> OutboundWorker:
    worker = OutboundWorker(replace(production(settings), smtp_url=smtp_url))
    worker.mail_policy.retry_base = 0.1
    await worker.open()
    await worker.drain()
    return worker


async def test_production_sends_no_mail_to_a_server_without_starttls(gql, settings):
    with smtp_server() as (inbox, url):  # it would take the message in plain text
        worker = await _mail_worker(settings, url)
        order, _ = await paid_order(gql)
        await worker.drain()
        await asyncio.sleep(0.3)
        await worker.drain()  # tried again: still refused
        await worker.stop()
    assert inbox.messages == [] and inbox.logins == []  # neither the message nor the password went out
    [email] = await EmailMessage.filter(order_id=key_of(order["id"]))
    assert email.status.name == "PENDING" and "STARTTLS" in email.last_error


async def test_production_sends_mail_over_starttls(gql, settings, tmp_path, monkeypatch):
    certificate = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))  # the client trusts this test's certificate
    with smtp_server(starttls=certificate) as (inbox, url):
        worker = await _mail_worker(settings, url)
        order, _ = await paid_order(gql)
        await worker.drain()
        await worker.stop()
    assert f"Order {order['number']} confirmed" in [m["Subject"] for m in inbox.messages]
    assert inbox.encrypted and all(inbox.encrypted) and inbox.logins
