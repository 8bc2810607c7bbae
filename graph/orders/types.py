"""Order types, and the connection and cursors of order lists."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry

from commerce.orders import queries as order_queries
from commerce.access import Scope
from commerce.orders.lifecycle import PAYMENT_CAPTURED as _CAPTURED_PAYMENT, total_outstanding
from graph.core.access import caller, require_scope
from graph.catalog.types import Product, ProductVariant, variant_in_market
from graph.checkout.addresses import MailingAddress
from graph.checkout.cost import DiscountApplication, OrderCost, ShippingLine, TaxLine
from graph.core.context import Info
from graph.core.errors import bad_user_input
from graph.core.event_cursors import event_cursor
from graph.core.in_context import LanguageCode
from graph.core.pagination import Connection, Edge
from graph.core.money import Money
from graph.core.node import Node, register_node
from graph.orders.parts import Fulfillment, OrderDispute, OrderFinancialStatus, OrderFulfillmentStatus
from graph.core.ids import decode_cursor, encode_cursor, known, secret_key, secret_key_of, to_global_id
from models import Order as OrderModel, OrderStatus as _OrderStatus, PaymentStatus as _PaymentStatus

__all__ = [
    "Order", "OrderLine", "Payment", "OrderStatus", "PaymentStatus", "OrderConnection",
    "order_key", "order_node", "connection", "time_keyset",
]

OrderStatus = strawberry.enum(
    Enum("OrderStatus", {s.name: s.name for s in _OrderStatus}),
    description="Where an order stands. ACTION_REQUIRED waits for the shopper's bank (3-D Secure).",
)
PaymentStatus = strawberry.enum(Enum("PaymentStatus", {s.name: s.name for s in _PaymentStatus}))


@strawberry.type(description="A variant as it was sold; title, variant title, SKU and price are copied at checkout.")
class OrderLine:
    id: strawberry.ID
    title: str
    variant_title: str
    sku: str | None
    quantity: int
    unit_price: Money
    total: Money
    discount: Money = strawberry.field(description="This line's share of the order's discounts.")
    tax: Money = strawberry.field(description="Tax on this line, rounded half-even.")
    product_pk: strawberry.Private[int | None]
    variant_pk: strawberry.Private[int | None]
    currency: strawberry.Private[str]

    @strawberry.field(description=("The variant today, priced in the operation's market (the line keeps what was"
                                   " paid); null when it has been deleted or is not for sale there."))
    async def variant(self, info: Info) -> ProductVariant | None:
        if self.variant_pk is None:
            return None
        model = await info.context.loaders.variant_by_id.load(self.variant_pk)
        return None if model is None else await variant_in_market(info, model)

    @strawberry.field(description="The product today; null when it has been deleted.")
    async def product(self, info: Info) -> Product | None:
        if self.product_pk is None:
            return None
        model = await info.context.loaders.product_by_id.load(self.product_pk)
        return None if model is None else Product.from_model(model)


@strawberry.type(description="The order's payment, as Stripe reported it; `provider` \"none\" for an order "
                 "with nothing to pay (amounts of 0, no card, nothing sent to Stripe).")
class Payment:
    id: strawberry.ID
    provider: str
    status: PaymentStatus
    amount: Money = strawberry.field(description="What the card was charged, or authorised for (manual capture).")
    amount_captured: Money | None = strawberry.field(
        description="What Stripe captured: `amount` with automatic capture, what `orderCapture` took with manual "
        "capture (less than `amount` after a partial capture); null while nothing is captured.")
    amount_refunded: Money
    card_brand: str | None
    card_last4: str | None
    created_at: datetime


@strawberry.type(description="An order. Its id is unguessable: holding it is what lets a guest read it.")
class Order(Node):
    number: str
    status: OrderStatus = strawberry.field(description="The one-word summary, derived from financialStatus, "
                                           "fulfillmentStatus and the dispute.")
    financial_status: OrderFinancialStatus
    fulfillment_status: OrderFulfillmentStatus
    cancel_reason: str | None = strawberry.field(description="Why the shop gave the money back on its own, if it did.")
    email: str
    subtotal: Money
    total: Money
    shipping_address: MailingAddress | None
    shipping_line: ShippingLine | None
    tax_lines: list[TaxLine]
    discount_applications: list[DiscountApplication]
    cost: OrderCost
    created_at: datetime
    updated_at: datetime
    pk: strawberry.Private[str]
    currency: strawberry.Private[str]
    total_minor: strawberry.Private[int]
    event_sequence: strawberry.Private[int | None] = None  # set when built from an outbox event
    attention: strawberry.Private[str | None] = None  # why the reconciler left it for a person
    language: strawberry.Private[str | None] = None  # the buyer's at checkout; None: the shop's

    @strawberry.field(description="The language the buyer shopped in (`@inContext` at checkout): its emails' language.")
    def language_code(self, info: Info) -> LanguageCode:  # type: ignore[valid-type]
        return LanguageCode[self.language or info.context.settings.language]

    @strawberry.field(description="True when the reconciler could not settle this order, or found it "
                      "disagreeing with Stripe in a way a person must resolve (API keys with orders:read).")
    async def needs_attention(self, info: Info) -> bool:
        await require_scope(info, Scope.ORDERS_READ)
        return self.attention is not None

    @strawberry.field(description="Why the order needs attention; null when it does not (API keys with "
                      "orders:read).")
    async def attention_reason(self, info: Info) -> str | None:
        await require_scope(info, Scope.ORDERS_READ)
        return self.attention

    @classmethod
    def from_model(cls, model: OrderModel, event_sequence: int | None = None) -> "Order":
        return cls(
            event_sequence=event_sequence,
            attention=model.attention_reason,
            language=model.language,
            id=strawberry.ID(to_global_id("Order", model.id)),
            pk=model.id,
            currency=model.currency,
            total_minor=model.total,
            number=str(model.number),
            status=OrderStatus[model.status.name],
            financial_status=OrderFinancialStatus[model.financial_status.name],
            fulfillment_status=OrderFulfillmentStatus[model.fulfillment_status.name],
            cancel_reason=model.cancel_reason,
            email=model.email,
            subtotal=Money.of(model.subtotal, model.currency),
            total=Money.of(model.total, model.currency),
            **_copies(model),
            created_at=model.created_at,
            updated_at=model.updated_at,
        )

    @strawberry.field(
        description="The cursor of this order's latest change in `orderEvents` (of the change pushed, in "
        "`orderStatusChanged`). Pass it as `orderStatusChanged(after:)` to miss nothing after it."
    )
    async def event_cursor(self, info: Info) -> str | None:
        sequence = self.event_sequence
        if sequence is None:
            sequence = await info.context.loaders.latest_event_by_order_id.load(self.pk)
        return None if sequence is None else event_cursor(sequence)

    @strawberry.field
    async def lines(self, info: Info) -> list[OrderLine]:
        return [
            OrderLine(
                id=strawberry.ID(to_global_id("OrderLine", line.id)),
                title=line.title,
                variant_title=line.variant_title,
                sku=line.sku,
                quantity=line.quantity,
                unit_price=Money.of(line.unit_price, self.currency),
                total=Money.of(line.total, self.currency),
                discount=Money.of(line.discount, self.currency),
                tax=Money.of(line.tax, self.currency),
                product_pk=line.product_id,
                variant_pk=line.variant_id,
                currency=self.currency,
            )
            for line in await info.context.loaders.order_lines_by_order_id.load(self.pk)
        ]

    @strawberry.field(description="The chargeback on this order's payment, if there is one.")
    async def dispute(self, info: Info) -> OrderDispute | None:
        model = await info.context.loaders.dispute_by_order_id.load(self.pk)
        return None if model is None else OrderDispute.from_model(model, self.currency)

    @strawberry.field(description="Shipments, oldest first.")
    async def fulfillments(self, info: Info) -> list[Fulfillment]:
        return [Fulfillment.from_model(m) for m in await info.context.loaders.fulfillments_by_order_id.load(self.pk)]

    @strawberry.field(description="What the shop kept of the payment: captured less refunded (zero without one).")
    async def net_payment(self, info: Info) -> Money:
        payment = await info.context.loaders.payment_by_order_id.load(self.pk)
        kept = 0 if payment is None else payment.amount_captured - payment.amount_refunded
        return Money.of(kept, self.currency)

    @strawberry.field(description="What the buyer still owes: the total less what was captured (the total while "
                      "the order waits for payment or is authorised, the rest after a partial capture, zero once "
                      "paid in full); zero for a cancelled or failed order. Refunds do not change it.")
    async def total_outstanding(self, info: Info) -> Money:
        payment = await info.context.loaders.payment_by_order_id.load(self.pk)
        captured = 0 if payment is None else payment.amount_captured
        return Money.of(total_outstanding(_OrderStatus[self.status.name], self.total_minor, captured), self.currency)

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
            amount_captured=(Money.of(payment.amount_captured, payment.currency)
                             if payment.status in _CAPTURED_PAYMENT else None),
            amount_refunded=Money.of(payment.amount_refunded, payment.currency),
            card_brand=payment.card_brand,
            card_last4=payment.card_last4,
            created_at=payment.created_at,
        )


def _copies(model: OrderModel) -> dict:
    """What the order copied at checkout: address, delivery, taxes, discounts and amounts."""
    def m(amount: int) -> Money:
        return Money.of(amount, model.currency)
    line = model.shipping_line
    return {
        "shipping_address": MailingAddress.of(model.shipping_address),
        "shipping_line": None if not line else ShippingLine(
            handle=line["handle"], title=line["title"], price=m(line["price"]),
            discount=m(line.get("discount", 0)), tax=m(line.get("tax", 0))),
        "tax_lines": [TaxLine(title=t["title"], rate_percentage=Decimal(t["rate"]), amount=m(t["amount"]))
                      for t in model.tax_lines or []],
        "discount_applications": [DiscountApplication(code=d["code"], amount=m(d["amount"]))
                                  for d in model.discount_applications or []],
        "cost": OrderCost(subtotal=m(model.subtotal), discount=m(model.discount), shipping=m(model.shipping),
                          tax=m(model.tax), total=m(model.total), taxes_included=model.taxes_included),
    }


def order_key(global_id: str | None, field: str = "orderId") -> str:
    """The key inside an Order id, for mutation arguments; NOT_FOUND otherwise."""
    return known(secret_key(global_id, "Order"), "order", field)


async def order_node(info: Info, key: str) -> Order | None:
    model = await order_queries.read_order(await caller(info), key)
    return None if model is None else Order.from_model(model)


register_node("Order", secret_key_of, order_node)


@strawberry.type(description="A page of orders.")
class OrderConnection(Connection[Order]):
    pass


def connection(page: order_queries.OrderPage, cursor_of, has_previous_page: bool) -> OrderConnection:
    edges = [Edge(cursor=encode_cursor(cursor_of(m)), node=Order.from_model(m)) for m in page.orders]
    return OrderConnection.page(edges, has_next_page=page.has_next_page, has_previous_page=has_previous_page)


def time_keyset(cursor: str | None, argument: str = "after") -> tuple[datetime, str] | None:
    """(a time, an order id) from a cursor made by `connection`; BAD_USER_INPUT otherwise."""
    if cursor is None:
        return None
    try:
        moment, pk = decode_cursor(cursor, argument)
        when = datetime.fromisoformat(moment)
        if when.tzinfo is None or not isinstance(pk, str) or secret_key_of(pk) is None:
            raise ValueError(cursor)
    except (TypeError, ValueError):
        raise bad_user_input(f"`{argument}` is not a cursor of this list.") from None
    return when, pk
