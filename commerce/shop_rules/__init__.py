"""The rules the staff set for the shop (`shop:write`): shipping zones (`zones`), tax rates
(`tax_rates`), discount codes (`discount_codes`) and the checks their input shares (`checks`).
Checkout reads them when it prices a cart (`commerce.checkout.cart_costs`)."""
