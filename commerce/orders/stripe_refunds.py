"""Refunds made at Stripe, and what Stripe's running total of a charge's refunds says.

A refund made at Stripe (its dashboard) is counted once, whatever reaches us
first. Its own object (`refund.*`, `charge.refund.updated`, or listed by a
charge) is matched by its Stripe id (`record_stripe_refund_locked`). Stripe's
running total (a `charge.refunded` snapshot, or the reconciler) tells of it only
as an amount: more than every refund we know of is recorded as a refund
`REPORTED_BY_STRIPE` with no id (`note_stripe_total_locked`), and the refund
object, when it shows up, claims that amount instead of adding its own. Our
own refund whose answer was lost, once the running total settled it as
SUCCEEDED (`settle_unanswered_refunds`), is such an amount too. So we never
count more than Stripe holds.

The same running total settles our own refunds whose answer was lost
(`settle_unanswered_refunds`, run by the reconciler).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from commerce.orders.refund_records import record_refund_locked, refresh_refunds_locked, refund_status
from commerce.orders.lifecycle import lock_order
from commerce.outbound import notices
from commerce.outbound.outbox import record_order_event
from models import Order, OrderEventType, Payment, Refund, RefundStatus

__all__ = ["REPORTED_BY_STRIPE", "record_stripe_refund_locked", "record_listed_refunds_locked", "claims_an_amount",
           "has_failed_at_stripe",
           "note_stripe_total_locked", "note_stripe_total", "refunded_of_captured", "settle_unanswered_refunds"]

REPORTED_BY_STRIPE = "reported_by_stripe"  # the reason of a refund first seen in Stripe's running total
R = RefundStatus


class _Listed(Protocol):
    """A refund as a charge lists it (`payments.stripe_events.ListedRefund`)."""
    refund_id: str
    amount: int
    status: str | None


log = logging.getLogger("shopgraph.refunds")


async def record_stripe_refund_locked(order: Order, payment: Payment, stripe_refund_id: str, amount: int | None,
                                      status: RefundStatus, stripe_refunded: int | None = None) -> int:
    """A Stripe refund object, ours or one made at Stripe, inside the caller's transaction on
    the locked order: matched by its id, else to an amount Stripe's running total reported
    (`REPORTED_BY_STRIPE`), else recorded. With the charge's running total as Stripe holds it
    now (`stripe_refunded`, read by the caller when `claims_an_amount`), a refund the total
    holds beside every amount we count is recorded as a new one rather than claiming one of
    them, and the total is then noted. Returns how many changes the order had."""
    refund = await Refund.get_or_none(stripe_refund_id=stripe_refund_id)
    if refund is None:
        if not amount or amount < 0:
            return False
        if stripe_refunded is not None and await _beside_known(order, payment, amount, stripe_refunded):
            refund = await Refund.create(order_id=order.id, stripe_refund_id=stripe_refund_id, amount=amount,
                                         currency=payment.currency, status=status)
        else:
            refund = await _claim_reported(order, payment, stripe_refund_id, amount, status)
    changes = int(await record_refund_locked(order, refund, stripe_refund_id, status))
    if stripe_refunded is not None:
        changes += await note_stripe_total_locked(order, await Payment.get(id=payment.id), stripe_refunded,
                                                  current=True)
    return changes


async def _beside_known(order: Order, payment: Payment, amount: int, stripe_refunded: int) -> bool:
    """Whether Stripe's running total, read just now, holds `amount` more than every refund we count."""
    return refunded_of_captured(payment, stripe_refunded) >= await _known(order.id, current=True) + amount


async def _known(order_id: str, *, current: bool) -> int:
    """The refunds we count against Stripe's running total. A refund that failed leaves the
    total it was in: a total read just now holds none of them; a snapshot may predate the
    failure, so there the failed ones Stripe had (those with an id) count, and a refund the
    snapshot seems to show beside them waits for a total read from Stripe (`has_failed_at_stripe`)."""
    rows = await Refund.filter(order_id=order_id).values_list("amount", "status", "stripe_refund_id")
    return sum(amount for amount, status, stripe_id in rows
               if status is not R.FAILED or (stripe_id is not None and not current))


async def has_failed_at_stripe(order_id: str) -> bool:
    """Whether one of the order's refunds failed at Stripe, making a snapshot of the running
    total ambiguous: taken before the failure, it counts that refund; after, it does not."""
    return await Refund.exists(order_id=order_id, status=R.FAILED, stripe_refund_id__not_isnull=True)


async def record_listed_refunds_locked(order: Order, payment: Payment, listed: Iterable[_Listed]) -> int:
    """Refunds an event's charge lists, each by its id, oldest first (Stripe lists the newest
    first), those matching an amount held without an id before the others, so each claims its
    own. Returns how many changed the order."""
    unnamed = set(await _unnamed(order.id).values_list("amount", flat=True))
    changes = 0
    for refund in sorted(reversed(list(listed)), key=lambda refund: refund.amount not in unnamed):
        changes += await record_stripe_refund_locked(order, payment, refund.refund_id, refund.amount,
                                                     refund_status(refund.status))
    return changes


async def claims_an_amount(order_id: str, stripe_refund_id: str) -> bool:
    """Whether a refund object would claim an amount we hold without an id: a refund we do
    not know, on an order with such an amount. Its own amount cannot tell whether it is that
    refund or another one made since, so the caller reads the charge's running total first."""
    if await Refund.exists(stripe_refund_id=stripe_refund_id):
        return False
    return await _unnamed(order_id).exists()


def _unnamed(order_id: str):
    """Amounts counted as refunded that no Stripe id names yet."""
    return Refund.filter(Q(reason=REPORTED_BY_STRIPE) | Q(reason=None), order_id=order_id,
                         stripe_refund_id=None, status=R.SUCCEEDED)


async def _claim_reported(order: Order, payment: Payment, stripe_refund_id: str, amount: int,
                          status: RefundStatus) -> Refund:
    """The row for a refund object we have no id for: an amount seen without an id that it
    explains (the same amount: reported by Stripe's total, or our own refund the total
    settled; or what the reported amounts cover of it, oldest first), or a new one."""
    unnamed = await _unnamed(order.id).order_by("id")
    same = next((row for row in unnamed if row.amount == amount), None)
    if same is not None:
        return same  # `record_refund_locked` gives it the id; a PENDING report does not undo SUCCEEDED
    reported = [row for row in unnamed if row.reason == REPORTED_BY_STRIPE]  # ours is one refund: never split
    claimed = 0
    for row in reported:
        take = min(row.amount, amount - claimed)
        if take == row.amount:
            await row.delete()
        else:
            row.amount -= take
            await row.save(update_fields=["amount", "updated_at"])
        claimed += take
        if claimed == amount:
            break
    if claimed == amount and status is R.PENDING:
        status = R.SUCCEEDED  # Stripe's total already counted all of it
    return await Refund.create(order_id=order.id, stripe_refund_id=stripe_refund_id, amount=amount,
                               currency=payment.currency, status=status)


def refunded_of_captured(payment: Payment, stripe_refunded: int) -> int:
    """Stripe's running total of a charge's refunds, less the rest a partial capture released."""
    return max(stripe_refunded - (payment.amount - payment.amount_captured), 0) if payment.amount_captured else 0


async def note_stripe_total_locked(order: Order, payment: Payment, stripe_refunded: int, *, current: bool) -> bool:
    """Stripe's running total of the charge's refunds: read from Stripe just now (`current`), or
    a `charge.refunded` snapshot. More than every refund we count against it (`_known`) is a
    refund made at Stripe that we have not heard of: recorded as one that succeeded,
    `REPORTED_BY_STRIPE`, for its refund object to claim."""
    total = refunded_of_captured(payment, stripe_refunded)
    known = await _known(order.id, current=current)
    if total > known:
        await Refund.create(order_id=order.id, amount=total - known, currency=payment.currency,
                            status=R.SUCCEEDED, reason=REPORTED_BY_STRIPE)
    return await refresh_refunds_locked(order, payment)


async def note_stripe_total(order_id: str, stripe_refunded: int) -> Order:
    """`note_stripe_total_locked` of a total read from Stripe just now, in a transaction of its
    own, announced after commit."""
    async with in_transaction():
        order = await lock_order(order_id)
        payment = await Payment.get_or_none(order_id=order.id)
        changed = payment is not None and await note_stripe_total_locked(order, payment, stripe_refunded,
                                                                          current=True)
        if changed:
            await record_order_event(order, OrderEventType.ORDER_REFUNDED)
    if changed:
        log.info("order %s is now %s", order.number, order.status.name)
        await notices.order_changed(order.id)
    return order


async def settle_unanswered_refunds(order_id: str, stripe_refunded: int, older_than: datetime) -> list[str]:
    """Refunds of ours still PENDING with no Stripe id (the answer was lost), from
    Stripe's running total: nothing more refunded there than we know of means they
    never reached Stripe (FAILED); exactly their sum more means they went through
    (SUCCEEDED). Anything else is left for a person. Returns what it did."""
    done: list[str] = []
    async with in_transaction():
        order = await lock_order(order_id)
        payment = await Payment.get_or_none(order_id=order_id)
        if order is None or payment is None:
            return done
        stale = await Refund.filter(order_id=order_id, status=RefundStatus.PENDING, stripe_refund_id=None,
                                    reason=None, created_at__lt=older_than).order_by("id")
        unexplained = refunded_of_captured(payment, stripe_refunded) - payment.amount_refunded
        if not stale or (unexplained > 0 and unexplained != sum(r.amount for r in stale)):
            return done
        status = RefundStatus.SUCCEEDED if unexplained > 0 else RefundStatus.FAILED
        for refund in stale:
            refund.status = status
            await refund.save(update_fields=["status", "updated_at"])
            done.append(f"unanswered refund {refund.id} of {refund.amount} is {status.name} at Stripe")
        changed = await refresh_refunds_locked(order, payment)
        if changed:
            await record_order_event(order, OrderEventType.ORDER_REFUNDED)
    if changed:
        await notices.order_changed(order_id)
    return done
