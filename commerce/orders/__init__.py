"""After checkout: order state (`state`), reads (`queries`), payment events
(`payment_events`), refunds (`refunds`, and those made at Stripe:
`stripe_refunds`), money a late payment left owed (`late_payments`), disputes,
fulfillment, the reconciler (`reconcile`) and the orders it leaves for a person
(`attention`)."""
