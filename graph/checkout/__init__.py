"""Buying in the schema: the cart and its mutations (`cart`), the buyer, address,
delivery and codes of a cart (`cart_buyer`), what a cart costs (`cost`),
`checkout` and `checkoutConfirm` (`mutations`), mailing addresses (`addresses`),
the countries the shop delivers to (`countries`) and the staff's shop rules:
shipping zones, tax rates and discount codes (`shop_rules`)."""

__all__ = ["addresses", "cart", "cart_buyer", "cost", "countries", "mutations", "shop_rules"]
