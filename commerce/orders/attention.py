"""Orders that need a person: the reconciler's needs-attention mark.

The reconciler marks an order it cannot settle (Stripe does not know its
PaymentIntent, an unexpected error, money owed back that cannot be sent) or
whose records disagree with Stripe in a way only a person may resolve: the
reason goes to `Order.attention_reason`, the first time to `attention_since`.
The mark is cleared when a later pass settles the order.

A reason that starts with `MONEY_NOT_BACK` says the shop owes a shopper money
that Stripe has not given back yet (the refund of a late payment whose stock was
sold): the shop's records and Stripe agree, and the mark goes once the refund
succeeds. Any other reason means the records may disagree with Stripe.

Marking and clearing leave `updated_at` alone: the reconciler's grace periods
and the partners' feed keep counting from the order's last change of state.
Both are conditional updates, so of several passes (one per server process)
only one learns that an order was newly marked, and logs it.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

from models import Order

__all__ = ["MONEY_NOT_BACK", "REASON_LENGTH", "mark_attention", "clear_attention", "count_needing_attention"]

REASON_LENGTH = 500  # the column's length
MONEY_NOT_BACK = "Money owed back is not back yet"


async def mark_attention(order: Order, reason: str, now: datetime) -> bool:
    """Marks `order` with `reason`; True when it was not marked with that reason already."""
    reason = reason[:REASON_LENGTH]
    since = order.attention_since or now
    changed = await Order.filter(Q(attention_reason__isnull=True) | Q(attention_reason__not=reason),
                                 id=order.id).update(attention_reason=reason, attention_since=since)
    order.attention_reason, order.attention_since = reason, since
    return bool(changed)


async def clear_attention(order: Order) -> bool:
    """Removes the mark; True when there was one."""
    if order.attention_reason is None:
        return False
    changed = await Order.filter(id=order.id, attention_reason__isnull=False).update(
        attention_reason=None, attention_since=None)
    order.attention_reason = order.attention_since = None
    return bool(changed)


async def count_needing_attention() -> int:
    """How many orders are marked now, in the whole shop."""
    return await Order.filter(attention_reason__isnull=False).count()
