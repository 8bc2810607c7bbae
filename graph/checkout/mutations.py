"""The `checkout` and `checkoutConfirm` mutations."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

import strawberry

from commerce.checkout import saga
from commerce.errors import DomainError, UserErrorCode as Code
from graph.core.access import caller
from graph.checkout.cart import cart_key
from graph.core.context import Info
from graph.core.errors import UserError, mutation, user_errors
from graph.orders.types import Order, order_key
from graph.accounts.wallet import saved_card_key

__all__ = ["CheckoutMutation"]


@strawberry.enum(description="What the browser must do before the payment can finish.")
class PaymentActionType(Enum):
    THREE_D_SECURE = "THREE_D_SECURE"


@strawberry.type(description="Hand `clientSecret` to Stripe.js `confirmCardPayment`, then call `checkoutConfirm`.")
class PaymentAction:
    type: PaymentActionType
    client_secret: str


@strawberry.input
class CheckoutInput:
    cart_id: strawberry.ID
    email: str | None = strawberry.field(default=None, description="Left out: the cart's email.")
    payment_token: str | None = strawberry.field(
        default=None, description="What Stripe.js gave the browser: a `pm_…` or `tok_…` id. Left out only when "
        "the total is zero (nothing is sent to Stripe); otherwise INVALID."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A new random key per attempt; the same key returns the same result."
    )
    expected_total: Decimal | None = strawberry.field(
        default=None, description="The total the shopper saw, in the cart's currency; when it differs, "
        "TOTAL_CHANGED and nothing is charged."
    )
    saved_payment_method_id: strawberry.ID | None = strawberry.field(
        default=None, description="Pays with a card of the signed-in customer's wallet instead of a paymentToken."
    )

    def terms(self, info: Info) -> saga.CheckoutTerms:
        """`expectedTotal` is read in the cart's currency, which step 1 knows (commerce.checkout.opening)."""
        return saga.CheckoutTerms(info.context.settings.prices_include_tax, self.expected_total,
                                  info.context.language, info.context.settings.currency)


@strawberry.type
class CheckoutPayload:
    order: Order | None
    payment_action: PaymentAction | None
    user_errors: list[UserError]


@strawberry.type
class CheckoutConfirmPayload:
    order: Order | None
    payment_action: PaymentAction | None
    user_errors: list[UserError]


def _tell_outcome(info: Info, outcome: str) -> None:
    """Names the checkout's outcome in the request's state, for the request log and metrics."""
    state = getattr(info.context.request, "state", None)
    if state is not None:
        state.checkout_outcome = outcome


def _action(result: saga.CheckoutResult) -> PaymentAction | None:
    if result.client_secret is None or result.error is None or result.error.code is not Code.PAYMENT_ACTION_REQUIRED:
        return None
    return PaymentAction(type=PaymentActionType.THREE_D_SECURE, client_secret=result.client_secret)


@strawberry.type
class CheckoutMutation:
    @mutation(description="Turns a cart into an order and charges the card, exactly once.")
    async def checkout(self, info: Info, input: CheckoutInput) -> CheckoutPayload:
        try:
            result = await saga.checkout(
                info.context.gateway,
                caller=await caller(info),
                cart_id=cart_key(input.cart_id, field="cartId"),
                email=input.email,
                payment_token=input.payment_token,
                idempotency_key=input.idempotency_key,
                capture_manually=info.context.settings.capture_method == "manual",
                terms=input.terms(info),
                saved_payment_method=saved_card_key(input.saved_payment_method_id),
            )
        except DomainError as error:  # refused before an order was made: named, then answered by `mutation`
            if error.field == ["cartId"]:
                error.field = ["input", "cartId"]
            _tell_outcome(info, error.code.value.lower())
            raise
        _tell_outcome(info, (result.error.code.value if result.error else result.order.status.value).lower())
        if result.payment is not None:  # as the checkout wrote it: the answer reads it not again
            info.context.loaders.payment_by_order_id.prime(result.order.id, result.payment, force=True)
        return CheckoutPayload(
            order=Order.from_model(result.order),
            payment_action=_action(result),
            user_errors=user_errors(result.error) if result.error else [],
        )

    @mutation(description="After 3-D Secure in the browser: moves the order on from what Stripe says.")
    async def checkout_confirm(self, info: Info, order_id: strawberry.ID) -> CheckoutConfirmPayload:
        key = order_key(order_id)
        result = await saga.confirm_checkout(info.context.gateway, await caller(info), key)
        return CheckoutConfirmPayload(
            order=Order.from_model(result.order),
            payment_action=_action(result),
            user_errors=user_errors(result.error) if result.error else [],
        )
