"""The `refundOrder` and `cancelOrder` mutations (API keys with orders:write)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry

from commerce.orders import payment_outcomes as order_rules
from commerce.orders import refunds
from commerce.access import Scope
from graph.core.access import require_scope
from graph.core.context import Info
from graph.core.errors import UserError, mutation, user_errors
from graph.core.money import Money
from graph.orders.types import Order, order_key
from graph.core.ids import to_global_id
from models import Refund as RefundModel, RefundStatus as _RefundStatus

__all__ = ["RefundMutation", "Refund", "RefundStatus"]

RefundStatus = strawberry.enum(
    Enum("RefundStatus", {s.name: s.name for s in _RefundStatus}),
    description="PENDING until Stripe has answered; only SUCCEEDED gave money back.",
)


@strawberry.type(description="Money given back to the card of an order's payment.")
class Refund:
    id: strawberry.ID
    amount: Money
    status: RefundStatus
    created_at: datetime

    @classmethod
    def from_model(cls, model: RefundModel) -> "Refund":
        return cls(
            id=strawberry.ID(to_global_id("Refund", str(model.id))),
            amount=Money.of(model.amount, model.currency),
            status=RefundStatus[model.status.name],
            created_at=model.created_at,
        )


@strawberry.type
class RefundOrderPayload:
    order: Order | None
    refund: Refund | None
    user_errors: list[UserError]


@strawberry.type
class CancelOrderPayload:
    order: Order | None
    user_errors: list[UserError]


@strawberry.type
class RefundMutation:
    @mutation(
        description="Refunds a paid order, in full (no amount) or in part, never more than is left (orders:write). "
        "Stripe refunds first and the order follows. Send a new idempotencyKey per refund: a retry with the "
        "same key answers the same refund and never refunds twice."
    )
    async def refund_order(
        self,
        info: Info,
        order_id: strawberry.ID,
        amount: Annotated[Decimal | None, strawberry.argument(
            description='In the order\'s currency, such as "10.00"; omitted: all that is left.'
        )] = None,
        idempotency_key: str | None = None,
    ) -> RefundOrderPayload:
        await require_scope(info, Scope.ORDERS_WRITE)
        outcome = await refunds.refund_order(
            info.context.gateway, order_key(order_id), amount=amount, idempotency_key=idempotency_key
        )
        return RefundOrderPayload(
            order=Order.from_model(outcome.order),
            refund=Refund.from_model(outcome.refund),
            user_errors=user_errors(outcome.error) if outcome.error else [],
        )

    @mutation(
        description="Cancels an order not yet paid: its PaymentIntent at Stripe, and releases its stock (orders:write)."
    )
    async def cancel_order(self, info: Info, order_id: strawberry.ID) -> CancelOrderPayload:
        await require_scope(info, Scope.ORDERS_WRITE)
        order = await order_rules.cancel_order(info.context.gateway, order_key(order_id))
        return CancelOrderPayload(order=Order.from_model(order), user_errors=[])
