"""A reconciler pass told to stop (the server is shutting down) ends after
the order in hand; the next pass settles the rest."""

from __future__ import annotations

from datetime import timedelta

import httpx

from commerce.orders.reconcile import reconcile
from payments.stripe_gateway import StripeGateway
from shopgraph.app import create_app
from tests.conftest import GraphQLClient
from tests.fault_proxy import Fault
from tests.shop import cart_with, checkout, make_product
from tests.stripe_emulator import TEST_SECRET_KEY


async def test_a_pass_told_to_stop_ends_after_the_order_in_hand(settings, fault_proxy):
    gateway = StripeGateway(TEST_SECRET_KEY, api_base=fault_proxy.url, max_network_retries=0)
    app = create_app(settings, gateway=gateway, manage_db=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as http:
            gql = GraphQLClient(http)
            for _ in range(3):  # Stripe's answer to the confirm is lost: the order waits for the reconciler
                cart_id = await cart_with(gql, (await make_product(900, 2), 1))
                fault_proxy.arm("POST", r"/v1/payment_intents/[^/]+/confirm", Fault.ERROR_500, forward=True)
                fault_proxy.arm("GET", r"/v1/payment_intents/[^/]+", Fault.ERROR_500, forward=False)
                assert (await checkout(gql, cart_id, "pm_card_visa"))["order"]["status"] == "PENDING_PAYMENT"

        asked = 0

        def stopping() -> bool:
            nonlocal asked
            asked += 1
            return asked > 1  # the shutdown comes while the first order is in hand

        first = await reconcile(gateway, grace=timedelta(0), audit_window=None, stopping=stopping)
        assert first.examined == 1 and list(first.settled.values()) == ["PAID"]
        rest = await reconcile(gateway, grace=timedelta(0), audit_window=None)
        assert rest.examined == 2 and list(rest.settled.values()) == ["PAID", "PAID"]
    finally:
        await gateway.aclose()
