"""Statements and server CPU per write: the cart flow and a checkout, in-process.

    python -m bench.writes [--rounds 30] [--database sqlite|postgres|both] [--list]

Builds the app in this process (httpx.ASGITransport, no server, no outbox
workers: every statement counted is the request's), on a fresh database
seeded as `make bench` seeds it (bench/run.py `_prepare`), with a localstripe
for the checkout. For each request of the storefront's cart flow (addToCart
on a new cart, addToCart twice on it, cartShippingAddressUpdate to a US
address, the cart(id) read) and for a checkout of the bench's cart (one
shipping variant, US address, delivery option, tax, WELCOME10, pm_card_visa),
it prints the SQL statements the request sent and the process CPU time it
took (time.process_time, median over the rounds; checkout CPU includes the
SDK's own work for its three Stripe calls). `--list` prints each statement.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.run import (ADD_TO_CART, CART_FIELDS, CHECKOUT, CHECKOUT_CART_FIELDS, DISCOUNT_CODE, READ_CART, SHIP_TO,
                       US_ADDRESS, USER_ERRORS, database)
from payments.stripe_gateway import StripeGateway
from shopgraph import db
from shopgraph.app import create_app
from shopgraph.settings import Settings
from tests.stripe_emulator import TEST_SECRET_KEY, running_localstripe

SQL_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")
# The storefront's other cart documents (storefront/js/api.js), answered with the cart as it shows it.
DELIVERY = ("mutation ChooseDelivery($cartId: ID!, $handle: String!) { cartSelectedDeliveryOptionUpdate(cartId: $cartId, "
            f"handle: $handle) {{ cart {{ {CHECKOUT_CART_FIELDS} }} {USER_ERRORS} }} }}")
CODES = ("mutation DiscountCodes($cartId: ID!, $codes: [String!]!) { cartDiscountCodesUpdate(cartId: $cartId, "
         f"codes: $codes) {{ cart {{ {CHECKOUT_CART_FIELDS} }} {USER_ERRORS} }} }}")
UPDATE_LINE = ("mutation UpdateCartLine($cartId: ID!, $lineId: ID!, $quantity: Int!) { updateCartLine(cartId: $cartId, "
               f"lineId: $lineId, quantity: $quantity) {{ cart {{ {CART_FIELDS} }} {USER_ERRORS} }} }}")
REMOVE_LINE = ("mutation RemoveFromCart($cartId: ID!, $lineId: ID!) { removeFromCart(cartId: $cartId, lineId: $lineId) "
               f"{{ cart {{ {CART_FIELDS} }} {USER_ERRORS} }} }}")
REPORTED = ("add-new", "add1", "add2", "address", "read", "update-line", "remove-line", "delivery", "codes", "checkout")


class _Statements(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().lstrip()
        if message.upper().startswith(SQL_VERBS):
            self.statements.append(message)


class Bench:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.counter = _Statements()
        logger = logging.getLogger("tortoise.db_client")
        logger.setLevel(logging.DEBUG)
        logger.addHandler(self.counter)
        self.cpu: dict[str, list[float]] = {}
        self.sql: dict[str, list[str]] = {}

    async def gql(self, query: str, variables: dict[str, Any], kind: str | None = None) -> dict[str, Any]:
        self.counter.statements = []
        started = time.process_time()
        response = await self.client.post("/graphql", json={"query": query, "variables": variables})
        spent = (time.process_time() - started) * 1000
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        if kind is not None:
            self.cpu.setdefault(kind, []).append(spent)
            self.sql[kind] = self.counter.statements
        return body["data"]

    async def variant_ids(self) -> list[str]:
        data = await self.gql("query { products(first: 20) { nodes { slug variants(first: 5) { nodes { id "
                              "requiresShipping quantityAvailable } } } } }", {})
        shipping = [next(v["id"] for v in p["variants"]["nodes"] if v["requiresShipping"] and v["quantityAvailable"] > 5)
                    for p in data["products"]["nodes"] if p["slug"] != "bench-widget"
                    and any(v["requiresShipping"] and v["quantityAvailable"] > 5 for v in p["variants"]["nodes"])]
        return shipping[:3]

    async def cart_flow(self, variants: list[str], measured: bool) -> str:
        cart = (await self.gql(ADD_TO_CART, {"cartId": None, "variantId": variants[0], "quantity": 1},
                               "add-new" if measured else None))["addToCart"]["cart"]["id"]
        for index, variant in enumerate(variants[1:], start=1):
            await self.gql(ADD_TO_CART, {"cartId": cart, "variantId": variant, "quantity": 1},
                           f"add{index}" if measured else None)
        await self.gql(SHIP_TO, {"cartId": cart, "address": US_ADDRESS}, "address" if measured else None)
        read = await self.gql(READ_CART, {"id": cart}, "read" if measured else None)
        lines = [line["id"] for line in read["cart"]["lines"]]
        await self.gql(UPDATE_LINE, {"cartId": cart, "lineId": lines[0], "quantity": 2},
                       "update-line" if measured else None)
        await self.gql(REMOVE_LINE, {"cartId": cart, "lineId": lines[1]}, "remove-line" if measured else None)
        return cart

    async def checkout_cart(self, widget: str) -> str:
        cart = (await self.gql(ADD_TO_CART, {"cartId": None, "variantId": widget, "quantity": 1}))["addToCart"]["cart"]
        shipped = (await self.gql(SHIP_TO, {"cartId": cart["id"], "address": US_ADDRESS}))["cartShippingAddressUpdate"]
        handle = shipped["cart"]["deliveryOptions"][0]["handle"]
        await self.gql(DELIVERY, {"cartId": cart["id"], "handle": handle}, "delivery")
        codes = await self.gql(CODES, {"cartId": cart["id"], "codes": [DISCOUNT_CODE]}, "codes")
        assert codes["cartDiscountCodesUpdate"]["cart"]["discountCodes"] == [{"code": DISCOUNT_CODE, "applicable": True}]
        return cart["id"]

    async def checkout(self, cart: str) -> None:
        data = await self.gql(CHECKOUT, {"input": {"cartId": cart, "email": "bench@example.com",
                                                   "paymentToken": "pm_card_visa",
                                                   "idempotencyKey": uuid.uuid4().hex}}, "checkout")
        assert data["checkout"]["order"]["status"] == "PAID", data


async def _run(url: str, stripe_url: str, rounds: int, show: bool) -> None:
    await db.init_db(url)
    gateway = StripeGateway(TEST_SECRET_KEY, api_base=stripe_url)
    settings = Settings(database_url=url, currency="USD", response_cache=False)
    app = create_app(settings, gateway=gateway, manage_db=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench.test") as client:
            bench = Bench(client)
            variants = await bench.variant_ids()
            widget = (await bench.gql('query { product(slug: "bench-widget") { variants(first: 1) { nodes { id } } } }',
                                      {}))["product"]["variants"]["nodes"][0]["id"]
            await bench.cart_flow(variants, measured=False)  # warm-up
            await bench.checkout(await bench.checkout_cart(widget))
            bench.cpu.clear()
            for _ in range(rounds):
                await bench.cart_flow(variants, measured=True)
                await bench.checkout(await bench.checkout_cart(widget))
            for kind in REPORTED:
                cpu = statistics.median(bench.cpu[kind])
                print(f"  {kind:11s} {len(bench.sql[kind]):3d} SQL  {cpu:7.2f} ms CPU (median of {len(bench.cpu[kind])})")
                if show:
                    for statement in bench.sql[kind]:
                        print(f"      {statement[:220]}")
    finally:
        await gateway.aclose()
        await db.close_db()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--list", action="store_true", help="print every statement of each request")
    args = parser.parse_args()
    kinds = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    with tempfile.TemporaryDirectory() as work, running_localstripe(Path(work) / "localstripe.log") as stripe_url:
        for kind in kinds:
            with database(kind, Path(work)) as url:
                print(f"{kind}:")
                asyncio.run(_run(url, stripe_url, args.rounds, args.list))


if __name__ == "__main__":
    main()
