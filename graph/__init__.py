"""The Strawberry schema, one package per domain like `commerce/`: the machinery
every domain shares (`core`: HTTP, the request context, errors, limits, ids and
pagination), then `catalog`, `checkout`, `orders`, `outbound` and `accounts`,
assembled into one schema in `graph.schema`."""

__all__ = ["accounts", "catalog", "checkout", "core", "orders", "outbound", "schema"]
