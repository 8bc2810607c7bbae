"""The reconciler: finishes checkouts that stopped half-way, from what Stripe says.

An order still PENDING_PAYMENT or ACTION_REQUIRED past its grace period is
settled: with no PaymentIntent stored it is cancelled (nothing can have been
charged); otherwise the PaymentIntent decides. One that was never confirmed is
cancelled at Stripe first, so it can never be charged later, and the order
follows whatever Stripe then says. `shopgraph reconcile` runs one pass; the
server runs one periodically.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from commerce.orders import OPEN_ORDER_STATUSES, apply_payment_result, cancel_unpaid_order
from models import Order, Payment
from payments.gateway import GatewayUnavailable, PaymentGateway, PaymentOutcome

__all__ = ["ReconcileReport", "reconcile", "PENDING_GRACE", "ACTION_GRACE"]

log = logging.getLogger("shopgraph.reconcile")

PENDING_GRACE = timedelta(minutes=10)  # longer than any checkout request takes
ACTION_GRACE = timedelta(hours=1)  # time for a shopper to finish 3-D Secure

@dataclass
class ReconcileReport:
    examined: int = 0
    settled: dict[str, str] = field(default_factory=dict)  # order number -> new status
    unresolved: list[str] = field(default_factory=list)  # order numbers left as they were

async def _settle(gateway: PaymentGateway, order: Order, now: datetime, action_grace: timedelta) -> Order:
    payment = await Payment.get_or_none(order_id=order.id)
    if payment is None:
        return await cancel_unpaid_order(order.id)
    result = await gateway.retrieve_payment_intent(payment.intent_id)
    waiting = result.outcome is PaymentOutcome.UNCONFIRMED or (
        result.outcome is PaymentOutcome.REQUIRES_ACTION and order.updated_at < now - action_grace
    )
    if waiting:
        result = await gateway.cancel_payment_intent(payment.intent_id)
        if result.outcome is not PaymentOutcome.CANCELED:  # it moved on meanwhile: believe Stripe
            result = await gateway.retrieve_payment_intent(payment.intent_id)
    return await apply_payment_result(order.id, result)

async def reconcile(
    gateway: PaymentGateway,
    *,
    grace: timedelta = PENDING_GRACE,
    action_grace: timedelta = ACTION_GRACE,
    now: datetime | None = None,
) -> ReconcileReport:
    now = now or datetime.now(timezone.utc)
    report = ReconcileReport()
    stale = await Order.filter(status__in=OPEN_ORDER_STATUSES, updated_at__lt=now - grace).order_by("updated_at")
    for order in stale:
        report.examined += 1
        try:
            settled = await _settle(gateway, order, now, action_grace)
        except GatewayUnavailable:
            report.unresolved.append(str(order.number))
            continue
        if settled.status is order.status:
            report.unresolved.append(str(order.number))
        else:
            report.settled[str(order.number)] = settled.status.name
            log.info("reconciled order %s: %s -> %s", order.number, order.status.name, settled.status.name)
    return report
