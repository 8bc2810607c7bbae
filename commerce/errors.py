"""Typed domain errors. Resolvers map them into `userErrors` entries."""

from __future__ import annotations

from enum import Enum

__all__ = ["UserErrorCode", "DomainError"]


class UserErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    CART_EMPTY = "CART_EMPTY"
    CART_ALREADY_CHECKED_OUT = "CART_ALREADY_CHECKED_OUT"
    CARD_DECLINED = "CARD_DECLINED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    PAYMENT_ACTION_REQUIRED = "PAYMENT_ACTION_REQUIRED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    FORBIDDEN = "FORBIDDEN"
    ORDER_NOT_PAID = "ORDER_NOT_PAID"
    ORDER_ALREADY_PAID = "ORDER_ALREADY_PAID"
    TAKEN = "TAKEN"
    UNIDENTIFIED_CUSTOMER = "UNIDENTIFIED_CUSTOMER"
    SHIPPING_ADDRESS_REQUIRED = "SHIPPING_ADDRESS_REQUIRED"
    DELIVERY_OPTION_REQUIRED = "DELIVERY_OPTION_REQUIRED"
    TOTAL_CHANGED = "TOTAL_CHANGED"
    NOT_AVAILABLE_IN_MARKET = "NOT_AVAILABLE_IN_MARKET"  # a variant with no price in the cart's market
    PAYMENT_METHOD_REMOVED = "PAYMENT_METHOD_REMOVED"  # a saved card its owner removed


class DomainError(Exception):
    """A refusal a caller can act on: a code, a message a person can read, the input field."""

    def __init__(self, code: UserErrorCode, message: str, field: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    @classmethod
    def not_found(cls, what: str, *field: str) -> "DomainError":
        """The refusal of an id that names no `what` the caller may use: "No order with this id.", at `field`.

        The one wording of NOT_FOUND for an id, whether the id was malformed (graph/core/ids.py) or names
        nothing (commerce), so both answer alike.
        """
        return cls(UserErrorCode.NOT_FOUND, f"No {what} with this id.", list(field))

