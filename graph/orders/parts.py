"""The parts of an order beside its lines and payment: the split statuses, the dispute, fulfillments."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from graph.core.context import Info
from graph.core.money import Money
from graph.core.ids import to_global_id
from models import (
    Dispute as DisputeModel, Fulfillment as FulfillmentModel, OrderFinancialStatus as _Financial,
    OrderFulfillmentStatus as _Fulfillment,
)

__all__ = ["OrderFinancialStatus", "OrderFulfillmentStatus", "OrderDispute", "Fulfillment", "FulfillmentLine",
           "OrderLineRef"]

OrderFinancialStatus = strawberry.enum(
    Enum("OrderFinancialStatus", {s.name: s.name for s in _Financial}),
    description="Where the order's money stands. Moved by payments, captures and refunds only.",
)
OrderFulfillmentStatus = strawberry.enum(
    Enum("OrderFulfillmentStatus", {s.name: s.name for s in _Fulfillment}),
    description="How much of the order has shipped. Moved by fulfillments only.",
)


@strawberry.type(description="A chargeback on the order's payment (the latest, when there were several).")
class OrderDispute:
    status: str = strawberry.field(description="Stripe's: needs_response, under_review, won, lost…")
    amount: Money | None
    reason: str | None

    @classmethod
    def from_model(cls, model: DisputeModel, currency: str) -> "OrderDispute":
        amount = None if model.amount is None else Money.of(model.amount, currency)
        return cls(status=model.status, amount=amount, reason=model.reason)


@strawberry.type(description="The order line a fulfillment ships.")
class OrderLineRef:
    id: strawberry.ID


@strawberry.type
class FulfillmentLine:
    order_line: OrderLineRef
    quantity: int


@strawberry.type(description="One shipment of some or all of an order's lines.")
class Fulfillment:
    id: strawberry.ID
    tracking_company: str | None
    tracking_number: str | None
    tracking_url: str | None
    created_at: datetime
    pk: strawberry.Private[int]

    @classmethod
    def from_model(cls, model: FulfillmentModel) -> "Fulfillment":
        return cls(id=strawberry.ID(to_global_id("Fulfillment", str(model.id))), pk=model.id,
                   tracking_company=model.tracking_company, tracking_number=model.tracking_number,
                   tracking_url=model.tracking_url, created_at=model.created_at)

    @strawberry.field
    async def lines(self, info: Info) -> list[FulfillmentLine]:
        return [
            FulfillmentLine(order_line=OrderLineRef(id=strawberry.ID(to_global_id("OrderLine", line.order_line_id))),
                            quantity=line.quantity)
            for line in await info.context.loaders.fulfillment_lines_by_fulfillment_id.load(self.pk)
        ]
