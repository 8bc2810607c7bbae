"""The reconciler: finishes checkouts that stopped half-way, from what Stripe says.

An order still PENDING_PAYMENT or ACTION_REQUIRED past its grace period is
settled: with no PaymentIntent stored it is cancelled (nothing can have been
charged); otherwise the PaymentIntent decides. One that was never confirmed is
cancelled at Stripe first, so it can never be charged later, and the order
follows whatever Stripe then says. `shopgraph reconcile` runs one pass; the
server runs one periodically.

Each pass also audits the orders of the last days (`AUDIT_WINDOW`) that were
paid, or failed with a PaymentIntent, against Stripe, and reports every one
whose status disagrees with its PaymentIntent or its refunds. It repairs what
only follows Stripe forward: a refund made at Stripe (raise the refunded
amount, PARTIALLY_REFUNDED / REFUNDED), a late success (PAID), our refunds whose
answer was lost. Anything that would move an order backwards, or that Stripe
and we disagree on about money, is reported and left for a person.

Authorisations (manual capture) older than `authorization_days` are voided at
Stripe and their stock released, before Stripe lets them lapse (7 days). Money
a late success left owed (a refund or a void not yet answered) is sent again.

A pass never stops at one order. An order it cannot settle (Stripe does not
know its PaymentIntent, an unexpected error, money owed back that cannot be
sent) and an audited order it may not repair are marked as needing attention
(`commerce.orders.attention`), logged the first time, and skipped; a later pass
that settles the order clears the mark. An order Stripe did not answer for is
left for the next pass, unmarked.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TypeVar

from commerce.errors import DomainError
from commerce.orders.attention import clear_attention, count_needing_attention, mark_attention
from commerce.orders.lifecycle import AUDITED_STATUSES, OPEN_ORDER_STATUSES, REFUND_STATES, captured_status
from commerce.orders.payment_outcomes import (
    apply_payment_result, cancel_order, cancel_unpaid_order, owing_late_payments, settle_late_payments, still_owed,
)
from commerce.orders.stripe_refunds import note_stripe_total, refunded_of_captured, settle_unanswered_refunds
from models import Order, OrderFinancialStatus, Payment
from payments.gateway import GatewayUnavailable, PaymentGateway, PaymentIntentNotFound, PaymentOutcome, PaymentResult

__all__ = ["Discrepancy", "ReconcileReport", "reconcile", "audit", "PENDING_GRACE", "ACTION_GRACE", "AUDIT_WINDOW"]

log = logging.getLogger("shopgraph.reconcile")

PENDING_GRACE = timedelta(minutes=10)  # longer than any checkout request takes
ACTION_GRACE = timedelta(hours=1)  # time for a shopper to finish 3-D Secure
AUDIT_WINDOW = timedelta(days=3)  # orders made this recently are compared with Stripe on every pass
AUTHORIZATION_DAYS = 6  # Stripe lets an uncaptured authorisation lapse after 7
F = OrderFinancialStatus
_T = TypeVar("_T")


@dataclass
class Discrepancy:
    """An order whose status disagreed with Stripe, and what was done about it."""

    order_number: str
    status: str  # ours, when the audit found it
    stripe: str  # what Stripe says
    problem: str
    repaired: list[str] = field(default_factory=list)  # empty: left for a person

    def __str__(self) -> str:
        done = "; ".join(self.repaired) if self.repaired else "NEEDS ATTENTION, nothing changed"
        return f"order {self.order_number} ({self.status}): {self.problem}; Stripe: {self.stripe} -> {done}"


@dataclass
class ReconcileReport:
    examined: int = 0
    settled: dict[str, str] = field(default_factory=dict)  # order number -> new status
    unresolved: list[str] = field(default_factory=list)  # order numbers left as they were
    audited: int = 0  # paid (or failed) orders compared with Stripe
    discrepancies: list[Discrepancy] = field(default_factory=list)
    attention: dict[str, str] = field(default_factory=dict)  # order number -> reason, found needing a person
    newly_marked: list[str] = field(default_factory=list)  # of those, the ones marked by this pass
    needing_attention: int = 0  # orders marked in the whole shop once the pass ended


async def _needs_attention(report: ReconcileReport, order: Order, reason: str, now: datetime,
                           error: BaseException | None = None) -> None:
    """Marks the order; logs it only when the mark is new (not on every pass)."""
    number = str(order.number)
    report.attention[number] = reason
    if await mark_attention(order, reason, now):
        report.newly_marked.append(number)
        log.log(logging.ERROR if error else logging.WARNING, "order %s needs attention: %s", number, reason,
                exc_info=error)


async def _settled_now(order: Order) -> None:
    if await clear_attention(order):
        log.info("order %s no longer needs attention", order.number)


async def _attempt(report: ReconcileReport, order: Order, now: datetime,
                   work: Awaitable[_T]) -> tuple[bool, _T | None]:
    """One order's step: (True, its result), or (False, None) when it could not be done.
    Stripe not answering leaves the order for the next pass; anything else marks it."""
    try:
        return True, await work
    except GatewayUnavailable:
        report.unresolved.append(str(order.number))
    except PaymentIntentNotFound as error:
        await _needs_attention(report, order, f"Stripe has no PaymentIntent {error.intent_id}: the order "
                               "cannot be settled from Stripe.", now)
    except Exception as error:  # one order's surprise must not stop the pass for every other order
        await _needs_attention(report, order, f"The reconciler could not settle this order: unexpected "
                               f"{type(error).__name__} (details in the server log).", now, error)
    return False, None


async def _settle(gateway: PaymentGateway, order: Order, now: datetime, action_grace: timedelta) -> Order:
    payment = await Payment.get_or_none(order_id=order.id)
    if payment is None:
        cancelled = await cancel_unpaid_order(order.id)
        if cancelled is not None:
            return cancelled
        payment = await Payment.get(order_id=order.id)  # the checkout stored one just now
    result = await gateway.retrieve_payment_intent(payment.intent_id)
    waiting = result.outcome is PaymentOutcome.UNCONFIRMED or (
        result.outcome is PaymentOutcome.REQUIRES_ACTION and order.updated_at < now - action_grace
    )
    if waiting:
        result = await gateway.cancel_payment_intent(payment.intent_id)
        if result.outcome is not PaymentOutcome.CANCELED:  # it moved on meanwhile: believe Stripe
            result = await gateway.retrieve_payment_intent(payment.intent_id)
    return await apply_payment_result(order.id, result, gateway)


async def _void(gateway: PaymentGateway, order: Order) -> Order | None:
    """The order with its authorisation voided; None when Stripe could not cancel it now."""
    try:
        return await cancel_order(gateway, order.id)
    except DomainError as error:
        if isinstance(error.__cause__, PaymentIntentNotFound):
            raise error.__cause__ from None  # asking again will not help
        return None


async def _void_old_authorizations(gateway: PaymentGateway, report: ReconcileReport, before: datetime,
                                   now: datetime) -> None:
    held = await Order.filter(financial_status=F.AUTHORIZED, payment__created_at__lt=before).order_by("created_at")
    for order in held:
        report.examined += 1
        done, voided = await _attempt(report, order, now, _void(gateway, order))
        if not done:
            continue
        if voided is None:
            report.unresolved.append(str(order.number))
            continue
        await _settled_now(order)
        report.settled[str(order.number)] = voided.status.name
        log.info("reconciled order %s: its authorisation was voided before it lapsed", order.number)


async def _give_back_late_payments(gateway: PaymentGateway, report: ReconcileReport, now: datetime) -> None:
    for order in await owing_late_payments():
        done, _ = await _attempt(report, order, now, settle_late_payments(gateway, order.id))
        if not done:
            continue
        reason = await still_owed(order.id)
        if reason is None:
            await _settled_now(order)
        else:
            await _needs_attention(report, order, reason, now)


async def reconcile(
    gateway: PaymentGateway,
    *,
    grace: timedelta = PENDING_GRACE,
    action_grace: timedelta = ACTION_GRACE,
    audit_window: timedelta | None = AUDIT_WINDOW,
    authorization_days: float = AUTHORIZATION_DAYS,
    now: datetime | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> ReconcileReport:
    """One pass. `stopping` is asked before each order: once it says yes (the
    server is shutting down) the pass ends after the order in hand."""
    now = now or datetime.now(timezone.utc)
    report = ReconcileReport()
    await _void_old_authorizations(gateway, report, now - timedelta(days=authorization_days), now)
    await _give_back_late_payments(gateway, report, now)
    if await _settle_stalled(gateway, report, now, grace, action_grace, stopping) and audit_window is not None:
        await audit(gateway, report, since=now - audit_window, grace=grace, now=now, stopping=stopping)
    report.needing_attention = await count_needing_attention()
    return report


async def _settle_stalled(gateway: PaymentGateway, report: ReconcileReport, now: datetime, grace: timedelta,
                          action_grace: timedelta, stopping: Callable[[], bool]) -> bool:
    """Settles the orders waiting for payment past their grace; False when told to stop."""
    stale = await Order.filter(status__in=OPEN_ORDER_STATUSES, updated_at__lt=now - grace).order_by("updated_at")
    for order in stale:
        if stopping():
            return False
        report.examined += 1
        done, settled = await _attempt(report, order, now, _settle(gateway, order, now, action_grace))
        if not done or settled is None:
            continue
        await _settled_now(order)
        if settled.status is order.status:
            report.unresolved.append(str(order.number))
        else:
            report.settled[str(order.number)] = settled.status.name
            log.info("reconciled order %s: %s -> %s", order.number, order.status.name, settled.status.name)
    return True


def _says(result: PaymentResult) -> str:
    return f"PaymentIntent {result.outcome.value}, amount {result.amount}, refunded {result.amount_refunded}"


async def _compare(gateway: PaymentGateway, order: Order, payment: Payment, older_than: datetime) -> Discrepancy | None:
    """One order against its PaymentIntent; repairs what only follows Stripe forward."""
    result = await gateway.retrieve_payment_intent(payment.intent_id)
    as_found = order.status.name

    def found(problem: str) -> Discrepancy:
        return Discrepancy(str(order.number), as_found, _says(result), problem)
    if order.financial_status not in REFUND_STATES:
        if result.outcome is not PaymentOutcome.SUCCEEDED:
            return None
        found_late = found("Stripe charged it, the order says it was not paid")
        order = await apply_payment_result(order.id, result, gateway)
        if order.financial_status is not F.FAILED and order.financial_status is not F.VOIDED:
            found_late.repaired.append(f"now {order.status.name} (stock taken again, or the money given back)")
        return found_late
    if result.outcome is not PaymentOutcome.SUCCEEDED:
        return found("paid here, not at Stripe")
    if result.amount is not None and result.amount != payment.amount:
        return found(f"Stripe charged {result.amount}, the payment says {payment.amount}")
    if result.amount_captured is not None and result.amount_captured != payment.amount_captured:
        return found(f"Stripe captured {result.amount_captured}, the payment says {payment.amount_captured}")
    discrepancy = None
    settled = await settle_unanswered_refunds(order.id, result.amount_refunded, older_than)
    payment = await Payment.get(id=payment.id)
    if settled:
        discrepancy = found("refunds with no answer from Stripe")
        discrepancy.repaired += settled
    stripe_refunded = refunded_of_captured(payment, result.amount_refunded)
    if stripe_refunded > payment.amount_refunded:
        discrepancy = discrepancy or found(f"refunded {payment.amount_refunded} here")
        order = await note_stripe_total(order.id, result.amount_refunded)
        discrepancy.repaired.append(f"refunded amount now {stripe_refunded}, order {order.status.name}")
    elif stripe_refunded < payment.amount_refunded:
        return found(f"refunded {payment.amount_refunded} here, more than at Stripe")
    payment, order = await Payment.get(id=payment.id), await Order.get(id=order.id)
    expected = captured_status(payment.amount_captured, payment.amount_refunded, order.total)
    if order.financial_status is not expected:
        return discrepancy or found(
            f"the refunds ({payment.amount_refunded} of {payment.amount_captured}) make it {expected.name}")
    return discrepancy


async def audit(
    gateway: PaymentGateway,
    report: ReconcileReport,
    *,
    since: datetime,
    grace: timedelta = PENDING_GRACE,
    now: datetime | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> ReconcileReport:
    """Compares the paid (or failed) orders made since `since` with Stripe; see the module."""
    now = now or datetime.now(timezone.utc)
    orders = await Order.filter(status__in=AUDITED_STATUSES, created_at__gte=since).order_by("created_at")
    payments = {p.order_id: p for p in await Payment.filter(order_id__in=[o.id for o in orders])}
    for order in orders:
        if stopping():
            break
        payment = payments.get(order.id)
        if payment is None or payment.intent_id is None:  # nothing was asked of Stripe (a total of zero)
            continue
        report.audited += 1
        done, found = await _attempt(report, order, now, _compare(gateway, order, payment, now - grace))
        if not done:
            continue
        if found is not None:
            report.discrepancies.append(found)
        if found is None or found.repaired:
            await _settled_now(order)
            if found is not None:
                log.info("reconciler audit: %s", found)
        else:
            await _needs_attention(report, order, f"{found.problem}; Stripe: {found.stripe}", now)
    return report
