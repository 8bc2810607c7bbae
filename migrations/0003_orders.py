from tortoise import migrations
from tortoise.migrations import operations as ops
from models.ids import new_secret_id
from models.order import OrderStatus, PaymentStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    dependencies = [('shop', '0002_carts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Order',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_secret_id, unique=True, db_index=True, max_length=32)),
                ('number', fields.IntField(unique=True)),
                ('status', fields.CharEnumField(default=OrderStatus.PENDING_PAYMENT, description='PENDING_PAYMENT: pending_payment\nACTION_REQUIRED: action_required\nPAID: paid\nPAYMENT_FAILED: payment_failed\nCANCELLED: cancelled\nPARTIALLY_REFUNDED: partially_refunded\nREFUNDED: refunded\nDISPUTED: disputed\nFULFILLED: fulfilled', enum_type=OrderStatus, max_length=24)),
                ('email', fields.CharField(max_length=254)),
                ('currency', fields.CharField(max_length=3)),
                ('subtotal', fields.IntField()),
                ('total', fields.IntField()),
                ('cart', fields.ForeignKeyField('shop.Cart', source_field='cart_id', null=True, db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.SET_NULL)),
                ('idempotency_key', fields.CharField(null=True, unique=True, max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'order', 'app': 'shop', 'constraints': [CheckConstraint(check='total >= 0', name='order_total_not_negative')], 'indexes': [Index(fields=['status', 'updated_at'])], 'pk_attr': 'id', 'table_description': 'An order made from a cart at checkout. Its id is unguessable.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrderLine',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('shop.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('shop.Product', source_field='product_id', null=True, db_constraint=True, to_field='id', related_name='order_lines', on_delete=OnDelete.SET_NULL)),
                ('title', fields.CharField(max_length=200)),
                ('quantity', fields.IntField()),
                ('unit_price', fields.IntField()),
                ('total', fields.IntField()),
            ],
            options={'table': 'order_line', 'app': 'shop', 'constraints': [CheckConstraint(check='quantity > 0', name='order_line_quantity_positive')], 'pk_attr': 'id', 'table_description': 'A product as it was sold: title and price are copied at checkout.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrderNumber',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'order_number', 'app': 'shop', 'pk_attr': 'id', 'table_description': 'Hands out short, unique, human-friendly order numbers (1001, 1002, …).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Payment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.OneToOneField('shop.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='payment', on_delete=OnDelete.CASCADE)),
                ('provider', fields.CharField(default='stripe', max_length=16)),
                ('intent_id', fields.CharField(unique=True, max_length=255)),
                ('status', fields.CharEnumField(default=PaymentStatus.PENDING, description='PENDING: pending\nREQUIRES_ACTION: requires_action\nSUCCEEDED: succeeded\nFAILED: failed\nCANCELED: canceled', enum_type=PaymentStatus, max_length=24)),
                ('amount', fields.IntField()),
                ('amount_refunded', fields.IntField(default=0)),
                ('currency', fields.CharField(max_length=3)),
                ('card_brand', fields.CharField(null=True, max_length=32)),
                ('card_last4', fields.CharField(null=True, max_length=4)),
                ('failure_code', fields.CharField(null=True, max_length=64)),
                ('failure_message', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'payment', 'app': 'shop', 'pk_attr': 'id', 'table_description': "The order's Stripe PaymentIntent and what became of it."},
            bases=['Model'],
        ),
    ]
