"""Orders in the schema: the order types and the connection of order lists
(`types`), `order(id)` and the partners' `orders` feed (`queries`), an order's
statuses, dispute and fulfillments (`parts`), refunds and cancelling (`refunds`),
and fulfilment and capture (`fulfillment`)."""

__all__ = ["fulfillment", "parts", "queries", "refunds", "types"]
