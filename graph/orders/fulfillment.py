"""`fulfillmentCreate` and `orderCapture` (API keys with orders:write)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry

from commerce.access import Scope
from commerce.orders import capture, fulfillment
from graph.core.access import require_scope
from graph.core.context import Info
from graph.core.errors import UserError, mutation
from graph.orders.parts import Fulfillment
from graph.orders.types import Order, order_key
from graph.core.ids import int_key, known

__all__ = ["FulfillmentMutation"]


@strawberry.input
class FulfillmentLineInput:
    order_line_id: strawberry.ID
    quantity: int


@strawberry.input
class TrackingInput:
    company: str | None = None
    number: str | None = None
    url: str | None = None


@strawberry.type
class FulfillmentCreatePayload:
    order: Order | None
    fulfillment: Fulfillment | None
    user_errors: list[UserError]


@strawberry.type
class OrderCapturePayload:
    order: Order | None
    user_errors: list[UserError]


def _lines(lines: list[FulfillmentLineInput] | None) -> list[tuple[int, int]] | None:
    if lines is None:
        return None
    parsed = []
    for index, line in enumerate(lines):
        key = known(int_key(line.order_line_id, "OrderLine"), "line on this order", "lines", str(index), "orderLineId")
        parsed.append((key, line.quantity))
    return parsed


@strawberry.type
class FulfillmentMutation:
    @mutation(
        description="Ships lines of a paid (or authorised) order, with tracking (orders:write). Lines omitted: "
        "all that is left. Never more than was ordered."
    )
    async def fulfillment_create(
        self, info: Info, order_id: strawberry.ID, lines: list[FulfillmentLineInput] | None = None,
        tracking: TrackingInput | None = None, notify_customer: bool = True,
    ) -> FulfillmentCreatePayload:
        await require_scope(info, Scope.ORDERS_WRITE)
        tracking = tracking or TrackingInput()
        order, made = await fulfillment.create_fulfillment(
            order_key(order_id), _lines(lines),
            fulfillment.Tracking(company=tracking.company, number=tracking.number, url=tracking.url),
            notify_customer=notify_customer,
        )
        return FulfillmentCreatePayload(order=Order.from_model(order), fulfillment=Fulfillment.from_model(made),
                                        user_errors=[])

    @mutation(
        description="Captures an authorised order (orders:write): up to the authorised amount, once per "
        "idempotencyKey; a partial capture releases the rest of the authorisation."
    )
    async def order_capture(
        self, info: Info, order_id: strawberry.ID, idempotency_key: str,
        amount: Annotated[Decimal | None, strawberry.argument(
            description="In the order's currency; omitted: all that was authorised.")] = None,
    ) -> OrderCapturePayload:
        await require_scope(info, Scope.ORDERS_WRITE)
        order = await capture.capture_order(info.context.gateway, order_key(order_id), amount=amount,
                                            idempotency_key=idempotency_key)
        return OrderCapturePayload(order=Order.from_model(order), user_errors=[])
