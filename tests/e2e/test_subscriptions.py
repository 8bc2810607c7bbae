"""`orderStatusChanged` over graphql-transport-ws, against real server processes.

On PostgreSQL the change is made through one server process and pushed by the
other (LISTEN/NOTIFY); on SQLite, one process pushes its own changes.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import ExitStack

import httpx
import pytest
import websockets

from commerce.catalog.seed import demo_catalog
from tests.e2e.server import running_server, server_env, shopgraph
from tests.e2e.shopping import ship_cart

SUBSCRIBE = "subscription($id: ID!) { orderStatusChanged(orderId: $id) { id number status } }"


def _post(base: str, query: str, variables: dict, token: str | None = None) -> dict:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables}, headers=headers, timeout=30).json()
    assert "errors" not in body, body
    return body["data"]


def _paid_order(base: str) -> dict:
    """A guest buys a demo product with a PaymentMethod on the server's emulator."""
    slug = next(p.slug for p in demo_catalog() if len(p.variants) == 1 and p.stock > 0)
    product = _post(base, "query($s: String!) { product(slug: $s) { id } }", {"s": slug})["product"]
    cart = _post(base, "mutation($p: ID!) { addToCart(productId: $p) { cart { id } } }", {"p": product["id"]})
    with httpx.Client() as http:
        ship_cart(http, base, cart["addToCart"]["cart"]["id"])
    result = _post(
        base,
        "mutation($i: CheckoutInput!) { checkout(input: $i) { order { id number status } userErrors { code } } }",
        {"i": {"cartId": cart["addToCart"]["cart"]["id"], "email": "sub@example.com",
               "paymentToken": "pm_card_visa", "idempotencyKey": uuid.uuid4().hex}},
    )["checkout"]
    assert result["order"]["status"] == "PAID", result
    return result["order"]


def _staff_key(env: dict[str, str]) -> str:
    out = shopgraph("apikey", "create", "--name", "staff", "--scope", "orders:write", "--scope", "orders:read", env=env)
    return out.stdout.strip().splitlines()[-1]


async def _next_status(websocket_url: str, order_id: str, token: str | None, act) -> dict:
    """Subscribes, waits until the subscription is live, calls `act`, returns the first pushed order."""
    async with websockets.connect(websocket_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": f"Bearer {token}"} if token else {}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": SUBSCRIBE, "variables": {"id": order_id}}}))
        await asyncio.sleep(0.5)  # the subscription starts listening; nothing is pushed before a change
        await asyncio.to_thread(act)
        message = json.loads(await asyncio.wait_for(ws.recv(), 15))
        assert message["type"] == "next", message
        return message["payload"]["data"]["orderStatusChanged"]


def _fulfil(base: str, order_id: str, token: str) -> None:
    done = _post(base, "mutation($o: ID!) { orderMarkFulfilled(orderId: $o) { order { status } userErrors { code } } }",
                 {"o": order_id}, token)
    assert done["orderMarkFulfilled"]["userErrors"] == []


def _ws(base: str) -> str:
    return base.replace("http://", "ws://") + "/graphql"


async def test_a_change_made_through_one_process_reaches_a_subscriber_of_another(postgres_url, tmp_path):
    env = server_env(postgres_url, SHOPGRAPH_RECONCILE_INTERVAL="0")
    shopgraph("migrate", env=env)
    shopgraph("seed", env=env)
    token = _staff_key(env)
    with ExitStack() as stack:
        first = stack.enter_context(running_server(env, tmp_path / "first.log"))
        second = stack.enter_context(running_server(env, tmp_path / "second.log"))
        order = await asyncio.to_thread(_paid_order, second)
        pushed = await _next_status(_ws(first), order["id"], token, lambda: _fulfil(second, order["id"], token))
    assert pushed == {"id": order["id"], "number": order["number"], "status": "FULFILLED"}


async def test_one_sqlite_process_pushes_its_own_changes_and_keeps_orders_private(tmp_path):
    env = server_env(f"sqlite://{tmp_path / 'shop.db'}", SHOPGRAPH_RECONCILE_INTERVAL="0")
    shopgraph("migrate", env=env)
    shopgraph("seed", env=env)
    token = _staff_key(env)
    with running_server(env, tmp_path / "server.log") as base:
        order = await asyncio.to_thread(_paid_order, base)
        pushed = await _next_status(_ws(base), order["id"], None, lambda: _fulfil(base, order["id"], token))
        assert pushed["status"] == "FULFILLED"

        # Someone else's order, or no order at all, is refused at once.
        async with websockets.connect(_ws(base), subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            await ws.recv()
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": SUBSCRIBE, "variables": {"id": "T3JkZXI6MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA"}}}))
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert message["type"] in {"error", "next"}
            errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
            assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


RESUME = "subscription($id: ID!, $after: String) { orderStatusChanged(orderId: $id, after: $after) { status eventCursor } }"


async def _pushed(websocket_url: str, order_id: str, token: str, count: int, after: str | None = None, act=None) -> list:
    """Subscribes (from `after`), calls `act` once live, returns the first `count` orders pushed."""
    async with websockets.connect(websocket_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": RESUME, "variables": {"id": order_id, "after": after}}}))
        if act is not None:
            await asyncio.sleep(0.5)
            await act()
        pushed = []
        for _ in range(count):
            message = json.loads(await asyncio.wait_for(ws.recv(), 15))
            assert message["type"] == "next", message
            pushed.append(message["payload"]["data"]["orderStatusChanged"])
        return pushed


async def test_a_subscriber_that_comes_back_with_its_cursor_gets_what_it_missed(tmp_path):
    env = server_env(f"sqlite://{tmp_path / 'shop.db'}", SHOPGRAPH_RECONCILE_INTERVAL="0")
    shopgraph("migrate", env=env)
    shopgraph("seed", env=env)
    token = _staff_key(env)
    with running_server(env, tmp_path / "server.log") as base:
        order = await asyncio.to_thread(_paid_order, base)
        seen = _post(base, "query($o: ID!) { order(id: $o) { status eventCursor } }", {"o": order["id"]}, token)
        assert seen["order"]["status"] == "PAID"
        # While nobody listens, the order is fulfilled; the client comes back with its cursor.
        await asyncio.to_thread(_fulfil, base, order["id"], token)
        [missed] = await _pushed(_ws(base), order["id"], token, 1, after=seen["order"]["eventCursor"])
        assert missed["status"] == "FULFILLED" and missed["eventCursor"] != seen["order"]["eventCursor"]
        # From the start of the feed: the order as each change left it, oldest first.
        created = _post(base, "{ orderEvents(first: 1) { edges { cursor } } }", {}, token)
        history = await _pushed(_ws(base), order["id"], token, 2, after=created["orderEvents"]["edges"][0]["cursor"])
        assert [h["status"] for h in history] == ["PAID", "FULFILLED"]


async def _listeners(database_url: str) -> list[int]:
    import asyncpg

    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()")
        return [row["pid"] for row in rows]
    finally:
        await connection.close()


async def test_a_change_made_while_the_listen_connection_is_down_still_reaches_the_subscriber(postgres_url, tmp_path):
    env = server_env(postgres_url, SHOPGRAPH_RECONCILE_INTERVAL="0")
    shopgraph("migrate", env=env)
    shopgraph("seed", env=env)
    token = _staff_key(env)
    with ExitStack() as stack:
        first = stack.enter_context(running_server(env, tmp_path / "first.log"))
        second = stack.enter_context(running_server(env, tmp_path / "second.log"))
        order = await asyncio.to_thread(_paid_order, second)

        async def cut_and_change() -> None:
            import asyncpg

            listening = await _listeners(postgres_url)
            assert len(listening) == 2  # one per server process
            admin = await asyncpg.connect(postgres_url)
            try:
                for pid in listening:
                    await admin.execute("SELECT pg_terminate_backend($1)", pid)
            finally:
                await admin.close()
            await asyncio.to_thread(_fulfil, second, order["id"], token)
            # Its NOTIFY went out while no process listened: it reached nobody.
            assert await _listeners(postgres_url) == []

        [pushed] = await _pushed(_ws(first), order["id"], token, 1, act=cut_and_change)
    assert pushed["status"] == "FULFILLED"
    assert "lost the LISTEN connection" in (tmp_path / "first.log").read_text()
