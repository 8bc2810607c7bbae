"""A model of the money lifecycle (hypothesis `RuleBasedStateMachine`) against localstripe.

Rules: checkouts (success, decline, 3-D Secure, manual capture), 3-D Secure
completed or failed at localstripe, `checkoutConfirm`, webhooks (signed
payloads of the PaymentIntent as localstripe holds it: delivered once, twice,
or an older snapshot delivered late), refunds (partial, full, and failed by a
signed `refund.failed`, which localstripe cannot do: every read of a
PaymentIntent, the shop's and the model's, goes through the fault proxy, which
answers as Stripe would after the failure, the failed refund out of the charge's
running total and listed as failed), refunds made at Stripe
(on localstripe, as from the dashboard) and told by signed `charge.refunded` /
`refund.created` events in random order, duplicated, the charge listing its
refunds or not, and reconciler passes among them, disputes (opened, won,
lost: signed, localstripe has none), capture (in full or partial), cancel,
late successes (an order waiting for 3-D Secure cancelled through the fault
proxy, its stock perhaps sold to another buyer, then 3-D Secure succeeding at
localstripe, told by webhook, a reconciler pass or later) and reconciler passes.

After every step: Stripe's money equals ours for every order we have been told
about (`payment.amountCaptured` is what Stripe took, partial captures included;
`netPayment` is Stripe's captured less refunded; `totalOutstanding` the total
less that; PARTIALLY_PAID exactly when less than the total was taken and
nothing refunded); each order's statuses agree with its payment; stock is conserved
(initial = on hand + held by orders holding stock, never below zero: a late
success whose stock is gone stays CANCELLED and holds none); no order is charged twice;
financialStatus moves only along the tables of `commerce.orders.lifecycle`.

The machine runs in a worker thread and sends each step to the test's event
loop. Derandomized and bounded for CI (`SHOPGRAPH_MODEL_EXAMPLES`, default 30,
25 steps each, on each database); `make soak` runs 500. Each run ends with a
summary line per database: examples, steps (rule executions, per rule),
violations and time, with the time per step over the first and the last
tenth of the examples (close when a long run stays linear; hypothesis tries
its simplest examples first, so in a short run the first tenth is cheaper).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import json
import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import timedelta

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from commerce.orders.lifecycle import PAYMENT_MOVES, REFUND_STATES, late_cancelled, summary_status
from commerce.orders.reconcile import reconcile
from graph.core.ids import to_global_id
from payments.stripe_gateway import StripeGateway
from models import DiscountCode, Order, OrderFinancialStatus as F, OrderStatus, Payment, PaymentStatus, Product, Refund
from tests.conftest import GraphQLClient
from tests.fault_proxy import Fault
from tests.shop import stock_of, CHECKOUT, CONFIRM, cart_with, checkout, make_product
from tests.stripe_emulator import TEST_SECRET_KEY, authenticate_3ds, create_card_token
from tests.stripe_events import (
    api_key, app_client, deliver, dispute_object, event, refund_at_stripe, refund_object, stripe_get,
)

EXAMPLES = int(os.environ.get("SHOPGRAPH_MODEL_EXAMPLES", "30"))
STEPS = 25
STOCK = 4
REFUND = """mutation($o: ID!, $a: Decimal, $k: String) { refundOrder(orderId: $o, amount: $a, idempotencyKey: $k) {
  refund { status } userErrors { code } } }"""
CAPTURE = """mutation($o: ID!, $a: Decimal, $k: String!) { orderCapture(orderId: $o, amount: $a, idempotencyKey: $k) {
  userErrors { code } } }"""
CANCEL = "mutation($o: ID!) { cancelOrder(orderId: $o) { userErrors { code } } }"
FREE = "MODEL-FREE100"
CODES = """mutation($c: ID!, $codes: [String!]!) { cartDiscountCodesUpdate(cartId: $c, codes: $codes) {
  cart { id } userErrors { code } } }"""
MONEY = """query($id: ID!) { order(id: $id) { status financialStatus total { minorUnits } netPayment { minorUnits }
  totalOutstanding { minorUnits } payment { amountCaptured { minorUnits } amountRefunded { minorUnits } } } }"""
_EVENT_OF = {"succeeded": "payment_intent.succeeded", "requires_payment_method": "payment_intent.payment_failed",
             "canceled": "payment_intent.canceled", "requires_action": "payment_intent.requires_action",
             "requires_capture": "payment_intent.amount_capturable_updated"}
_MOVES = {(a, b) for a, targets in PAYMENT_MOVES.items() for b in targets} | {
    (a, b) for a in REFUND_STATES for b in REFUND_STATES}


@dataclass
class ModelRun:
    """What one run of the model did: rule executions (steps) per rule, and each example's steps and time."""

    database: str
    rules: Counter = field(default_factory=Counter)
    examples: list[tuple[int, float]] = field(default_factory=list)  # (steps, seconds) of each example that ran one
    violations: int = 0
    first_violation: tuple[int, int] | None = None  # (examples, steps) run when the first check failed

    def note_violation(self) -> None:
        if self.first_violation is None:
            self.first_violation = (len(self.examples) + 1, sum(self.rules.values()))

    def line(self, seconds: float) -> str:
        tenth = max(len(self.examples) // 10, 1)
        per_rule = ", ".join(f"{name} {count}" for name, count in sorted(self.rules.items()))
        return (f"money model ({self.database}): {len(self.examples)} examples, {sum(self.rules.values())} steps "
                f"({per_rule}), violations: {self.violations}, {seconds:.1f} s; ms/step first tenth of the "
                f"examples {_ms_per_step(self.examples[:tenth]):.0f}, last tenth {_ms_per_step(self.examples[-tenth:]):.0f}"
                + (f"; first violation in example {self.first_violation[0]}, after {self.first_violation[1]} steps"
                   if self.first_violation else ""))


def _ms_per_step(examples: list[tuple[int, float]]) -> float:
    steps = sum(n for n, _ in examples)
    return 1000 * sum(t for _, t in examples) / steps if steps else 0.0


def counted(step):
    """Counts each execution of a rule in the run (place it under `@rule`)."""
    @functools.wraps(step)
    def run(self, *args, **kwargs):
        self.run.rules[step.__name__] += 1
        try:
            return step(self, *args, **kwargs)
        except Exception:
            self.run.note_violation()
            raise
    return run


class MoneyModel(RuleBasedStateMachine):
    run_step = None  # set by the test: runs a coroutine on its event loop
    run: ModelRun  # set by the test
    ctx: dict = {}

    def __init__(self) -> None:
        super().__init__()
        self.started, self.steps_before = time.monotonic(), sum(self.run.rules.values())
        self.product = self.run_step(make_product(1000, STOCK))
        self.orders: list[str] = []  # order ids
        self.secrets: dict[str, str] = {}  # 3-D Secure client secrets
        self.snapshots: dict[str, list[dict]] = {}  # PaymentIntents as they were, for late deliveries
        self.failed_refunds: dict[str, int] = {}  # amounts refund.failed gave back, which localstripe still counts
        self.ctx["failed"].clear()  # the same by PaymentIntent id, for the fault proxy's answers
        self.ctx["failed_ids"].clear()
        self.untold: set[str] = set()  # orders Stripe moved without telling us yet
        self.seen: dict[str, F] = {}
        self.late: set[str] = set()  # orders paid after they were cancelled
        self.free_orders: set[str] = set()  # zero-total orders, placed without Stripe
        self.code, _ = self.run_step(DiscountCode.get_or_create(code=FREE, defaults={"kind": "percentage",
                                                                                      "value": 10_000}))
        self.captured: dict[str, int] = {}  # what Stripe took on a manual capture, as the model saw it happen

    def teardown(self) -> None:
        # Each example leaves the database as it found it: its orders (lines, payment, refunds,
        # disputes and events go with them) would otherwise be audited by every later example's
        # reconciler passes, and a long run would slow down with the square of its length.
        async def forget() -> None:
            ids = await Order.filter(lines__product_id=self.product.id).distinct().values_list("id", flat=True)
            await Order.filter(id__in=list(ids)).delete()
        self.run_step(forget())
        steps = sum(self.run.rules.values()) - self.steps_before
        if steps:  # hypothesis also starts machines it runs no step on
            self.run.examples.append((steps, time.monotonic() - self.started))

    # ---- steps -------------------------------------------------------------------------------------------------
    async def _checkout(self, client: GraphQLClient, token: str, quantity: int) -> None:
        cart = await cart_with(client, (self.product, quantity)) if await self._in_stock(quantity) else None
        if cart is None:
            return
        result = await checkout(client, cart, token)
        if result["order"] is not None:
            order_id = result["order"]["id"].__str__()
            from tests.shop import key_of
            self.orders.append(key_of(order_id))
            if result["paymentAction"]:
                self.secrets[key_of(order_id)] = result["paymentAction"]["clientSecret"]
            await self._snapshot(key_of(order_id))

    async def _in_stock(self, quantity: int) -> bool:
        return await stock_of(self.product) >= quantity

    async def _intent(self, order_id: str) -> dict | None:
        payment = await Payment.get_or_none(order_id=order_id)
        if payment is None or payment.intent_id is None:
            return None
        return await stripe_get(self.ctx["proxy"].url, f"/v1/payment_intents/{payment.intent_id}")  # as Stripe holds it

    async def _orders_with_refunds(self) -> list[str]:
        ids = await Refund.filter(order_id__in=self.orders, status="succeeded",
                                  stripe_refund_id__not_isnull=True).values_list("order_id", flat=True)
        return self._in_model_order(ids)

    def _in_model_order(self, order_ids) -> list[str]:
        """`order_ids` in the order the model placed them, not by their random ids."""
        wanted = set(order_ids)
        return [order_id for order_id in self.orders if order_id in wanted]

    @staticmethod
    def _pick(data, choices: list[str]) -> str | None:
        """One of `choices` by position. Drawn the same way however many there are (none
        included), so a failing run replays and shrinks: hypothesis refuses a run whose draws
        change shape when it is repeated, and which orders qualify depends on Stripe's answers."""
        index = data.draw(st.integers(0, 63), label="pick")
        return choices[index % len(choices)] if choices else None

    async def _snapshot(self, order_id: str) -> None:
        intent = await self._intent(order_id)
        if intent is not None:
            self.snapshots.setdefault(order_id, []).append(intent)

    @rule(token=st.sampled_from(["pm_card_visa", "pm_card_chargeCustomerFail", "3ds", "manual"]),
          quantity=st.integers(1, 2))
    @counted
    def do_checkout(self, token: str, quantity: int) -> None:
        async def go() -> None:
            client = self.ctx["manual"] if token == "manual" else self.ctx["shop"]
            card = await create_card_token(self.ctx["stripe"], "4000002500003155") if token == "3ds" else token
            await self._checkout(client, "pm_card_visa" if token == "manual" else card, quantity)
        self.run_step(go())

    @precondition(lambda self: self.secrets)
    @rule(data=st.data(), success=st.booleans())
    @counted
    def complete_3ds(self, data, success: bool) -> None:
        order_id = self._pick(data, list(self.secrets))
        secret = self.secrets.pop(order_id)

        async def go() -> None:
            intent = await self._intent(order_id)
            if intent["status"] == "requires_action":
                await authenticate_3ds(self.ctx["stripe"], intent["id"], secret, success=success)
                self.untold.add(order_id)
                await self._snapshot(order_id)
        self.run_step(go())

    @rule(quantity=st.integers(1, 2))
    @counted
    def zero_total_checkout(self, quantity: int) -> None:
        """A cart made free by a 100 % code, placed with no payment token: no Stripe call."""
        async def go() -> None:
            if not await self._in_stock(quantity):
                return
            client = self.ctx["shop"]
            cart_id = await cart_with(client, (self.product, quantity))
            await client.data(CODES, {"c": cart_id, "codes": [FREE]})
            placed = (await client.data(CHECKOUT, {"input": {"cartId": cart_id, "email": "free@example.com",
                                                              "idempotencyKey": uuid.uuid4().hex}}))["checkout"]
            assert placed["userErrors"] == [] and placed["paymentAction"] is None, placed
            from tests.shop import key_of
            self.orders.append(key_of(placed["order"]["id"]))
            self.free_orders.add(self.orders[-1])
        self.run_step(go())

    @precondition(lambda self: self.secrets)
    @rule(data=st.data(), sell_out=st.booleans(), told=st.sampled_from(["webhook", "reconciler", "not yet"]))
    @counted
    def late_success(self, data, sell_out: bool, told: str) -> None:
        """An order waiting for 3-D Secure cancelled, its stock perhaps sold to another buyer, then
        3-D Secure succeeding at Stripe. localstripe cannot race a cancel with 3-D Secure: the fault
        proxy answers the cancel as Stripe would have, had the cancel come first, without passing
        it on (as `tests/graph/orders/test_money_truth.py` does)."""
        order_id = self._pick(data, list(self.secrets))
        secret = self.secrets.pop(order_id)

        async def go() -> None:
            intent = await self._intent(order_id)
            if intent["status"] != "requires_action":
                return
            proxy = self.ctx["proxy"]
            cancel = proxy.arm("POST", rf"/v1/payment_intents/{intent['id']}/cancel", Fault.ANSWER, forward=False,
                      body=json.dumps({**intent, "status": "canceled", "client_secret": None}).encode())
            try:
                await self.ctx["staff"].data(CANCEL, {"o": to_global_id("Order", order_id)})
            finally:
                proxy.rules.remove(cancel)
            left = await stock_of(self.product)
            if sell_out and left:
                await self._checkout(self.ctx["shop"], "pm_card_visa", left)
            await self._check()  # the cancel seen before 3-D Secure completes
            await authenticate_3ds(self.ctx["stripe"], intent["id"], secret, success=True)
            self.untold.add(order_id)
            self.late.add(order_id)
            await self._snapshot(order_id)
            if told == "webhook":
                await deliver(self.ctx["hook"], event("payment_intent.succeeded", await self._intent(order_id)))
                self.untold.discard(order_id)
            elif told == "reconciler":
                await self._reconcile()
        self.run_step(go())

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), how=st.sampled_from(["confirm", "webhook", "webhook twice", "late webhook"]))
    @counted
    def tell_us(self, data, how: str) -> None:
        order_id = self._pick(data, self.orders)

        async def go() -> None:
            if how == "confirm":
                await self.ctx["shop"].data(CONFIRM, {"orderId": to_global_id("Order", order_id)})
                self.untold.discard(order_id)
                return
            intents = self.snapshots.get(order_id) or []
            if not intents:
                return
            intent = intents[0] if how == "late webhook" else await self._intent(order_id)
            kind = _EVENT_OF.get(intent["status"])
            if kind is None:
                return
            evt = event(kind, intent)
            for _ in range(2 if how == "webhook twice" else 1):
                await deliver(self.ctx["hook"], evt)
            if how != "late webhook":
                self.untold.discard(order_id)
        self.run_step(go())

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), amount=st.sampled_from([None, "1.00", "3.50"]))
    @counted
    def refund(self, data, amount) -> None:
        order_id = self._pick(data, self.orders)
        self.run_step(self.ctx["staff"].data(REFUND, {"o": to_global_id("Order", order_id), "a": amount,
                                                      "k": uuid.uuid4().hex}))

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    @counted
    def refund_fails(self, data) -> None:
        # Drawn among the orders with a refund that can fail: drawn among all orders, the three
        # steps it needs (a charge, a refund, its failure) on one order were too rare to be tried.
        refundable = self.run_step(self._orders_with_refunds())
        order_id = self._pick(data, refundable)
        if order_id is None:
            return

        async def go() -> None:
            refund = await Refund.filter(order_id=order_id, status="succeeded", stripe_refund_id__not_isnull=True).first()
            intent = await self._intent(order_id)
            self.failed_refunds[order_id] = self.failed_refunds.get(order_id, 0) + refund.amount
            self.ctx["failed"][intent["id"]] = self.ctx["failed"].get(intent["id"], 0) + refund.amount  # Stripe first
            self.ctx["failed_ids"].add(refund.stripe_refund_id)
            await deliver(self.ctx["hook"], event("refund.failed", refund_object(
                intent["id"], refund.stripe_refund_id, "failed", refund.amount)))
        self.run_step(go())

    async def _refundable_at_stripe(self) -> list[str]:
        """Paid orders (no dispute) we know all about, with money left to refund at Stripe."""
        paid = await Order.filter(id__in=self.orders, status__in=(OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED))
        return self._in_model_order([order.id for order in paid
                                     if order.id not in self.untold and await self._left_at_stripe(order.id) > 0])

    async def _left_at_stripe(self, order_id: str) -> int:
        payment, intent = await Payment.get(order_id=order_id), await self._intent(order_id)
        if intent is None:  # a zero-total order: nothing at Stripe
            return 0
        released = payment.amount - payment.amount_captured
        refunded = intent["latest_charge"]["amount_refunded"] - released
        return payment.amount_captured - refunded

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), told=st.permutations(["charge", "refund", "reconcile"]), heard=st.integers(1, 3),
          twice=st.booleans(), listed=st.booleans())
    @counted
    def refund_in_stripe_dashboard(self, data, told: list[str], heard: int, twice: bool, listed: bool) -> None:
        # Made on localstripe, so reconciler passes see it; the events (which localstripe never
        # sends) are signed payloads of its charge and refund, `heard` of them in `told`'s order.
        refundable = self.run_step(self._refundable_at_stripe())
        order_id = self._pick(data, refundable)
        if order_id is None:
            return

        async def go() -> None:
            intent = await self._intent(order_id)
            made = await refund_at_stripe(self.ctx["stripe"], intent["id"], min(150, await self._left_at_stripe(order_id)))
            charge = {**(await self._intent(order_id))["latest_charge"], "payment_intent": intent["id"]}
            if not listed:
                charge.pop("refunds", None)
            events = {"charge": event("charge.refunded", charge),
                      "refund": event("refund.created", {**made, "payment_intent": intent["id"]})}
            for what in told[:heard]:
                if what == "reconcile":
                    await reconcile(self.ctx["gateway"], grace=timedelta(0), action_grace=timedelta(hours=1))
                    self.untold.clear()
                    continue
                for _ in range(2 if twice else 1):
                    await deliver(self.ctx["hook"], events[what])
        self.run_step(go())

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), status=st.sampled_from(["needs_response", "won", "lost"]))
    @counted
    def dispute(self, data, status: str) -> None:
        order_id = self._pick(data, self.orders)

        async def go() -> None:
            intent = await self._intent(order_id)
            if intent is not None and intent["status"] == "succeeded":
                kind = "charge.dispute.created" if status == "needs_response" else "charge.dispute.closed"
                await deliver(self.ctx["hook"], event(kind, dispute_object(intent["id"], f"dp_{order_id[:12]}",
                                                                           status, intent["amount"])))
        self.run_step(go())

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), amount=st.sampled_from([None, "4.00", "9.99", "0.50"]))
    @counted
    def capture(self, data, amount) -> None:
        order_id = self._pick(data, self.orders)

        async def go() -> None:
            before = await self._intent(order_id)
            await self.ctx["staff"].data(CAPTURE, {"o": to_global_id("Order", order_id), "a": amount,
                                                   "k": uuid.uuid4().hex})
            after = await self._intent(order_id)
            if before and after and before["status"] == "requires_capture" and after["status"] == "succeeded":
                asked = after["amount"] if amount is None else round(float(amount) * 100)  # the model's own count
                self.captured[order_id] = min(asked, after["amount"])
        self.run_step(go())

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    @counted
    def cancel(self, data) -> None:
        order_id = self._pick(data, self.orders)
        self.run_step(self.ctx["staff"].data(CANCEL, {"o": to_global_id("Order", order_id)}))

    @rule()
    @counted
    def reconciler_pass(self) -> None:
        self.run_step(self._reconcile())

    async def _reconcile(self) -> None:
        await reconcile(self.ctx["gateway"], grace=timedelta(0), action_grace=timedelta(hours=1))
        self.untold.clear()  # the audit repairs what only follows Stripe forward

    # ---- invariants ----------------------------------------------------------------------------------------------
    @invariant()
    def money_statuses_and_stock_agree(self) -> None:
        try:
            self.run_step(self._check())
        except Exception:
            self.run.note_violation()
            raise

    async def _check(self) -> None:
        orders = await Order.filter(id__in=self.orders)
        held = 0
        for order in orders:
            payment = await Payment.get_or_none(order_id=order.id)
            intent = await self._intent(order.id)
            await self._check_order(order, payment, intent)
            await self._check_money_fields(order, intent)
            held += sum(await order.lines.all().values_list("quantity", flat=True)) if order.holds_stock else 0
        using = await Order.filter(id__in=list(self.free_orders)).exclude(status=OrderStatus.CANCELLED).count()
        assert (await DiscountCode.get(code=FREE)).used_count == self.code.used_count + using, "code uses"
        on_hand = await stock_of(self.product)
        assert on_hand >= 0 and on_hand + held == STOCK, ("stock not conserved", on_hand, held)

    async def _check_order(self, order: Order, payment: Payment | None, intent: dict | None) -> None:
        from commerce.orders.lifecycle import dispute_standing
        if late_cancelled(order):  # paid after it ended unpaid, its stock sold meanwhile: stays cancelled
            assert order.status is OrderStatus.CANCELLED, (order.number, order.status)
        else:
            assert order.status is summary_status(order.financial_status, order.fulfillment_status,
                                                  await dispute_standing(order.id))
        before = self.seen.get(order.id)
        # a late success takes a voided order's money (then, its stock gone, gives it back)
        late = before is F.VOIDED and order.id in self.late and order.financial_status in REFUND_STATES
        if before is not None and before is not order.financial_status and order.id not in self.free_orders \
                and not late:
            assert (before, order.financial_status) in _MOVES, (order.number, before, order.financial_status)
        self.seen[order.id] = order.financial_status  # a zero-total order goes from PAID to VOIDED when cancelled
        if order.financial_status in (F.FAILED, F.VOIDED):
            assert not order.holds_stock
        if order.id in self.free_orders:  # nothing to pay: paid without Stripe, or cancelled
            assert payment.intent_id is None and payment.amount == payment.amount_captured == 0
            assert order.total == 0 and order.financial_status in (F.PAID, F.VOIDED), (order.number, order.financial_status)
            return
        if payment is None or intent is None:
            assert order.financial_status in (F.PENDING, F.VOIDED)
            return
        charged = intent["status"] == "succeeded"
        if order.financial_status in REFUND_STATES:
            assert payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
            assert charged, f"order {order.number} paid here, {intent['status']} at Stripe"
        if order.id in self.untold or not charged:
            return
        assert order.financial_status in REFUND_STATES, f"order {order.number}: charged at Stripe, {order.financial_status}"
        charge = intent["latest_charge"]
        released = payment.amount - payment.amount_captured
        stripe_refunded = charge["amount_refunded"] - released
        in_flight = sum(await Refund.filter(order_id=order.id, status="pending").values_list("amount", flat=True))
        assert payment.amount_refunded + in_flight >= stripe_refunded >= payment.amount_refunded, (
            order.number, payment.amount_refunded, stripe_refunded)

    async def _check_money_fields(self, order: Order, intent: dict | None) -> None:
        """What the API says the order kept and is owed equals what Stripe holds: `netPayment` is
        Stripe's captured less refunded (refunds in flight aside), `payment.amountCaptured` what
        Stripe took, `totalOutstanding` the total less that, PARTIALLY_PAID exactly when less
        than the total was taken and nothing refunded."""
        if order.id in self.untold:
            return
        api = (await self.ctx["staff"].data(MONEY, {"id": to_global_id("Order", order.id)}))["order"]
        charged = intent is not None and intent["status"] == "succeeded"
        at_stripe = self.captured.get(order.id, intent["amount"]) if charged else 0
        ours = 0 if api["payment"] is None or api["payment"]["amountCaptured"] is None \
            else api["payment"]["amountCaptured"]["minorUnits"]
        assert ours == at_stripe, (order.number, "captured", ours, "at Stripe", at_stripe)
        net, total = api["netPayment"]["minorUnits"], api["total"]["minorUnits"]
        if charged:
            charge = intent["latest_charge"]
            refunded = charge["amount_refunded"] - (intent["amount"] - at_stripe)
            in_flight = sum(await Refund.filter(order_id=order.id, status="pending").values_list("amount", flat=True))
            assert net - in_flight <= at_stripe - refunded <= net, (order.number, "net", net, "at Stripe",
                                                                   at_stripe - refunded)
        else:
            assert net == 0, (order.number, "net", net, "nothing taken at Stripe")
        owed = 0 if api["status"] in ("CANCELLED", "PAYMENT_FAILED") else max(total - at_stripe, 0)
        assert api["totalOutstanding"]["minorUnits"] == owed, (order.number, api["totalOutstanding"], owed)
        refunded_ours = 0 if api["payment"] is None else api["payment"]["amountRefunded"]["minorUnits"]
        partly = api["financialStatus"] in [s.name for s in REFUND_STATES] and 0 < at_stripe < total \
            and refunded_ours == 0
        assert (api["financialStatus"] == "PARTIALLY_PAID") == partly, (order.number, api["financialStatus"],
                                                                      at_stripe, total)


async def test_the_money_lifecycle_model_holds(settings, gateway, localstripe_url, fault_proxy, record_property):
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()

    def run_step(coro):
        future = asyncio.run_coroutine_threadsafe(_in(context, coro), loop)
        return future.result(timeout=120)

    key = await api_key()
    # The shop's Stripe calls go through the fault proxy: cancels of PaymentIntents waiting for
    # 3-D Secure (`late_success`), and reads of PaymentIntents as Stripe holds them (`refund_fails`).
    failed: dict[str, int] = {}
    failed_ids: set[str] = set()
    fault_proxy.arm("GET", r"/v1/payment_intents/pi_\w+", Fault.REWRITE, times=10**9,
                    rewrite=_as_stripe_holds(failed, failed_ids))
    proxied_gateway = StripeGateway(TEST_SECRET_KEY, api_base=fault_proxy.url, max_network_retries=0)
    async with app_client(settings, proxied_gateway) as hook, \
            app_client(replace(settings, capture_method="manual"), proxied_gateway) as manual:
        MoneyModel.run_step = staticmethod(run_step)
        MoneyModel.ctx = {"stripe": localstripe_url, "gateway": proxied_gateway, "hook": hook,
                          "shop": GraphQLClient(hook), "manual": GraphQLClient(manual),
                          "staff": GraphQLClient(hook, headers={"Authorization": f"Bearer {key}"}),
                          "proxy": fault_proxy, "failed": failed, "failed_ids": failed_ids}
        MoneyModel.run = ModelRun("postgres" if settings.database_url.startswith("postgres") else "sqlite")
        started = time.monotonic()
        try:
            await asyncio.to_thread(run_state_machine_as_test, MoneyModel, settings=settings_for_ci())
        except BaseException:
            MoneyModel.run.violations += 1
            raise
        finally:
            record_property("summary", MoneyModel.run.line(time.monotonic() - started))
            await proxied_gateway.aclose()


def _as_stripe_holds(failed: dict[str, int], failed_ids: set[str]):
    """A PaymentIntent as Stripe would answer it once the refunds `refund_fails` failed have:
    out of the charge's running total (`failed`, by PaymentIntent), listed as failed."""
    def rewrite(intent: dict) -> dict:
        charge = intent.get("latest_charge")
        if isinstance(charge, dict):
            charge["amount_refunded"] -= failed.get(intent["id"], 0)
            for refund in (charge.get("refunds") or {}).get("data", []):
                if refund["id"] in failed_ids:
                    refund["status"] = "failed"
        return intent
    return rewrite


async def _in(context: contextvars.Context, coro):
    """Runs `coro` as a task in the test's context (where the ORM is initialised)."""
    return await context.run(asyncio.ensure_future, coro)


def settings_for_ci():
    return settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None,
                    derandomize=True, suppress_health_check=list(HealthCheck))
