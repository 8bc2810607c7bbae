"""Tortoise models: fields, relations, indexes and constraints. No business logic."""

from models.cart import Cart, CartLine, CartStatus
from models.order import Order, OrderLine, OrderNumber, OrderStatus, Payment, PaymentStatus
from models.product import Product

__all__ = [
    "Cart", "CartLine", "CartStatus", "Order", "OrderLine", "OrderNumber", "OrderStatus",
    "Payment", "PaymentStatus", "Product",
]
