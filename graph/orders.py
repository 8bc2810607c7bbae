"""Order types and the `order` query."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from commerce import orders
from graph.catalog import Product
from graph.context import Info
from graph.money import Money
from graph.node import Node, register_node
from graph.relay import from_global_id, to_global_id
from models import Order as OrderModel, OrderStatus as _OrderStatus, PaymentStatus as _PaymentStatus

__all__ = ["Order", "OrderLine", "Payment", "OrderStatus", "PaymentStatus", "OrderQuery", "order_key"]

OrderStatus = strawberry.enum(
    Enum("OrderStatus", {s.name: s.name for s in _OrderStatus}),
    description="Where an order stands. ACTION_REQUIRED waits for the shopper's bank (3-D Secure).",
)
PaymentStatus = strawberry.enum(Enum("PaymentStatus", {s.name: s.name for s in _PaymentStatus}))


@strawberry.type(description="A product as it was sold; title and price are copied at checkout.")
class OrderLine:
    id: strawberry.ID
    title: str
    quantity: int
    unit_price: Money
    total: Money
    product_pk: strawberry.Private[int | None]

    @strawberry.field(description="The product today; null when it has been deleted.")
    async def product(self, info: Info) -> Product | None:
        if self.product_pk is None:
            return None
        model = await info.context.loaders.product_by_id.load(self.product_pk)
        return None if model is None else Product.from_model(model)


@strawberry.type(description="The order's payment, as Stripe reported it.")
class Payment:
    id: strawberry.ID
    provider: str
    status: PaymentStatus
    amount: Money
    amount_refunded: Money
    card_brand: str | None
    card_last4: str | None
    created_at: datetime


@strawberry.type(description="An order. Its id is unguessable: holding it is what lets a guest read it.")
class Order(Node):
    number: str
    status: OrderStatus
    email: str
    subtotal: Money
    total: Money
    created_at: datetime
    updated_at: datetime
    pk: strawberry.Private[str]
    currency: strawberry.Private[str]

    @classmethod
    def from_model(cls, model: OrderModel) -> "Order":
        return cls(
            id=strawberry.ID(to_global_id("Order", model.id)),
            pk=model.id,
            currency=model.currency,
            number=str(model.number),
            status=OrderStatus[model.status.name],
            email=model.email,
            subtotal=Money.of(model.subtotal, model.currency),
            total=Money.of(model.total, model.currency),
            created_at=model.created_at,
            updated_at=model.updated_at,
        )

    @strawberry.field
    async def lines(self, info: Info) -> list[OrderLine]:
        return [
            OrderLine(
                id=strawberry.ID(to_global_id("OrderLine", line.id)),
                title=line.title,
                quantity=line.quantity,
                unit_price=Money.of(line.unit_price, self.currency),
                total=Money.of(line.total, self.currency),
                product_pk=line.product_id,
            )
            for line in await info.context.loaders.order_lines_by_order_id.load(self.pk)
        ]

    @strawberry.field
    async def payment(self, info: Info) -> Payment | None:
        payment = await info.context.loaders.payment_by_order_id.load(self.pk)
        if payment is None:
            return None
        return Payment(
            id=strawberry.ID(to_global_id("Payment", payment.id)),
            provider=payment.provider,
            status=PaymentStatus[payment.status.name],
            amount=Money.of(payment.amount, payment.currency),
            amount_refunded=Money.of(payment.amount_refunded, payment.currency),
            card_brand=payment.card_brand,
            card_last4=payment.card_last4,
            created_at=payment.created_at,
        )


def order_key(global_id: str | None) -> str | None:
    decoded = from_global_id(global_id or "")
    if decoded is None or decoded[0] != "Order" or len(decoded[1]) != 32:
        return None
    return decoded[1]


async def _order_node(info: Info, key: str) -> Order | None:
    model = await orders.get_order(key) if len(key) == 32 else None
    return None if model is None else Order.from_model(model)


register_node("Order", _order_node)


@strawberry.type
class OrderQuery:
    @strawberry.field(description="An order by its id; null when there is none.")
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        key = order_key(id)
        return None if key is None else await _order_node(info, key)
