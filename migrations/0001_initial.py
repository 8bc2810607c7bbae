from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Product',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=120)),
                ('title', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('price', fields.IntField()),
                ('currency', fields.CharField(max_length=3)),
                ('image_url', fields.CharField(null=True, max_length=500)),
                ('stock', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'product', 'app': 'shop', 'constraints': [CheckConstraint(check='stock >= 0', name='product_stock_not_negative'), CheckConstraint(check='price >= 0', name='product_price_not_negative')], 'indexes': [Index(fields=['title', 'id'], name='product_title_id_idx'), Index(fields=['price', 'id'], name='product_price_id_idx'), Index(fields=['created_at', 'id'], name='product_created_id_idx')], 'pk_attr': 'id', 'table_description': "A catalog product. `price` is in the currency's minor units (cents for USD)."},
            bases=['Model'],
        ),
    ]
