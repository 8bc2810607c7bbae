"""Business rules as plain async functions. No Strawberry, no Starlette.

By domain: the catalog (`catalog`), buying a cart (`checkout`), discount codes'
uses (`discounts`), the rules the staff set (`shop_rules`), orders after
checkout (`orders`), what the shop tells the world (`outbound`) and the buyer's
wallet (`wallet`). Across them: who calls and what they may do (`access`),
customer accounts (`accounts`), API keys (`api_keys`), typed errors (`errors`),
idempotency keys (`idempotency`), money (`money`), passwords (`passwords`),
text input (`text`), rate limits (`throttle`) and the hot paths' hand-written
statements, built once per database (`sql`)."""

__all__ = [
    "catalog", "checkout", "discounts", "shop_rules", "orders", "outbound", "wallet", "access", "accounts", "api_keys",
    "errors", "idempotency", "money", "passwords", "text", "throttle", "sql",
]
