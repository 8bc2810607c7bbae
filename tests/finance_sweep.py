"""The finance sweep: at the end of every test module, on each database, what Stripe holds
for each order equals the order's `netPayment` (DESIGN §11).

For every order with a Stripe PaymentIntent, the PaymentIntent is read from the session's
localstripe (one request per order, `latest_charge` expanded there) and the money held at
Stripe, captured less refunded, is compared with the order's captured less refunded, in
minor units. localstripe's charge has no `amount_captured`: a partial capture shows as the
charge's amount with the released rest listed as a refund, so amount less refunded is
what it holds either way.

A difference is accepted, and reported, only when the shop's records already explain it
as money on its way: refunds still PENDING whose sum is exactly the difference, an order
still waiting for its payment (the reconciler settles it), or an order marked as needing
attention because money owed back is not back yet (`attention.MONEY_NOT_BACK`). A
PaymentIntent localstripe does not know fails the sweep unless the module says it makes
such orders on purpose (`pytest.mark.finance_sweep(unknown_intents="why")`) or the
reconciler marked the order for it. A test that tells Stripe's side of a story localstripe
cannot act out (a refund the bank sent back) exempts its order by name (`exempt`).
Anything else is a teardown error naming the order
and both figures.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from commerce.orders.attention import MONEY_NOT_BACK
from models import Order, OrderFinancialStatus, Payment, Refund, RefundStatus
from tests.stripe_emulator import TEST_SECRET_KEY

__all__ = ["SESSION_LOCALSTRIPE", "SweepResult", "exempt", "held_at_stripe", "sweep_orders"]

SESSION_LOCALSTRIPE: list[str] = []  # the session's localstripe once started (tests/fixtures_stripe.py)
_EXEMPT: dict[str, str] = {}  # order id -> why a test made Stripe and the order disagree on purpose


def exempt(order_id: str, why: str) -> None:
    """Leaves `order_id` out of the sweep: its test tells Stripe's side a story localstripe
    cannot act out (a signed event about money localstripe never moved). Say why."""
    _EXEMPT[order_id] = why

_WAITING = (OrderFinancialStatus.PENDING, OrderFinancialStatus.ACTION_REQUIRED)
_UNKNOWN_MARK = "Stripe has no PaymentIntent"  # the reconciler's reason (commerce.orders.reconcile)
_PARALLEL = 8


@dataclass
class SweepResult:
    swept: int = 0
    mismatches: list[str] = None  # type: ignore[assignment]
    accepted: list[str] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.mismatches, self.accepted = [], []


def held_at_stripe(intent: dict[str, Any]) -> int:
    """What Stripe holds of a PaymentIntent: captured less refunded (0 until it succeeded)."""
    charge = intent.get("latest_charge")
    if intent.get("status") != "succeeded" or not isinstance(charge, dict) or charge.get("captured") is False:
        return 0
    captured = charge.get("amount_captured", charge.get("amount", 0))
    return captured - (charge.get("amount_refunded") or 0)


async def _intent(http: httpx.AsyncClient, intent_id: str, limit: asyncio.Semaphore) -> dict[str, Any] | None:
    async with limit:
        response = await http.get(f"/v1/payment_intents/{intent_id}")
    if response.status_code == 404:
        return None
    return response.raise_for_status().json()


async def _explained(order: Order, payment: Payment, difference: int) -> str | None:
    """Why the records already account for `difference` (Stripe holds less by it), or None."""
    if order.financial_status in _WAITING:
        return "its payment is still being settled (the reconciler finishes it)"
    if (order.attention_reason or "").startswith(MONEY_NOT_BACK):
        return f"needs attention: {order.attention_reason}"
    pending = await Refund.filter(order_id=order.id, status=RefundStatus.PENDING).values_list("amount", flat=True)
    if pending and sum(pending) == difference:
        return f"refunds of {sum(pending)} still PENDING"
    return None


async def sweep_orders(stripe_url: str | None, unknown_intents: str | None = None) -> SweepResult:
    """Compares every order that has a Stripe PaymentIntent with what localstripe holds."""
    result = SweepResult()
    payments = await Payment.filter(provider="stripe").order_by("id")
    if not payments:
        return result
    orders = {o.id: o for o in await Order.filter(id__in=[p.order_id for p in payments])}
    intents: list[dict[str, Any] | None] = [None] * len(payments)
    if stripe_url is not None:
        limit = asyncio.Semaphore(_PARALLEL)
        async with httpx.AsyncClient(base_url=stripe_url, headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"},
                                     timeout=30) as http:
            intents = await asyncio.gather(*(_intent(http, p.intent_id, limit) for p in payments))
    for payment, intent in zip(payments, intents):
        order = orders[payment.order_id]
        result.swept += 1
        ours = payment.amount_captured - payment.amount_refunded
        name = f"order {order.number} ({order.status.value}, PaymentIntent {payment.intent_id})"
        if order.id in _EXEMPT:
            result.accepted.append(f"{name}: exempt, {_EXEMPT[order.id]}")
            continue
        if intent is None:
            why = unknown_intents or ("marked by the reconciler" if _UNKNOWN_MARK in (order.attention_reason or "")
                                      else None)
            line = f"{name}: Stripe does not know its PaymentIntent; netPayment {ours}"
            (result.accepted if why else result.mismatches).append(f"{line} ({why})" if why else line)
            continue
        held = held_at_stripe(intent)
        if held == ours:
            continue
        line = f"{name}: Stripe holds {held}, netPayment says {ours}"
        why = await _explained(order, payment, ours - held)
        (result.accepted if why else result.mismatches).append(f"{line} ({why})" if why else line)
    return result
