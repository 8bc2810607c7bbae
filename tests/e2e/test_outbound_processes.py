"""Partner webhooks from two real server processes sharing one PostgreSQL database.

Both processes run the outbound worker and poll every 50 ms; the endpoint takes
0.3 s per answer, so both try to claim the same deliveries while they are in
flight. Each is sent once, never two at a time, in event order.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from contextlib import ExitStack

import httpx

from commerce.catalog.seed import demo_catalog
from tests.e2e.shopping import ship_cart
from tests.e2e.server import running_server, server_env, shopgraph
from tests.webhook_receiver import running_receiver, verify

CREATE = """mutation($url: String!) { webhookSubscriptionCreate(url: $url, topics: [ORDER_CREATED, ORDER_PAID]) {
  secret userErrors { code } } }"""


def _post(base: str, query: str, variables: dict, token: str | None = None) -> dict:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables}, headers=headers, timeout=30).json()
    assert "errors" not in body, body
    return body["data"]


def _buy(base: str, slug: str) -> str:
    product = _post(base, "query($s: String!) { product(slug: $s) { id } }", {"s": slug})["product"]
    cart = _post(base, "mutation($p: ID!) { addToCart(productId: $p) { cart { id } } }", {"p": product["id"]})
    with httpx.Client() as http:
        ship_cart(http, base, cart["addToCart"]["cart"]["id"])
    result = _post(base, "mutation($i: CheckoutInput!) { checkout(input: $i) { order { id status } } }", {"i": {
        "cartId": cart["addToCart"]["cart"]["id"], "email": "two@example.com", "paymentToken": "pm_card_visa",
        "idempotencyKey": uuid.uuid4().hex}})["checkout"]
    assert result["order"]["status"] == "PAID", result
    return result["order"]["id"]


def _sequence(event_id: str) -> int:
    return int(base64.urlsafe_b64decode(event_id + "=" * (-len(event_id) % 4)).decode().split(":")[1])


async def test_two_processes_never_send_one_delivery_twice_at_once(postgres_url, tmp_path):
    env = server_env(postgres_url, SHOPGRAPH_RECONCILE_INTERVAL="0", SHOPGRAPH_WEBHOOKS_ALLOW_PRIVATE="1",
                     SHOPGRAPH_OUTBOUND_INTERVAL="0.05", SHOPGRAPH_MAIL_DIR=str(tmp_path / "mail"))
    shopgraph("migrate", env=env)
    shopgraph("seed", env=env)
    key = shopgraph("apikey", "create", "--name", "partner", "--scope", "webhooks:write", "--scope", "orders:read",
                    env=env).stdout.strip().splitlines()[-1]
    async with running_receiver() as receiver:
        receiver.pause = 0.3
        with ExitStack() as stack:
            servers = [stack.enter_context(running_server(env, tmp_path / f"server{i}.log")) for i in (1, 2)]
            made = await asyncio.to_thread(_post, servers[0], CREATE, {"url": receiver.url}, key)
            secret = made["webhookSubscriptionCreate"]["secret"]
            # Demo products sold one at a time (a single variant), each with stock for the purchases.
            slugs = [p.slug for p in demo_catalog() if len(p.variants) == 1 and p.stock > 0]
            for i in range(6):
                await asyncio.to_thread(_buy, servers[i % 2], slugs[i % len(slugs)])
            await receiver.wait_for(12, timeout=30)
            await asyncio.sleep(1.0)  # room for a second copy to show up
    ids = [r.headers["shopgraph-event-id"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == 12
    assert receiver.most_at_once == 1
    assert [_sequence(i) for i in ids] == sorted(_sequence(i) for i in ids)
    assert all(verify(secret, r.body, r.headers["shopgraph-signature"]) for r in receiver.received)
