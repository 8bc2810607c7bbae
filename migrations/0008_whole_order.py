from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.shop_rules import DiscountKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    dependencies = [('shop', '0007_product_columns')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DiscountCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=64)),
                ('kind', fields.CharEnumField(description='PERCENTAGE: percentage\nFIXED_AMOUNT: fixed_amount\nFREE_SHIPPING: free_shipping', enum_type=DiscountKind, max_length=16)),
                ('value', fields.IntField(default=0)),
                ('min_subtotal', fields.IntField(null=True)),
                ('starts_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('usage_limit', fields.IntField(null=True)),
                ('used_count', fields.IntField(default=0)),
                ('once_per_customer', fields.BooleanField(default=False)),
                ('collection_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'discount_code', 'app': 'shop', 'constraints': [CheckConstraint(check='used_count >= 0', name='discount_code_used_count_not_negative')], 'pk_attr': 'id', 'table_description': 'A code shoppers enter. Its value is in basis points for PERCENTAGE (1000 is 10%), minor units for FIXED_AMOUNT.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DiscountRedemption',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('discount', fields.ForeignKeyField('shop.DiscountCode', source_field='discount_id', db_constraint=True, to_field='id', related_name='redemptions', on_delete=OnDelete.CASCADE)),
                ('order', fields.ForeignKeyField('shop.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='discount_redemptions', on_delete=OnDelete.CASCADE)),
                ('customer_key', fields.CharField(db_index=True, max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'discount_redemption', 'app': 'shop', 'unique_together': (('discount', 'order'),), 'pk_attr': 'id', 'table_description': 'A discount code held by an order. Deleted, and the use given back, when the order ends unpaid.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ShippingZone',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=100)),
                ('countries', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'shipping_zone', 'app': 'shop', 'pk_attr': 'id', 'table_description': 'Countries that share delivery rates. `*` in `countries` is the rest of the world.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ShippingRate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('zone', fields.ForeignKeyField('shop.ShippingZone', source_field='zone_id', db_constraint=True, to_field='id', related_name='rates', on_delete=OnDelete.CASCADE)),
                ('handle', fields.CharField(max_length=64)),
                ('title', fields.CharField(max_length=100)),
                ('price', fields.IntField()),
                ('min_subtotal', fields.IntField(null=True)),
                ('max_subtotal', fields.IntField(null=True)),
                ('min_weight_grams', fields.IntField(null=True)),
                ('max_weight_grams', fields.IntField(null=True)),
                ('min_delivery_days', fields.IntField(null=True)),
                ('max_delivery_days', fields.IntField(null=True)),
            ],
            options={'table': 'shipping_rate', 'app': 'shop', 'unique_together': (('zone', 'handle'),), 'constraints': [CheckConstraint(check='price >= 0', name='shipping_rate_price_not_negative')], 'pk_attr': 'id', 'table_description': 'A delivery option of a zone, offered when the cart meets its conditions (bounds inclusive).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TaxRate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('country_code', fields.CharField(max_length=2)),
                ('province_code', fields.CharField(default='', max_length=8)),
                ('rate', fields.CharField(max_length=16)),
                ('title', fields.CharField(max_length=100)),
                ('applies_to_shipping', fields.BooleanField(default=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'tax_rate', 'app': 'shop', 'unique_together': (('country_code', 'province_code'),), 'pk_attr': 'id', 'table_description': 'A sales tax of a country (empty `province_code`) or of one of its provinces. They add up.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Cart',
            name='country_code',
            field=fields.CharField(null=True, max_length=2),
        ),
        ops.AddField(
            model_name='Cart',
            name='delivery_handle',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Cart',
            name='discount_codes',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Cart',
            name='email',
            field=fields.CharField(null=True, max_length=254),
        ),
        ops.AddField(
            model_name='Cart',
            name='shipping_address',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Order',
            name='discount',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Order',
            name='discount_applications',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Order',
            name='shipping',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Order',
            name='shipping_address',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Order',
            name='shipping_line',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Order',
            name='tax',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Order',
            name='tax_lines',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Order',
            name='taxes_included',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='OrderLine',
            name='discount',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='OrderLine',
            name='tax',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
