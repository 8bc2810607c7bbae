"""Orders with nothing to pay: a total of zero (a 100 % code, free items, free delivery).

Such an order is paid when it is placed, in checkout's first transaction: its
payment has provider "none", amounts of zero, no card and no PaymentIntent, and
nothing is asked of Stripe, then or later (the reconciler has nothing to ask
about it, and there is nothing to refund or capture). Stock and discount-code
uses are counted as for any order; `cancelOrder` gives them back
(`commerce.orders.payment_outcomes.cancel_order`) while nothing has shipped.
"""

from __future__ import annotations

from commerce.catalog.stock import count_sales
from commerce.orders.lifecycle import save_order
from commerce.outbound.outbox import record_order_event
from models import Order, OrderEventType, OrderFinancialStatus, Payment, PaymentStatus

__all__ = ["NO_PROVIDER", "is_free", "pay_nothing_locked"]

NO_PROVIDER = "none"


def is_free(order: Order) -> bool:
    """True for an order that had nothing to pay."""
    return order.total == 0


async def pay_nothing_locked(order: Order) -> None:
    """A new order with a total of zero is PAID at once, inside the caller's transaction
    (which created it): its payment of nothing, units sold counted, ORDER_PAID in the outbox."""
    await Payment.create(order_id=order.id, provider=NO_PROVIDER, intent_id=None, status=PaymentStatus.SUCCEEDED,
                         amount=0, amount_captured=0, currency=order.currency)
    was = (order.financial_status, order.fulfillment_status, order.status)
    order.financial_status = OrderFinancialStatus.PAID
    await save_order(order, was=was)
    await count_sales(order.id)
    await record_order_event(order, OrderEventType.ORDER_PAID)
