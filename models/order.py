from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.ids import new_secret_id


class OrderStatus(str, Enum):
    PENDING_PAYMENT = "pending_payment"
    ACTION_REQUIRED = "action_required"
    PAID = "paid"
    PAYMENT_FAILED = "payment_failed"
    CANCELLED = "cancelled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    DISPUTED = "disputed"
    FULFILLED = "fulfilled"
    AUTHORIZED = "authorized"  # manual capture: the card is held, not charged yet


class OrderFinancialStatus(str, Enum):
    """Where the order's money stands; moved by payment, capture and refund events only."""

    PENDING = "pending"
    ACTION_REQUIRED = "action_required"
    AUTHORIZED = "authorized"
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"  # captured less than the order's total (a partial capture)
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"  # cancelled before any money was taken
    FAILED = "failed"


class OrderFulfillmentStatus(str, Enum):
    """How much of the order has shipped; moved by fulfillments only."""

    UNFULFILLED = "unfulfilled"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"


class PaymentStatus(str, Enum):
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class OrderNumber(Model):
    """Hands out short, unique, human-friendly order numbers (1001, 1002, …)."""

    id = fields.IntField(primary_key=True)
    # A column to insert: Tortoise cannot insert a row that has only its primary key.
    issued_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "order_number"


class Order(Model):
    """An order made from a cart at checkout. Its id is unguessable."""

    id = fields.CharField(max_length=32, primary_key=True, default=new_secret_id)
    number = fields.IntField(unique=True)
    # The one-word summary, derived from the parts below on every change (stored for filtering).
    status = fields.CharEnumField(OrderStatus, max_length=24, default=OrderStatus.PENDING_PAYMENT)
    financial_status = fields.CharEnumField(OrderFinancialStatus, max_length=24, default=OrderFinancialStatus.PENDING,
                                            db_default="pending")
    fulfillment_status = fields.CharEnumField(OrderFulfillmentStatus, max_length=24,
                                              default=OrderFulfillmentStatus.UNFULFILLED, db_default="unfulfilled")
    # Whether the order's lines hold stock now (taken at checkout, given back once when it ends unpaid).
    holds_stock = fields.BooleanField(default=True, db_default=True)
    # Why the shop gave the money back (or did not sell) on its own, for people to read.
    cancel_reason = fields.CharField(max_length=500, null=True)
    # Set when the reconciler could not settle the order (the PaymentIntent is unknown at Stripe, a refund
    # that cannot be sent, an unexpected error): people must look; cleared once it settles.
    attention_reason = fields.CharField(max_length=500, null=True)
    attention_since = fields.DatetimeField(null=True)
    email = fields.CharField(max_length=254)
    currency = fields.CharField(max_length=3)
    # The buyer's language at checkout (ISO 639-1, upper-case; `@inContext(language:)`): what emails speak.
    # Null on orders made before languages were stored: they are in the shop's language.
    language = fields.CharField(max_length=2, null=True)
    subtotal = fields.IntField()
    # What checkout computed, copied so later changes to rates and codes never touch it.
    discount = fields.IntField(default=0, db_default=0)
    shipping = fields.IntField(default=0, db_default=0)
    tax = fields.IntField(default=0, db_default=0)
    taxes_included = fields.BooleanField(default=False, db_default=False)
    total = fields.IntField()
    shipping_address: dict | None = fields.JSONField(null=True)
    shipping_line: dict | None = fields.JSONField(null=True)
    tax_lines: list[dict] | None = fields.JSONField(null=True)
    discount_applications: list[dict] | None = fields.JSONField(null=True)
    cart: fields.ForeignKeyNullableRelation["Cart"] = fields.ForeignKeyField(  # noqa: F821
        "shop.Cart", related_name="orders", null=True, on_delete=fields.SET_NULL
    )
    customer: fields.ForeignKeyNullableRelation["Customer"] = fields.ForeignKeyField(  # noqa: F821
        "shop.Customer", related_name="orders", null=True, on_delete=fields.SET_NULL
    )
    idempotency_key = fields.CharField(max_length=255, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True, db_index=True)

    lines: fields.ReverseRelation["OrderLine"]
    payment: fields.BackwardOneToOneRelation["Payment"]

    class Meta:
        table = "order"
        indexes = (("status", "updated_at"), ("updated_at", "id"), ("customer_id", "created_at"))
        constraints = (
            CheckConstraint(check="total >= 0", name="order_total_not_negative"),
            CheckConstraint(check="subtotal >= 0", name="order_subtotal_not_negative"),
            CheckConstraint(check="discount >= 0", name="order_discount_not_negative"),
            CheckConstraint(check="shipping >= 0", name="order_shipping_not_negative"),
            CheckConstraint(check="tax >= 0", name="order_tax_not_negative"),
        )


class OrderLine(Model):
    """A variant as it was sold: title, variant title, SKU and price are copied at checkout."""

    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "shop.Order", related_name="lines", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyNullableRelation["Product"] = fields.ForeignKeyField(  # noqa: F821
        "shop.Product", related_name="order_lines", null=True, on_delete=fields.SET_NULL
    )
    variant: fields.ForeignKeyNullableRelation["ProductVariant"] = fields.ForeignKeyField(  # noqa: F821
        "shop.ProductVariant", related_name="order_lines", null=True, on_delete=fields.SET_NULL
    )
    title = fields.CharField(max_length=200)
    variant_title = fields.CharField(max_length=300, default="", db_default="")
    sku = fields.CharField(max_length=100, null=True)
    quantity = fields.IntField()
    unit_price = fields.IntField()
    total = fields.IntField()
    discount = fields.IntField(default=0, db_default=0)
    tax = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "order_line"
        constraints = (
            CheckConstraint(check="quantity > 0", name="order_line_quantity_positive"),
            CheckConstraint(check="unit_price >= 0", name="order_line_unit_price_not_negative"),
            CheckConstraint(check="total >= 0", name="order_line_total_not_negative"),
        )


class Payment(Model):
    """The order's Stripe PaymentIntent and what became of it; for an order with nothing to pay,
    a payment of provider "none" with no PaymentIntent (`commerce.orders.free_orders`)."""

    id = fields.IntField(primary_key=True)
    order: fields.OneToOneRelation[Order] = fields.OneToOneField(
        "shop.Order", related_name="payment", on_delete=fields.CASCADE
    )
    provider = fields.CharField(max_length=16, default="stripe")  # or "none": nothing to pay, nothing asked of Stripe
    intent_id = fields.CharField(max_length=255, unique=True, null=True)  # null only for provider "none"
    status = fields.CharEnumField(PaymentStatus, max_length=24, default=PaymentStatus.PENDING)
    amount = fields.IntField()  # authorised (charged, with automatic capture)
    amount_captured = fields.IntField(default=0, db_default=0)  # taken from the card: amount, or less on a partial capture
    amount_refunded = fields.IntField(default=0)  # refunds that succeeded, of what was captured
    capture_method = fields.CharField(max_length=16, default="automatic", db_default="automatic")  # or "manual": authorise, capture later
    capture_key = fields.CharField(max_length=255, null=True, unique=True)  # the orderCapture idempotency key
    capture_requested = fields.IntField(null=True)  # the amount that capture asked for
    currency = fields.CharField(max_length=3)
    card_brand = fields.CharField(max_length=32, null=True)
    card_last4 = fields.CharField(max_length=4, null=True)
    failure_code = fields.CharField(max_length=64, null=True)
    failure_message = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "payment"
        constraints = (
            CheckConstraint(check="amount >= 0", name="payment_amount_not_negative"),
            CheckConstraint(check="amount_captured >= 0", name="payment_captured_not_negative"),
            CheckConstraint(check="amount_refunded >= 0", name="payment_refunded_not_negative"),
            # Money given back never exceeds money taken (DESIGN §11).
            CheckConstraint(check="amount_refunded <= amount_captured", name="payment_refunded_within_captured"),
        )
