"""Tortoise models: fields, relations, indexes and constraints. No business logic."""

from models.account import ApiKey, Customer, CustomerSession
from models.cart import Cart, CartLine, CartStatus
from models.order import Order, OrderLine, OrderNumber, OrderStatus, Payment, PaymentStatus
from models.payment_events import Dispute, Refund, RefundStatus, StripeEvent
from models.product import Product
from models.shop_rules import DiscountCode, DiscountKind, DiscountRedemption, ShippingRate, ShippingZone, TaxRate

__all__ = [
    "ApiKey", "Customer", "CustomerSession", "Cart", "CartLine", "CartStatus", "Order", "OrderLine", "OrderNumber", "OrderStatus",
    "Payment", "PaymentStatus", "Product", "Dispute", "Refund", "RefundStatus", "StripeEvent",
    "DiscountCode", "DiscountKind", "DiscountRedemption", "ShippingRate", "ShippingZone", "TaxRate",
]
