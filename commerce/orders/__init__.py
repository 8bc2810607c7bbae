"""After checkout: the order's states and the one place it changes (`lifecycle`),
what a PaymentIntent's outcome does to it, cancelling, and money a late payment
left owed (`payment_outcomes`), orders without payment (`free_orders`), reads
(`queries`), Stripe's events applied (`payment_events`), refunds (`refunds`,
and those made at Stripe: `stripe_refunds`; both record through
`refund_records`), manual capture (`capture`), disputes, fulfillment, the
reconciler (`reconcile`) and the orders it leaves for a person (`attention`)."""

__all__ = [
    "lifecycle", "payment_outcomes", "free_orders", "queries", "payment_events", "refunds", "stripe_refunds",
    "refund_records", "capture", "disputes", "fulfillment", "reconcile", "attention",
]
