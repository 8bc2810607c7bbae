"""The rules the staff set for the shop (`shop:write`): shipping zones (`zones`),
tax rates (`tax_rates`), discount codes (`discount_codes`), the checks their
input shares (`checks`) and the demo shop's rules (`seed`). Checkout reads
them when it prices a cart (`commerce.checkout.cart_costs`)."""

__all__ = [
    "zones", "tax_rates", "discount_codes", "checks", "seed",
]
