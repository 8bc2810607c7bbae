"""What the shop tells the world: the outbox of order events (`outbox`) and its
change feed (`feed`); partner webhook subscriptions (`partner_hooks`, turned
off and on: `subscription_status`), their payloads, addresses and sending
(`payloads`, `urls`, `public_addresses`, `posting`, `delivery`, `claims`);
emails (`mail`, `mailer`); in-process change notices to subscribers
(`notices`); and the outbox's retention (`retention`)."""

__all__ = [
    "outbox", "feed", "partner_hooks", "subscription_status", "payloads", "urls", "public_addresses", "posting",
    "delivery", "claims", "mail", "mailer", "notices", "retention",
]
