"""After checkout: order state (`state`), reads (`queries`), payment events
(`payment_events`), refunds (`refunds`, and those made at Stripe:
`stripe_refunds`), disputes, fulfillment, the reconciler (`reconcile`) and the
orders it leaves for a person (`attention`)."""
