"""The buyer's wallet (DESIGN §13): saved addresses, each customer's Stripe Customer and default
address, saved cards. New tables only: existing rows are untouched."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('shop', '0014_check_constraints')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CustomerAddress',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('shop.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='addresses', on_delete=OnDelete.CASCADE)),
                ('address', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'customer_address', 'app': 'shop', 'indexes': [Index(fields=['customer_id', 'id'])], 'pk_attr': 'id', 'table_description': "An address a customer saved, checked by the same rules as a cart's (JSON of `MailingAddress`)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CustomerWallet',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.OneToOneField('shop.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='wallet', on_delete=OnDelete.CASCADE)),
                ('stripe_customer_id', fields.CharField(null=True, max_length=255)),
                ('default_address_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'customer_wallet', 'app': 'shop', 'pk_attr': 'id', 'table_description': 'One per customer, made on first need: their Stripe Customer and their default address.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SavedPaymentMethod',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('shop.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='payment_methods', on_delete=OnDelete.CASCADE)),
                ('stripe_payment_method_id', fields.CharField(unique=True, max_length=255)),
                ('brand', fields.CharField(max_length=32)),
                ('last4', fields.CharField(max_length=4)),
                ('exp_month', fields.IntField()),
                ('exp_year', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('removed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'saved_payment_method', 'app': 'shop', 'indexes': [Index(fields=['customer_id', 'removed_at'])], 'pk_attr': 'id', 'table_description': 'A card a customer saved: a Stripe PaymentMethod attached to their Stripe Customer.'},
            bases=['Model'],
        ),
    ]
