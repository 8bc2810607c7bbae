"""Markets (DESIGN §13): the `market` table, the countries each serves, and explicit variant prices
per currency. New tables only: the shop as it was is the primary market, which has no row."""

import importlib

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.market import Rounding
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint



async def _price_check_on_postgres(apps, schema_editor) -> None:
    """Tortoise's CreateModel leaves CHECKs out on PostgreSQL (see 0014); SQLite's new table lacks it too,
    and `commerce.markets` refuses a negative amount before any write."""
    if schema_editor.client.capabilities.dialect == "postgres":
        checks = importlib.import_module("migrations.0014_check_constraints")
        await checks.add_check_on_postgres(
            schema_editor.client, "variant_price", "variant_price_not_negative", "amount >= 0")


class Migration(migrations.Migration):
    dependencies = [('shop', '0016_translations')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Market',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('handle', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=100)),
                ('currency', fields.CharField(max_length=3)),
                ('language', fields.CharField(max_length=2)),
                ('exchange_rate', fields.CharField(null=True, max_length=32)),
                ('rounding', fields.CharEnumField(default=Rounding.NONE, description='NONE: none\nWHOLE: whole\nNINETY_NINE: ninety_nine', enum_type=Rounding, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'market', 'app': 'shop', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MarketCountry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('market', fields.ForeignKeyField('shop.Market', source_field='market_id', db_constraint=True, to_field='id', related_name='countries', on_delete=OnDelete.CASCADE)),
                ('country', fields.CharField(unique=True, max_length=2)),
            ],
            options={'table': 'market_country', 'app': 'shop', 'pk_attr': 'id', 'table_description': 'A country a market serves. A country is in at most one market (the primary one serves the rest).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VariantPrice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('variant', fields.ForeignKeyField('shop.ProductVariant', source_field='variant_id', db_constraint=True, to_field='id', related_name='prices', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('shop.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='variant_prices', on_delete=OnDelete.CASCADE)),
                ('currency', fields.CharField(max_length=3)),
                ('amount', fields.IntField()),
                ('compare_at_amount', fields.IntField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'variant_price', 'app': 'shop', 'unique_together': (('variant', 'currency'),), 'constraints': [CheckConstraint(check='amount >= 0', name='variant_price_not_negative')], 'indexes': [Index(fields=['currency', 'product_id'])], 'pk_attr': 'id', 'table_description': "A variant's explicit price in a currency other than the shop's, in that currency's minor units."},
            bases=['Model'],
        ),
        ops.RunPython(_price_check_on_postgres),
    ]
