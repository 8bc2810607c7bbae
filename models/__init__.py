"""Tortoise models: fields, relations, indexes and constraints. No business logic."""

from models.account import ApiKey, Customer, CustomerSession
from models.cart import Cart, CartLine, CartStatus
from models.fulfillment import Fulfillment, FulfillmentLine
from models.order import (
    Order, OrderFinancialStatus, OrderFulfillmentStatus, OrderLine, OrderNumber, OrderStatus, Payment, PaymentStatus,
)
from models.market import Market, MarketCountry, Rounding, VariantPrice
from models.outbox import (
    DeliveryStatus, EmailKind, EmailMessage, OrderEvent, OrderEventType, OutboxConsumer, OutboxCounter,
    SubscriptionDisabledReason, WebhookAttempt, WebhookDelivery, WebhookSubscription, WebhookSubscriptionStatus,
)
from models.payment_events import Dispute, Refund, RefundStatus, StripeEvent
from models.shop_rules import DiscountCode, DiscountKind, DiscountRedemption, ShippingRate, ShippingZone, TaxRate
from models.product import (
    Collection, CollectionProduct, Product, ProductImage, ProductOption, ProductTag, ProductVariant, VariantOptionValue,
)
from models.throttle import RateLimitHit
from models.translation import Translation
from models.wallet import CustomerAddress, CustomerWallet, SavedPaymentMethod

__all__ = [
    "ApiKey", "Customer", "CustomerSession", "Cart", "CartLine", "CartStatus", "Order", "OrderLine", "OrderNumber", "OrderStatus",
    "Payment", "PaymentStatus", "Product", "ProductImage", "ProductOption", "ProductTag", "ProductVariant",
    "VariantOptionValue", "Collection", "CollectionProduct", "Dispute", "Refund", "RefundStatus", "StripeEvent",
    "Fulfillment", "FulfillmentLine", "OrderFinancialStatus", "OrderFulfillmentStatus",
    "DiscountCode", "DiscountKind", "DiscountRedemption", "ShippingRate", "ShippingZone", "TaxRate",
    "DeliveryStatus", "EmailKind", "EmailMessage", "OrderEvent", "OrderEventType", "OutboxConsumer", "OutboxCounter",
    "WebhookAttempt", "WebhookDelivery", "WebhookSubscription", "WebhookSubscriptionStatus", "RateLimitHit",
    "SubscriptionDisabledReason", "CustomerAddress", "CustomerWallet", "SavedPaymentMethod", "Translation",
    "Market", "MarketCountry", "Rounding", "VariantPrice",
]
