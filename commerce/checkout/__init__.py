"""Buying: carts (`carts`, read and locked with their contents in one statement:
`cart_contents`), the cart's market (`cart_market`: its currency, and delivery
rates and codes converted into it), prices of cart lines (`pricing`), the buyer's details
(`buyer`, `addresses`, `countries`), what a cart costs (`costs`, from the
database: `cart_costs`; delivery: `shipping`; tax: `taxes`) and the checkout
saga (`saga`, its first transaction: `opening`, what an order copies from its
cart: `order_copies`)."""

__all__ = [
    "carts", "cart_contents", "cart_market", "pricing", "buyer", "addresses", "countries", "costs", "cart_costs", "shipping", "taxes", "saga",
    "opening", "order_copies",
]
