"""Orders in the schema: the order types, `order(id)` and the partners' `orders`
feed (`types`), an order's statuses, dispute and fulfillments (`parts`), refunds
and cancelling (`refunds`), and fulfilment and capture (`fulfillment`)."""

__all__ = ["fulfillment", "parts", "refunds", "types"]
