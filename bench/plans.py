"""Compiled reads against the reference executor: server CPU per request, in process.

Builds the app twice (`compiled_reads` on and off, response cache off) on one
seeded database (a fresh SQLite file by default: the demo catalog and shop
rules, as `shopgraph seed` makes them), checks both answer every document
with the same bytes, then times each document through httpx's ASGI
transport, alternating on, off, on, off... (`--rounds` pairs of `--requests`
requests each) and prints the median CPU ms per request (time.process_time:
the app, the ORM and the database driver, all in this process) of each.

Documents (bench/run.py's): products(first: 20) with every scalar field, the
variant catalog page, search with two filters and facets, and the
storefront's cart read on a cart with three lines and an address.

    python -m bench.plans [--requests 200] [--rounds 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from typing import Any

import httpx

from bench.run import ADD_TO_CART, PRODUCTS, READ_CART, SEARCH_FACETS, SHIP_TO, US_ADDRESS, VARIANT_PAGE
from commerce.catalog.seed import seed_demo_catalog
from commerce.shop_rules.seed import seed_shop_rules
from shopgraph import db
from shopgraph.app import create_app
from shopgraph.settings import Settings


async def _post(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> bytes:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}})
    response.raise_for_status()
    return response.content


async def _cart(client: httpx.AsyncClient) -> str:
    """A cart with three lines and a US address, as the bench's cart flow makes it."""
    variants = [
        node["id"]
        for product in (await client.post("/graphql", json={
            "query": "{ products(first: 40) { nodes { variants(first: 20) { nodes { id requiresShipping } } } } }",
        })).json()["data"]["products"]["nodes"]
        for node in product["variants"]["nodes"] if node["requiresShipping"]
    ][:3]
    cart_id = None
    for variant in variants:
        body = (await client.post("/graphql", json={"query": ADD_TO_CART, "variables": {
            "cartId": cart_id, "variantId": variant, "quantity": 1}})).json()
        cart_id = body["data"]["addToCart"]["cart"]["id"]
    await client.post("/graphql", json={"query": SHIP_TO, "variables": {"cartId": cart_id, "address": US_ADDRESS}})
    return cart_id  # type: ignore[return-value]


async def _cpu_ms(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None, requests: int) -> float:
    started = time.process_time()
    for _ in range(requests):
        await _post(client, query, variables)
    return (time.process_time() - started) * 1000 / requests


async def main(requests: int, rounds: int, database_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = database_url or f"sqlite://{directory}/bench.sqlite3"
        await db.migrate(url)
        await db.init_db(url)
        try:
            await seed_demo_catalog("USD", only_if_empty=True)
            await seed_shop_rules("USD")
            await _run(url, requests, rounds)
        finally:
            await db.close_db()


async def _run(url: str, requests: int, rounds: int) -> None:
    clients = {
        compiled: httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(
            Settings(database_url=url, currency="USD", response_cache=False, compiled_reads=compiled),
            manage_db=False)), base_url="http://shopgraph.test")
        for compiled in (True, False)
    }
    cart_id = await _cart(clients[False])
    documents = {
        "products(first: 20)": (PRODUCTS, None),
        "variant catalog": (VARIANT_PAGE, None),
        "search + 2 filters + facets": (SEARCH_FACETS, None),
        "cart read": (READ_CART, {"id": cart_id}),
    }
    for name, (query, variables) in documents.items():
        answers = {compiled: await _post(client, query, variables) for compiled, client in clients.items()}
        if answers[True] != answers[False]:
            raise SystemExit(f"{name}: the compiled answer differs from the reference's")
    print(f"CPU ms per request (median of {rounds} rounds of {requests} requests; on/off alternating)")
    print(f"{'document':<30} {'compiled':>9} {'reference':>10} {'ratio':>6}")
    for name, (query, variables) in documents.items():
        times: dict[bool, list[float]] = {True: [], False: []}
        for compiled in (True, False):  # warm both
            await _cpu_ms(clients[compiled], query, variables, max(requests // 10, 5))
        for _ in range(rounds):
            for compiled in (True, False):
                times[compiled].append(await _cpu_ms(clients[compiled], query, variables, requests))
        on, off = statistics.median(times[True]), statistics.median(times[False])
        print(f"{name:<30} {on:>9.2f} {off:>10.2f} {off / on:>5.1f}x")
    for client in clients.values():
        await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="an empty or seeded database (default: a fresh SQLite file)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.rounds, arguments.database_url))
