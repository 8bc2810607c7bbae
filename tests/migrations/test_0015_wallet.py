"""A shop with customers migrates to the wallet.

Given a database at 0014 with a customer, their session and their open cart,
when 0015 runs, then the customer has an empty wallet (no addresses, no cards,
no Stripe Customer yet), can save addresses and cards, and one customer's
wallet, addresses and cards go when the customer is deleted.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from tortoise.exceptions import IntegrityError

from commerce import wallet
from commerce.checkout.addresses import MailingAddress
from models import Cart, Customer, CustomerAddress, CustomerWallet, SavedPaymentMethod
from tests.migrations.old_rows import migrated_from

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
OLD_ROWS = [
    "INSERT INTO customer (email, password_hash, created_at) VALUES ('old@example.com', 'scrypt$x', $1)",
    ("INSERT INTO cart (id, status, currency, customer_id, created_at, updated_at)"
     " SELECT 'c0ffee00c0ffee00c0ffee00c0ffee00', 'open', 'USD', id, $1, $1 FROM customer"),
]

migrated = migrated_from("shop.0014_check_constraints", OLD_ROWS, NOW)
ADDRESS = MailingAddress(country_code="US", address1="1 Market St", city="San Francisco", province_code="CA",
                         zip="94105")


async def test_an_existing_customer_starts_with_an_empty_wallet_and_can_fill_it(migrated):
    customer = await Customer.get(email="old@example.com")
    assert await wallet.list_addresses(customer.id) == [] and await wallet.list_cards(customer.id) == []
    assert await wallet.default_address(customer.id) is None
    assert (await Cart.get(customer_id=customer.id)).shipping_address is None

    saved = await wallet.create_address(customer.id, ADDRESS)
    assert (await wallet.default_address(customer.id)).id == saved.id
    card = await SavedPaymentMethod.create(customer_id=customer.id, stripe_payment_method_id="pm_old", brand="visa",
                                           last4="4242", exp_month=12, exp_year=2030)
    with pytest.raises(IntegrityError):  # a Stripe card is saved once
        await SavedPaymentMethod.create(customer_id=customer.id, stripe_payment_method_id="pm_old", brand="visa",
                                        last4="4242", exp_month=12, exp_year=2030)
    with pytest.raises(IntegrityError):  # one wallet per customer
        await CustomerWallet.create(customer_id=customer.id)

    await customer.delete()
    assert not await CustomerAddress.exists(id=saved.id)
    assert not await SavedPaymentMethod.exists(id=card.id)
    assert not await CustomerWallet.exists(customer_id=customer.id)
