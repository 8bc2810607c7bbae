"""A refund made at Stripe (its dashboard) is counted once, whatever reaches us
first: `charge.refunded` (the charge's running total, no refund id),
`refund.created` / `refund.updated` / `charge.refund.updated` (the refund
object, by its id), each delivered twice, and reconciler passes in between.
The charge comes in both shapes Stripe sends: listing its refunds with their
ids (API versions before 2022-11-15, and localstripe's charges) or with its
running total only (later versions), where a refund is first seen as an amount.

The refunds are made on localstripe through its API, so the reconciler and
the events see the same refund. localstripe never emits charge or refund
events (DESIGN §5): the events are signed payloads (`tests/stripe_events.py`)
of the charge and refund objects localstripe holds, posted to `/webhooks/stripe`.
(localstripe's charges do not name their PaymentIntent; Stripe's do, so the
payload adds it.)
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from commerce.orders.reconcile import reconcile
from payments.gateway import GatewayUnavailable
from tests.conftest import GraphQLClient
from tests.fault_proxy import Fault
from tests.finance_sweep import exempt

from tests.graph.orders.test_money_lifecycle import hook, staff  # noqa: F401 (fixtures)
from tests.shop import intents_of_order, key_of
from tests.stripe_events import (app_client, deliver, event, paid_order, refund_at_stripe, refund_object, stripe_get,
                                 through)

PRICE = 5000
READ = """query($id: ID!) { order(id: $id) {
  id status financialStatus payment { status amountRefunded { minorUnits } }
} }"""
REFUND = """mutation($orderId: ID!, $amount: Decimal, $key: String) {
  refundOrder(orderId: $orderId, amount: $amount, idempotencyKey: $key) { userErrors { code } } }"""
EVENTS = """query($after: String) { orderEvents(first: 100, after: $after) {
  edges { node { type order { id } } } pageInfo { hasNextPage endCursor }
} }"""

class StripeSide:
    """One paid order, the refunds made on it at localstripe, and the events Stripe would send."""

    def __init__(self, staff: GraphQLClient, stripe_url: str, gateway, order: dict, intent_id: str) -> None:
        self.staff, self.stripe_url, self.gateway = staff, stripe_url, gateway
        self.order, self.intent_id = order, intent_id
        self.refunds: list[dict] = []

    @classmethod
    async def paid(cls, staff, stripe_url: str, gateway) -> "StripeSide":
        order, _ = await paid_order(staff, price=PRICE)
        [intent] = await intents_of_order(stripe_url, key_of(order["id"]))
        return cls(staff, stripe_url, gateway, order, intent["id"])

    async def refund_in_dashboard(self, amount: int, kind: str = "refund.created",
                                  shape: str = "listed") -> dict[str, dict]:
        """Refunds `amount` at localstripe; the events Stripe sends about it, by kind."""
        made = await refund_at_stripe(self.stripe_url, self.intent_id, amount)
        self.refunds.append(made)
        intent = await stripe_get(self.stripe_url, f"/v1/payment_intents/{self.intent_id}")
        charge = {**intent["latest_charge"], "payment_intent": self.intent_id}
        assert made["id"] in [r["id"] for r in charge["refunds"]["data"]]
        if shape == "total only":
            del charge["refunds"]
        return {"charge": event("charge.refunded", charge),
                "refund": event(kind, {**made, "payment_intent": self.intent_id})}

    async def stripe_refunded(self) -> int:
        intent = await stripe_get(self.stripe_url, f"/v1/payment_intents/{self.intent_id}")
        return intent["latest_charge"]["amount_refunded"]

    async def step(self, what: str, events: dict[str, dict]) -> None:
        if what == "reconcile":
            await reconcile(self.gateway)
            return
        for _ in range(2):  # Stripe delivers at least once: here, twice
            await deliver(self.staff.http, events[what])

    async def ours(self) -> dict:
        return (await self.staff.data(READ, {"id": self.order["id"]}))["order"]

    async def refunded_events(self) -> int:
        count, after = 0, None
        while True:
            page = (await self.staff.data(EVENTS, {"after": after}))["orderEvents"]
            count += sum(1 for e in page["edges"]
                         if e["node"]["type"] == "ORDER_REFUNDED" and e["node"]["order"]["id"] == self.order["id"])
            if not page["pageInfo"]["hasNextPage"]:
                return count
            after = page["pageInfo"]["endCursor"]

    async def assert_never_more_than_stripe(self) -> None:
        ours = await self.ours()
        assert ours["payment"]["amountRefunded"]["minorUnits"] <= await self.stripe_refunded(), ours

    async def assert_same_as_stripe(self, one_event_per_refund: bool = True) -> None:
        at_stripe = await self.stripe_refunded()
        ours = await self.ours()
        assert ours["payment"]["amountRefunded"]["minorUnits"] == at_stripe
        expected = "REFUNDED" if at_stripe == PRICE else "PARTIALLY_REFUNDED" if at_stripe else "PAID"
        assert (ours["status"], ours["financialStatus"]) == (expected, expected)
        events = await self.refunded_events()
        assert events == len(self.refunds) if one_event_per_refund else 1 <= events <= len(self.refunds) + 1

@pytest.mark.parametrize("shape", ["listed", "total only"])
@pytest.mark.parametrize("steps, kind", [
    (["charge", "refund"], "refund.created"),
    (["refund", "charge"], "refund.created"),
    (["charge", "refund"], "charge.refund.updated"),
    (["refund", "charge"], "refund.updated"),
    (["charge", "reconcile", "refund"], "refund.created"),
    (["refund", "reconcile", "charge"], "refund.created"),
    (["reconcile", "refund", "charge"], "refund.created"),
    (["reconcile", "charge", "refund"], "refund.updated"),
])
async def test_a_dashboard_refund_is_counted_once_in_any_order(staff, gateway, localstripe_url, steps, kind,
                                                                 shape):
    shop = await StripeSide.paid(staff, localstripe_url, gateway)
    events = await shop.refund_in_dashboard(1500, kind, shape)

    for what in steps:
        await shop.step(what, events)
        await shop.assert_same_as_stripe()  # one refund: whichever comes first tells all of it

    assert await shop.stripe_refunded() == 1500

TWO_REFUNDS = [  # (refund number, what) in the order they reach us
    [(1, "charge"), (2, "charge"), (1, "refund"), (2, "refund")],
    [(2, "refund"), (1, "charge"), (1, "refund"), (2, "charge")],
    [(2, "charge"), (1, "refund"), (2, "refund"), (1, "charge")],
    [(1, "charge"), (2, "refund"), (0, "reconcile"), (1, "refund"), (2, "charge")],
]

@pytest.mark.parametrize("shape, steps", [("listed", steps) for steps in TWO_REFUNDS]
                         + [("total only", steps) for steps in TWO_REFUNDS])
async def test_two_dashboard_refunds_on_one_charge_are_each_counted_once(staff, gateway, localstripe_url, shape,
                                                                         steps):
    shop = await StripeSide.paid(staff, localstripe_url, gateway)
    events = {1: await shop.refund_in_dashboard(1000, shape=shape),
              2: await shop.refund_in_dashboard(2500, shape=shape), 0: {}}

    for number, what in steps:
        await shop.step(what, events[number])
        await shop.assert_never_more_than_stripe()

    # A running total that covers two refunds we have no id for tells one amount: one event for
    # both, or (a refund claiming the other's amount, repaired by the next total) one more.
    await shop.assert_same_as_stripe(one_event_per_refund=shape == "listed" or steps in TWO_REFUNDS[:2])
    assert await shop.stripe_refunded() == 3500

async def test_the_last_refund_in_the_dashboard_makes_the_order_refunded_once(staff, gateway, localstripe_url):
    shop = await StripeSide.paid(staff, localstripe_url, gateway)
    first = await shop.refund_in_dashboard(1000)
    await shop.step("charge", first)
    rest = await shop.refund_in_dashboard(PRICE - 1000)
    for what in ("charge", "refund"):
        await shop.step(what, rest)
    await shop.step("refund", first)
    await shop.step("reconcile", {})

    await shop.assert_same_as_stripe()
    assert (await shop.ours())["payment"]["status"] == "REFUNDED"

class AnswersLost:
    """The shop's gateway, except that Stripe's answer to a refund never arrives (the
    refund is made at localstripe all the same), as behind a connection that drops."""

    def __init__(self, gateway) -> None:
        self._gateway = gateway

    def __getattr__(self, name: str):
        return getattr(self._gateway, name)

    async def refund(self, intent_id: str, *, amount: int, idempotency_key: str):
        await self._gateway.refund(intent_id, amount=amount, idempotency_key=idempotency_key)
        raise GatewayUnavailable("the answer was lost")

async def test_our_refund_settled_by_the_reconciler_is_not_counted_again_by_its_refund_object(
        staff, settings, gateway, localstripe_url):
    """The reconciler settles our refund whose answer was lost from Stripe's running total
    (it has no Stripe id); the refund object's event arriving afterwards claims it."""
    shop = await StripeSide.paid(staff, localstripe_url, gateway)
    async with app_client(settings, AnswersLost(gateway)) as lossy:
        client = GraphQLClient(lossy, headers=staff.headers)
        await client.data(REFUND, {"orderId": shop.order["id"], "amount": "15.00", "key": uuid.uuid4().hex})
    intent = await stripe_get(localstripe_url, f"/v1/payment_intents/{shop.intent_id}")
    [made] = intent["latest_charge"]["refunds"]["data"]
    assert (await shop.ours())["payment"]["amountRefunded"]["minorUnits"] == 0  # no answer yet

    await reconcile(gateway, now=datetime.now(timezone.utc) + timedelta(hours=2))
    shop.refunds.append(made)
    await shop.assert_same_as_stripe()
    await shop.step("refund", {"refund": event("refund.created", {**made, "payment_intent": shop.intent_id})})
    await shop.assert_same_as_stripe()
    assert await shop.stripe_refunded() == 1500

@pytest.mark.parametrize("first, second", [(1500, 1500), (1000, 2500), (2500, 1000)])
async def test_a_refund_object_does_not_claim_the_amount_an_earlier_refund_was_counted_as(
        staff, gateway, localstripe_url, first, second):
    """The first refund is told by the charge's running total only (an amount, no id); the
    second by its own refund object only. The object cannot tell by its amount whether it is
    the refund the total counted: the shop asks Stripe for the charge's refunds, and counts both."""
    shop = await StripeSide.paid(staff, localstripe_url, gateway)
    told_by_total = await shop.refund_in_dashboard(first, shape="total only")
    await shop.step("charge", told_by_total)
    await shop.assert_same_as_stripe()

    told_by_object = await shop.refund_in_dashboard(second, shape="total only")
    await shop.step("refund", told_by_object)

    await shop.assert_same_as_stripe()
    await shop.step("refund", told_by_total)  # the first one's object, late: claims its amount
    await shop.step("reconcile", {})
    await shop.assert_same_as_stripe()
    assert await shop.stripe_refunded() == first + second

async def test_a_dashboard_refund_told_by_the_total_after_one_of_ours_failed_is_counted(settings, fault_proxy,
                                                                                         localstripe_url):
    """A refund that fails at Stripe leaves the charge's running total, so a later total no longer
    holds it. localstripe cannot fail a refund (DESIGN §5): `refund.failed` is a signed payload,
    and the fault proxy answers the shop's reads of the PaymentIntent as Stripe would then, the
    failed refund out of the running total."""
    failed: dict[str, int] = {}

    def as_stripe_holds(intent: dict) -> dict:
        intent["latest_charge"]["amount_refunded"] -= sum(failed.values())
        return intent

    fault_proxy.arm("GET", r"/v1/payment_intents/pi_\w+", Fault.REWRITE, times=10**6, rewrite=as_stripe_holds)
    async with through(settings, fault_proxy) as (staff, gateway):
        shop = await StripeSide.paid(staff, localstripe_url, gateway)
        ours = (await staff.data(REFUND, {"orderId": shop.order["id"], "amount": "15.00", "key": uuid.uuid4().hex}))
        assert ours["refundOrder"]["userErrors"] == []
        [made_by_us] = (await stripe_get(localstripe_url, f"/v1/payment_intents/{shop.intent_id}"))[
            "latest_charge"]["refunds"]["data"]
        failed[made_by_us["id"]] = made_by_us["amount"]
        exempt(key_of(shop.order["id"]), "refund.failed is a signed payload; localstripe's refund stays succeeded")
        await deliver(staff.http, event("refund.failed", refund_object(shop.intent_id, made_by_us["id"], "failed",
                                                                       made_by_us["amount"])))
        assert (await shop.ours())["payment"]["amountRefunded"]["minorUnits"] == 0

        made = await refund_at_stripe(localstripe_url, shop.intent_id, 1500)
        charge = as_stripe_holds(await stripe_get(localstripe_url, f"/v1/payment_intents/{shop.intent_id}"))[
            "latest_charge"]
        assert charge["amount_refunded"] == 1500  # as Stripe holds it: the dashboard's refund only
        del charge["refunds"]
        await deliver(staff.http, event("charge.refunded", {**charge, "payment_intent": shop.intent_id}))
        assert (await shop.ours())["payment"]["amountRefunded"]["minorUnits"] == 1500

        await reconcile(gateway)
        await deliver(staff.http, event("refund.created", {**made, "payment_intent": shop.intent_id}))
        now = await shop.ours()
        assert (now["payment"]["amountRefunded"]["minorUnits"], now["financialStatus"]) == (1500, "PARTIALLY_REFUNDED")
