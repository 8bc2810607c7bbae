"""The order's states, one small table per concern, and the one place an order changes.

An order's state has four parts, and each kind of event owns one of them:

| concern     | moved by                                                      | may change                          |
|-------------|---------------------------------------------------------------|-------------------------------------|
| payment     | `payment_intent.*` events, checkout, `checkoutConfirm`,       | `financialStatus` along             |
|             | `cancelOrder`, `orderCapture`, the reconciler                 | `PAYMENT_MOVES`, stock, the cart    |
| refund      | `refund.*`, `charge.refund.updated`, `charge.refunded`,       | refunded amounts, `financialStatus` |
|             | `refundOrder`, the reconciler                                 | within `REFUND_STATES`              |
| dispute     | `charge.dispute.*`                                            | the dispute (`DISPUTE_CLOSED`)      |
| fulfillment | `fulfillmentCreate`, `orderMarkFulfilled`                     | `fulfillmentStatus`                 |

Payment events only settle what waits for payment: once an order is PAID or
PARTIALLY_PAID (a capture below the total), or refunded, no payment event touches it, so a late `payment_failed` cannot undo
a charge and a late success cannot undo a refund. Refund events only move
between PAID (or PARTIALLY_PAID), PARTIALLY_REFUNDED and REFUNDED, measured
against what was captured (`captured_status`; a failed refund gives its amount
back, so REFUNDED can become PARTIALLY_REFUNDED again); they never touch an
order that was not paid. A closed dispute never reopens. `status`, the one-word
summary clients already know, is derived from the parts by `summary_status`
and stored by `save_order`, the single function every change goes through.

An order that was paid only after it had ended unpaid, once its stock was sold
to someone else, keeps the summary CANCELLED whatever its money does (the
payment is recorded, and given back): it is never a live paid order
(`late_cancelled`).

The groups of states other modules ask about (waiting for payment, refundable,
audited, …) are named here too, beside the tables they follow from, and so
are a refund's own moves (`REFUND_MOVES`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from models import Dispute, Order, OrderFinancialStatus, OrderFulfillmentStatus, OrderStatus, PaymentStatus, RefundStatus

__all__ = [
    "PAYMENT_MOVES", "REFUND_STATES", "WAITING_FOR_PAYMENT", "UNPAID_ENDS", "CAPTURED", "DISPUTE_CLOSED",
    "FULFILLMENT_MOVES", "FULFILLABLE", "PAID_STATES", "REFUNDABLE", "MONEY_HELD", "REFUND_MOVES",
    "PAYMENT_CAPTURED", "PAYMENT_REFUNDABLE", "OPEN_ORDER_STATUSES", "ENDED_UNPAID_STATUSES", "CART_TAKEN_STATUSES",
    "MONEY_TAKEN_STATUSES", "AUDITED_STATUSES", "summary_status", "save_order", "dispute_standing", "standing_of",
    "captured_status", "late_cancelled", "total_outstanding", "get_order", "lock_order",
]

F = OrderFinancialStatus
U = OrderFulfillmentStatus
S = OrderStatus
R = RefundStatus

PAYMENT_MOVES: dict[OrderFinancialStatus, set[OrderFinancialStatus]] = {
    F.PENDING: {F.ACTION_REQUIRED, F.AUTHORIZED, F.PAID, F.FAILED, F.VOIDED},
    F.ACTION_REQUIRED: {F.AUTHORIZED, F.PAID, F.FAILED, F.VOIDED},
    # captured (in full, or less: PARTIALLY_PAID), or voided (cancelOrder, expiry)
    F.AUTHORIZED: {F.PAID, F.PARTIALLY_PAID, F.VOIDED},
    # A late success: the order takes its stock again, or the money goes back on its own.
    F.FAILED: {F.AUTHORIZED, F.PAID},
    F.VOIDED: {F.AUTHORIZED, F.PAID},
}
WAITING_FOR_PAYMENT = (F.PENDING, F.ACTION_REQUIRED)
UNPAID_ENDS = (F.FAILED, F.VOIDED)
# Captured and nothing refunded: all of the total, or less of it.
PAID_STATES = (F.PAID, F.PARTIALLY_PAID)
# Money was taken: refund events move among these, and only these.
REFUND_STATES = (F.PAID, F.PARTIALLY_PAID, F.PARTIALLY_REFUNDED, F.REFUNDED)
CAPTURED = REFUND_STATES
# Captured and not all given back: a refund may take from these.
REFUNDABLE = (F.PAID, F.PARTIALLY_PAID, F.PARTIALLY_REFUNDED)
# The card is held or charged, and not all of it given back.
MONEY_HELD = (F.AUTHORIZED, F.PAID, F.PARTIALLY_PAID, F.PARTIALLY_REFUNDED)
DISPUTE_CLOSED = ("won", "lost", "warning_closed", "prevented")
FULFILLMENT_MOVES: dict[OrderFulfillmentStatus, set[OrderFulfillmentStatus]] = {
    U.UNFULFILLED: {U.PARTIALLY_FULFILLED, U.FULFILLED},
    U.PARTIALLY_FULFILLED: {U.PARTIALLY_FULFILLED, U.FULFILLED},
    U.FULFILLED: set(),
}
FULFILLABLE = MONEY_HELD

# A refund's own states: Stripe can fail a refund that had succeeded (the bank sent it back).
REFUND_MOVES: dict[RefundStatus, set[RefundStatus]] = {
    R.PENDING: {R.SUCCEEDED, R.FAILED},
    R.SUCCEEDED: {R.FAILED},
    R.FAILED: set(),
}
# Payment rows whose money was captured; money can still be refunded from the first two.
PAYMENT_CAPTURED = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
PAYMENT_REFUNDABLE = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED)

# Groups of `status`, the one-word summary.
# Waiting for their payment: they hold stock and keep the cart closed.
OPEN_ORDER_STATUSES = (S.PENDING_PAYMENT, S.ACTION_REQUIRED)
# Ended unpaid: nothing is owed.
ENDED_UNPAID_STATUSES = (S.CANCELLED, S.PAYMENT_FAILED)
# A cart with an order in one of these is checked out (every status but the unpaid ends).
CART_TAKEN_STATUSES = (*OPEN_ORDER_STATUSES, S.AUTHORIZED, S.PAID, S.FULFILLED, S.PARTIALLY_REFUNDED, S.REFUNDED,
                       S.DISPUTED)
# Money taken (or disputed).
MONEY_TAKEN_STATUSES = (S.PAID, S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED, S.FULFILLED)
# What the reconciler's audit compares with Stripe: money taken, or ended unpaid.
AUDITED_STATUSES = (*MONEY_TAKEN_STATUSES, S.PAYMENT_FAILED, S.CANCELLED)

_BY_FINANCIAL = {
    F.PENDING: S.PENDING_PAYMENT, F.ACTION_REQUIRED: S.ACTION_REQUIRED, F.AUTHORIZED: S.AUTHORIZED,
    F.PAID: S.PAID, F.PARTIALLY_PAID: S.PAID, F.PARTIALLY_REFUNDED: S.PARTIALLY_REFUNDED, F.REFUNDED: S.REFUNDED,
    F.VOIDED: S.CANCELLED, F.FAILED: S.PAYMENT_FAILED,
}


def captured_status(captured: int, refunded: int, total: int) -> OrderFinancialStatus:
    """The financial status of an order whose money was taken: refunds are measured against
    what was captured; with none, a capture below the total is PARTIALLY_PAID."""
    if refunded >= captured:
        return F.REFUNDED
    if refunded:
        return F.PARTIALLY_REFUNDED
    return F.PARTIALLY_PAID if captured < total else F.PAID


def late_cancelled(order: Order) -> bool:
    """Paid after it had ended unpaid, its stock sold meanwhile: the money goes back and the
    order stays cancelled (`commerce.orders.payment_outcomes`)."""
    return order.cancel_reason is not None and not order.holds_stock and order.financial_status in REFUND_STATES


def total_outstanding(status: OrderStatus, total: int, captured: int) -> int:
    """What the buyer still owes, as Shopify's `totalOutstanding`: the total less what was
    captured while the order is open or paid (all of it while it waits for payment or is only
    authorised; the rest after a partial capture); nothing once it ended unpaid or was
    cancelled. Refunds do not make the buyer owe more."""
    if status in ENDED_UNPAID_STATUSES:
        return 0
    return max(total - captured, 0)


def summary_status(financial: OrderFinancialStatus, fulfillment: OrderFulfillmentStatus,
                   dispute: str | None, cancelled: bool = False) -> OrderStatus:
    """`status` from the parts. `dispute` is "open", "lost" or None (none, or all won);
    `cancelled`: a late payment whose stock was gone (`late_cancelled`)."""
    if cancelled:
        return S.CANCELLED
    if financial is F.REFUNDED or dispute == "lost":
        return S.REFUNDED
    if dispute == "open":
        return S.DISPUTED
    if financial in PAID_STATES and fulfillment is U.FULFILLED:
        return S.FULFILLED
    return _BY_FINANCIAL[financial]


async def get_order(order_id: str) -> Order | None:
    return await Order.get_or_none(id=order_id)


async def lock_order(order_id: str) -> Order | None:
    """The order, its row locked until the caller's transaction ends (PostgreSQL).

    SQLite has no row locks; there Tortoise runs one transaction at a time.
    """
    return await Order.filter(id=order_id).select_for_update().first()


def standing_of(statuses: Sequence[Any]) -> str | None:
    """"open" while a dispute is, "lost" once one was lost, else None (the order's disputes' statuses)."""
    if any(s not in DISPUTE_CLOSED for s in statuses):
        return "open"
    return "lost" if "lost" in statuses else None


async def dispute_standing(order_id: str) -> str | None:
    return standing_of(await Dispute.filter(order_id=order_id).values_list("status", flat=True))


async def save_order(order: Order, *, was: tuple | None = None, disputes: Sequence[Any] | None = None) -> bool:
    """Stores a locked order's parts and its derived `status`; True when anything changed.

    `was` is `(financial_status, fulfillment_status, status)` as loaded; None: read from the row.
    `disputes`: the statuses of the order's disputes, read under its lock; None: read them.
    """
    if was is None:
        was = tuple((await Order.filter(id=order.id).values_list(
            "financial_status", "fulfillment_status", "status"))[0])
    standing = await dispute_standing(order.id) if disputes is None else standing_of(disputes)
    order.status = summary_status(order.financial_status, order.fulfillment_status, standing, late_cancelled(order))
    now = (order.financial_status, order.fulfillment_status, order.status)
    await order.save(update_fields=["status", "financial_status", "fulfillment_status", "holds_stock",
                                    "cancel_reason", "updated_at"])
    return tuple(str(getattr(v, "value", v)) for v in was) != tuple(v.value for v in now)
