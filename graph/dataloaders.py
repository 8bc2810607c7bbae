"""Per-request DataLoaders: one query per batch of keys, results in key order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from strawberry.dataloader import DataLoader

from models import CartLine, Dispute, Fulfillment, FulfillmentLine, OrderLine, Payment, Product

__all__ = [
    "Loaders", "ProductByIdLoader", "CartLinesByCartIdLoader", "OrderLinesByOrderIdLoader", "PaymentByOrderIdLoader",
    "FulfillmentsByOrderIdLoader", "FulfillmentLinesByFulfillmentIdLoader", "DisputeByOrderIdLoader",
]


async def _products_by_id(ids: Sequence[int]) -> list[Product | None]:
    found = {p.id: p for p in await Product.filter(id__in=list(set(ids)))}
    return [found.get(i) for i in ids]


async def _cart_lines_by_cart_id(cart_ids: Sequence[str]) -> list[list[CartLine]]:
    by_cart: dict[str, list[CartLine]] = defaultdict(list)
    for line in await CartLine.filter(cart_id__in=list(set(cart_ids))).order_by("id"):
        by_cart[line.cart_id].append(line)
    return [by_cart.get(cart_id, []) for cart_id in cart_ids]


async def _order_lines_by_order_id(order_ids: Sequence[str]) -> list[list[OrderLine]]:
    by_order: dict[str, list[OrderLine]] = defaultdict(list)
    for line in await OrderLine.filter(order_id__in=list(set(order_ids))).order_by("id"):
        by_order[line.order_id].append(line)
    return [by_order.get(order_id, []) for order_id in order_ids]


async def _payment_by_order_id(order_ids: Sequence[str]) -> list[Payment | None]:
    found = {p.order_id: p for p in await Payment.filter(order_id__in=list(set(order_ids)))}
    return [found.get(order_id) for order_id in order_ids]


async def _fulfillments_by_order_id(order_ids: Sequence[str]) -> list[list[Fulfillment]]:
    by_order: dict[str, list[Fulfillment]] = defaultdict(list)
    for fulfillment in await Fulfillment.filter(order_id__in=list(set(order_ids))).order_by("id"):
        by_order[fulfillment.order_id].append(fulfillment)
    return [by_order.get(order_id, []) for order_id in order_ids]


async def _fulfillment_lines_by_fulfillment_id(ids: Sequence[int]) -> list[list[FulfillmentLine]]:
    by_fulfillment: dict[int, list[FulfillmentLine]] = defaultdict(list)
    for line in await FulfillmentLine.filter(fulfillment_id__in=list(set(ids))).order_by("id"):
        by_fulfillment[line.fulfillment_id].append(line)
    return [by_fulfillment.get(i, []) for i in ids]


async def _dispute_by_order_id(order_ids: Sequence[str]) -> list[Dispute | None]:
    """The latest dispute of each order."""
    latest: dict[str, Dispute] = {}
    for dispute in await Dispute.filter(order_id__in=list(set(order_ids))).order_by("id"):
        latest[dispute.order_id] = dispute
    return [latest.get(order_id) for order_id in order_ids]


def ProductByIdLoader() -> DataLoader[int, Product | None]:  # noqa: N802 - a loader factory
    return DataLoader(load_fn=_products_by_id)


def CartLinesByCartIdLoader() -> DataLoader[str, list[CartLine]]:  # noqa: N802
    return DataLoader(load_fn=_cart_lines_by_cart_id)


def OrderLinesByOrderIdLoader() -> DataLoader[str, list[OrderLine]]:  # noqa: N802
    return DataLoader(load_fn=_order_lines_by_order_id)


def PaymentByOrderIdLoader() -> DataLoader[str, Payment | None]:  # noqa: N802
    return DataLoader(load_fn=_payment_by_order_id)


def FulfillmentsByOrderIdLoader() -> DataLoader[str, list[Fulfillment]]:  # noqa: N802
    return DataLoader(load_fn=_fulfillments_by_order_id)


def FulfillmentLinesByFulfillmentIdLoader() -> DataLoader[int, list[FulfillmentLine]]:  # noqa: N802
    return DataLoader(load_fn=_fulfillment_lines_by_fulfillment_id)


def DisputeByOrderIdLoader() -> DataLoader[str, Dispute | None]:  # noqa: N802
    return DataLoader(load_fn=_dispute_by_order_id)


@dataclass
class Loaders:
    product_by_id: DataLoader[int, Product | None] = field(default_factory=ProductByIdLoader)
    cart_lines_by_cart_id: DataLoader[str, list[CartLine]] = field(default_factory=CartLinesByCartIdLoader)
    order_lines_by_order_id: DataLoader[str, list[OrderLine]] = field(default_factory=OrderLinesByOrderIdLoader)
    payment_by_order_id: DataLoader[str, Payment | None] = field(default_factory=PaymentByOrderIdLoader)
    fulfillments_by_order_id: DataLoader[str, list[Fulfillment]] = field(default_factory=FulfillmentsByOrderIdLoader)
    fulfillment_lines_by_fulfillment_id: DataLoader[int, list[FulfillmentLine]] = field(
        default_factory=FulfillmentLinesByFulfillmentIdLoader)
    dispute_by_order_id: DataLoader[str, Dispute | None] = field(default_factory=DisputeByOrderIdLoader)
