"""The buyer's wallet: saved addresses, the Stripe Customer, saved cards (DESIGN §13)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class CustomerWallet(Model):
    """One per customer, made on first need: their Stripe Customer and their default address."""

    id = fields.IntField(primary_key=True)
    customer: fields.OneToOneRelation["Customer"] = fields.OneToOneField(  # noqa: F821
        "shop.Customer", related_name="wallet", on_delete=fields.CASCADE
    )
    # Set once, by a conditional update: a customer never gets two Stripe Customers in our records.
    stripe_customer_id = fields.CharField(max_length=255, null=True)
    default_address_id = fields.IntField(null=True)  # a CustomerAddress of this customer, or none
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "customer_wallet"


class CustomerAddress(Model):
    """An address a customer saved, checked by the same rules as a cart's (JSON of `MailingAddress`)."""

    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation["Customer"] = fields.ForeignKeyField(  # noqa: F821
        "shop.Customer", related_name="addresses", on_delete=fields.CASCADE
    )
    address: dict = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "customer_address"
        indexes = (("customer_id", "id"),)


class SavedPaymentMethod(Model):
    """A card a customer saved: a Stripe PaymentMethod attached to their Stripe Customer.

    A row exists only once the card is attached; `removed_at` is set before the card
    is detached, so a removed card is never charged, whatever Stripe answers."""

    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation["Customer"] = fields.ForeignKeyField(  # noqa: F821
        "shop.Customer", related_name="payment_methods", on_delete=fields.CASCADE
    )
    stripe_payment_method_id = fields.CharField(max_length=255, unique=True)
    brand = fields.CharField(max_length=32)
    last4 = fields.CharField(max_length=4)
    exp_month = fields.IntField()
    exp_year = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)
    removed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "saved_payment_method"
        indexes = (("customer_id", "removed_at"),)
