"""After checkout: order state (`state`), reads (`queries`), payment events
(`payment_events`), refunds and disputes (`refunds`), fulfillment and the
reconciler (`reconcile`)."""
