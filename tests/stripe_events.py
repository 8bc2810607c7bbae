"""Steps for tests of what happens after the charge: Stripe events signed with
`stripe.WebhookSignature` (for what localstripe never sends), API keys, paid
orders, and what localstripe recorded."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import stripe

from commerce.access import API_KEY_PREFIX, hash_secret, new_secret
from models import ApiKey
from payments.stripe_gateway import StripeGateway
from shopgraph.app import create_app
from shopgraph.settings import Settings
from tests.conftest import GraphQLClient
from tests.shop import cart_with, checkout, intents_of_order, key_of, make_product
from tests.fault_proxy import FaultProxy
from tests.stripe_emulator import TEST_SECRET_KEY, authenticate_3ds, create_card_token

WEBHOOK_SECRET = "whsec_shopgraph_after_the_charge"
THREE_D_SECURE = "4000002500003155"


def signed(event: dict[str, Any], secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, str]:
    payload = json.dumps(event)
    return payload.encode(), stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)


def event(type_: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {"id": event_id or f"evt_{uuid.uuid4().hex[:20]}", "object": "event", "type": type_,
            "created": int(time.time()), "data": {"object": obj}}


def intent_object(intent: dict[str, Any], status: str) -> dict[str, Any]:
    return {**intent, "status": status}


def charge_object(intent_id: str, amount: int, refunded: int) -> dict[str, Any]:
    return {"id": f"ch_{uuid.uuid4().hex[:20]}", "object": "charge", "payment_intent": intent_id,
            "amount": amount, "amount_refunded": refunded, "refunded": refunded >= amount}


def dispute_object(intent_id: str, dispute_id: str, status: str, amount: int) -> dict[str, Any]:
    return {"id": dispute_id, "object": "dispute", "payment_intent": intent_id, "charge": "ch_x",
            "status": status, "amount": amount}


def refund_object(intent_id: str, refund_id: str, status: str, amount: int) -> dict[str, Any]:
    return {"id": refund_id, "object": "refund", "payment_intent": intent_id, "status": status, "amount": amount}


async def post_event(http: httpx.AsyncClient, body: bytes, header: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if header is not None:
        headers["stripe-signature"] = header
    return await http.post("/webhooks/stripe", content=body, headers=headers)


async def deliver(http: httpx.AsyncClient, evt: dict[str, Any]) -> dict[str, Any]:
    response = await post_event(http, *signed(evt))
    assert response.status_code == 200, response.text
    return response.json()


def app_client(settings: Settings, gateway, secret: str | None = WEBHOOK_SECRET) -> httpx.AsyncClient:
    """An HTTP client on an app that knows the webhook secret (none: `secret` None)."""
    app = create_app(replace(settings, stripe_webhook_secret=secret or ""), gateway=gateway, manage_db=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shopgraph.test")


async def api_key(scopes: str = "orders:write orders:read") -> str:
    key = new_secret(API_KEY_PREFIX)
    await ApiKey.create(name="test", prefix=key[:8], key_hash=hash_secret(key), scopes=scopes)
    return key


async def paid_order(gql: GraphQLClient, price: int = 5000, quantity: int = 1) -> tuple[dict[str, Any], Any]:
    """A PAID order (pm_card_visa) and its product."""
    product = await make_product(price, 10)
    result = await checkout(gql, await cart_with(gql, (product, quantity)), "pm_card_visa")
    assert result["order"]["status"] == "PAID", result
    return result["order"], product


async def order_awaiting_3ds(gql: GraphQLClient, stripe_url: str, price: int = 3000) -> tuple[dict, dict, Any]:
    """An ACTION_REQUIRED order, its PaymentIntent at localstripe (with the client secret) and its product."""
    product = await make_product(price, 5)
    token = await create_card_token(stripe_url, THREE_D_SECURE)
    result = await checkout(gql, await cart_with(gql, (product, 1)), token)
    assert result["order"]["status"] == "ACTION_REQUIRED", result
    [intent] = await intents_of_order(stripe_url, key_of(result["order"]["id"]))
    return result["order"], {**intent, "client_secret": result["paymentAction"]["clientSecret"]}, product


async def authenticated(stripe_url: str, intent: dict, success: bool = True) -> dict[str, Any]:
    """Completes 3-D Secure at localstripe; returns the PaymentIntent as it then stands."""
    await authenticate_3ds(stripe_url, intent["id"], intent["client_secret"], success=success)
    return await stripe_get(stripe_url, f"/v1/payment_intents/{intent['id']}")


async def stripe_get(stripe_url: str, path: str, **params: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=stripe_url, headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"}) as http:
        return (await http.get(path, params=params)).raise_for_status().json()


async def stripe_refunds(stripe_url: str, intent_id: str) -> list[dict[str, Any]]:
    """Every refund localstripe made on this PaymentIntent."""
    return (await stripe_get(stripe_url, "/v1/refunds", payment_intent=intent_id, limit=100))["data"]


async def refund_at_stripe(stripe_url: str, intent_id: str, amount: int) -> dict[str, Any]:
    """A refund made at Stripe directly (as from the dashboard), not through shopgraph."""
    async with httpx.AsyncClient(base_url=stripe_url, headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"}) as http:
        response = await http.post("/v1/refunds", data={"payment_intent": intent_id, "amount": str(amount)})
    return response.raise_for_status().json()


@asynccontextmanager
async def through(settings, proxy: FaultProxy) -> AsyncIterator[tuple[GraphQLClient, StripeGateway]]:
    """A staff client of an app whose Stripe calls go through `proxy`, and that app's gateway."""
    faulty = StripeGateway(TEST_SECRET_KEY, api_base=proxy.url, max_network_retries=0)
    try:
        async with app_client(settings, faulty) as http:
            yield GraphQLClient(http, headers={"Authorization": f"Bearer {await api_key()}"}), faulty
    finally:
        await faulty.aclose()
