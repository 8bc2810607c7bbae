"""Staying up and quiet: a slow Stripe holds up checkouts, not the catalog, and
no secret or token ever reaches a response or a log line."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
import uuid

import httpx
import pytest

from payments.stripe_gateway import StripeGateway
from shopgraph.app import create_app
from shopgraph.logs import JsonFormatter, TextFormatter
from tests.conftest import GraphQLClient
from tests.fault_proxy import Fault
from tests.graph.accounts.test_accounts import LOGIN, REGISTER, api_key
from tests.shop import cart_with, checkout, make_product
from tests.stripe_emulator import TEST_SECRET_KEY, create_card_token


async def test_a_slow_stripe_holds_up_checkouts_but_not_the_catalog(settings, fault_proxy):
    gateway = StripeGateway(TEST_SECRET_KEY, api_base=fault_proxy.url)
    app = create_app(settings, gateway=gateway, manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as http:
        gql = GraphQLClient(http)
        product = await make_product(1500, 5)
        cart_id = await cart_with(gql, (product, 1))
        fault_proxy.arm("POST", r"/v1/payment_intents/[^/]+/confirm", Fault.DELAY, forward=False, delay=2.0)

        started = time.monotonic()
        slow = asyncio.create_task(checkout(gql, cart_id, "pm_card_visa"))
        await asyncio.sleep(0.3)  # the checkout is now waiting on Stripe
        catalog_times = []
        for _ in range(10):
            t = time.monotonic()
            body = await gql.data("{ products(first: 20) { totalCount nodes { title price { amount } } } }")
            catalog_times.append(time.monotonic() - t)
            assert body["products"]["totalCount"] >= 1
        assert not slow.done(), "the checkout should still be waiting on Stripe"
        assert max(catalog_times) < 0.5, catalog_times
        result = await slow
        assert time.monotonic() - started >= 2.0
        # The delayed confirm was never answered; the SDK retried, and the order settled.
        assert result["order"]["status"] in {"PAID", "PENDING_PAYMENT"}
    await gateway.aclose()


@pytest.fixture(params=["text", "json"])
def written_log(request):
    """What the server's log handler writes, in each `SHOPGRAPH_LOG_FORMAT`, at DEBUG."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter() if request.param == "json" else TextFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield request.param, out
    finally:
        root.removeHandler(handler)


async def test_no_secret_or_token_reaches_a_log_line_or_a_response(gql, localstripe_url, caplog, written_log):
    caplog.set_level(logging.DEBUG)
    log_format, written = written_log
    password = f"pw-{uuid.uuid4().hex}"
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    await gql.data(REGISTER, {"e": email, "p": password})
    token = (await gql.data(LOGIN, {"e": email, "p": password}))["customerLogin"]["sessionToken"]
    key = await api_key("orders:read")
    gql.headers = {"authorization": f"Bearer {key}"}
    await gql("{ orders(first: 1) { nodes { id } } }")
    gql.headers = {}
    product = await make_product(800, 3)
    card = await create_card_token(localstripe_url, "4000002500003155")  # 3-D Secure: a client secret
    result = await checkout(gql, await cart_with(gql, (product, 1)), card)
    client_secret = result["paymentAction"]["clientSecret"]
    bad = await gql.post("{ orders(first: 1) { nodes { id } } }")  # a guest: refused
    assert "errors" in bad.json()

    logged = "\n".join(record.getMessage() + str(record.exc_info or "") for record in caplog.records)
    assert logged, "the flow above should have logged something to check"
    for secret in (password, token, key, TEST_SECRET_KEY, client_secret):
        assert secret not in logged, f"a secret reached the log: {secret[:6]}…"
        assert secret not in written.getvalue(), f"a secret reached the {log_format} log: {secret[:6]}…"
    assert TEST_SECRET_KEY not in bad.text and "Traceback" not in bad.text

    lines = written.getvalue().splitlines()
    if log_format == "json":
        entries = [json.loads(line) for line in lines]  # every line is one JSON object
        checkouts = [e for e in entries if e["logger"] == "shopgraph.request" and e.get("operation") == "checkout"]
        assert checkouts, "the checkout's request line"
        assert {"time", "level", "request_id", "duration_ms", "outcome"} <= set(checkouts[0])
        assert checkouts[0]["outcome"] == "ok" and checkouts[0]["status"] == 200
    else:
        assert any("POST /graphql 200 checkout ok" in line and "[request " in line for line in lines)
