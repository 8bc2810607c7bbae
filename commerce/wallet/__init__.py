"""The buyer's wallet (DESIGN §13): a signed-in customer's saved addresses and saved cards.

`addresses` keeps up to 50 addresses per customer, checked by the cart's rules,
and the default one a new cart starts with; `cards` gives each customer one
Stripe Customer, saves cards through SetupIntents, and hands checkout a saved
card only for its own customer.
"""

from commerce.wallet.addresses import (
    MAX_ADDRESSES, create_address, default_address, default_address_json, delete_address, list_addresses,
    set_default_address, update_address,
)
from commerce.wallet.cards import (
    card_for_checkout, complete_setup, list_cards, remove_card, start_setup, stripe_customer,
)

__all__ = [
    "MAX_ADDRESSES", "create_address", "default_address", "default_address_json", "delete_address",
    "list_addresses", "set_default_address", "update_address",
    "card_for_checkout", "complete_setup", "list_cards", "remove_card", "start_setup", "stripe_customer",
]
