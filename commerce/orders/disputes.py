"""The dispute part of an order: chargebacks the card holder opened, and how they end.

Dispute events (`charge.dispute.created/updated/closed`) change only the
dispute: open ones make the order's summary DISPUTED, a lost one REFUNDED (the
money went back through the card network), a won one gives back the status the
payment and refunds make. A closed dispute never reopens; payment and refund
events do not touch it.
"""

from __future__ import annotations

import logging

from commerce.orders.lifecycle import DISPUTE_CLOSED, save_order
from models import Dispute, Order

__all__ = ["apply_dispute_locked"]

log = logging.getLogger("shopgraph.disputes")


async def apply_dispute_locked(order: Order, dispute_id: str, status: str, amount: int | None,
                               reason: str | None) -> bool:
    """Stripe's word on one dispute, on the locked order. True when the order changed."""
    was = (order.financial_status, order.fulfillment_status, order.status)
    dispute = await Dispute.get_or_none(stripe_dispute_id=dispute_id)
    if dispute is None:
        await Dispute.create(order_id=order.id, stripe_dispute_id=dispute_id, status=status, amount=amount,
                             reason=reason)
    elif dispute.status in DISPUTE_CLOSED:
        log.info("late %s for dispute %s, which has closed: ignored", status, dispute_id)
        return False
    else:
        dispute.status = status
        dispute.amount = amount if amount is not None else dispute.amount
        dispute.reason = reason or dispute.reason
        await dispute.save(update_fields=["status", "amount", "reason", "updated_at"])
    return await save_order(order, was=was)
