"""Manual capture: a checkout authorises (`SHOPGRAPH_CAPTURE_METHOD=manual`), staff capture later.

`capture_order` takes up to the authorised amount, once per idempotency key:
1. One transaction, the order locked: a known key replays; otherwise the order
   must be AUTHORIZED with no capture under way; the key and the amount are recorded.
2. Stripe captures (outside any transaction; Stripe's idempotency key comes from
   our payment). A partial capture releases the rest of the authorisation at Stripe.
3. Stripe's answer moves the order through the payment table: AUTHORIZED → PAID,
   or PARTIALLY_PAID when less than the total was captured (`Payment.amount_captured`).

A replay of the key while the order is still AUTHORIZED (Stripe's answer was
lost) asks Stripe again with the same amount, which cannot capture twice.
`cancelOrder` voids an authorisation (`commerce.orders.payment_outcomes.cancel_order`).
"""

from __future__ import annotations

import logging
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from commerce.errors import DomainError, UserErrorCode as Code
from commerce.idempotency import capture_key, check_client_key, key_reused
from commerce.money import amount_field, to_decimal
from commerce.orders.lifecycle import REFUND_STATES, lock_order
from commerce.orders.payment_outcomes import apply_payment_result
from models import Order, OrderFinancialStatus, Payment
from payments.gateway import GatewayUnavailable, PaymentError, PaymentGateway

__all__ = ["capture_order"]

log = logging.getLogger("shopgraph.capture")
F = OrderFinancialStatus
_KEY_FIELD = ("idempotencyKey",)


def _minor(amount: Decimal | str | None, currency: str, most: int) -> int:
    if amount is None:
        return most
    minor = amount_field(amount, currency, "amount")
    if not 0 < minor <= most:
        raise DomainError(Code.INVALID, f"Capture more than zero and at most {to_decimal(most, currency)} {currency}.",
                          ["amount"])
    return minor


async def _record_capture(order_id: str, amount: Decimal | str | None, key: str) -> Payment | Order:
    """Step 1: the payment with the capture recorded, or the order (a replay that is settled)."""
    async with in_transaction():
        order = await lock_order(order_id)
        if order is None:
            raise DomainError.not_found("order", "orderId")
        payment = await Payment.get_or_none(order_id=order.id)
        known = await Payment.get_or_none(capture_key=key)
        if known is not None:
            if known.order_id != order.id or (amount is not None and _minor(
                    amount, order.currency, known.amount) != known.capture_requested):
                raise key_reused("capture", _KEY_FIELD)
            return known if order.financial_status is F.AUTHORIZED else order
        if order.financial_status in REFUND_STATES:
            raise DomainError(Code.ORDER_ALREADY_PAID, "This order's payment has been captured.", ["orderId"])
        if order.financial_status is not F.AUTHORIZED or payment is None:
            raise DomainError(Code.ORDER_NOT_PAID, "Only an authorised order can be captured.", ["orderId"])
        if payment.capture_key is not None:
            raise DomainError(Code.INVALID, "A capture of this order is under way.", ["orderId"])
        payment.capture_requested = _minor(amount, order.currency, payment.amount)
        payment.capture_key = key
        await payment.save(update_fields=["capture_requested", "capture_key", "updated_at"])
    return payment


async def capture_order(gateway: PaymentGateway, order_id: str, *, amount: Decimal | str | None,
                        idempotency_key: str) -> Order:
    """Captures `amount` (None: all that was authorised) of an authorised order."""
    check_client_key(idempotency_key, _KEY_FIELD)
    try:
        recorded = await _record_capture(order_id, amount, idempotency_key)
    except IntegrityError:
        raise key_reused("capture", _KEY_FIELD) from None
    if isinstance(recorded, Order):
        return recorded
    payment = recorded
    try:
        result = await gateway.capture_payment_intent(payment.intent_id, amount=payment.capture_requested,
                                                      idempotency_key=capture_key(payment.id))
    except GatewayUnavailable:
        raise DomainError(Code.PAYMENT_FAILED, "Stripe did not answer; retry with the same idempotencyKey.",
                          None) from None
    except PaymentError as error:
        log.error("capture of order %s refused by Stripe: %s", order_id, error)
        raise DomainError(Code.PAYMENT_FAILED, "Stripe refused the capture.", None) from None
    order = await apply_payment_result(payment.order_id, result, gateway)
    if order.financial_status is F.VOIDED:
        raise DomainError(Code.PAYMENT_FAILED, "The authorisation had lapsed or was voided: nothing was captured.",
                          ["orderId"])
    return order
