from tortoise import migrations
from tortoise.migrations import operations as ops
from models.order import PaymentStatus
from models.payment_events import RefundStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    dependencies = [('shop', '0004_accounts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Dispute',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('shop.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='disputes', on_delete=OnDelete.CASCADE)),
                ('stripe_dispute_id', fields.CharField(unique=True, max_length=255)),
                ('status', fields.CharField(max_length=32)),
                ('amount', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'dispute', 'app': 'shop', 'pk_attr': 'id', 'table_description': "A chargeback the card holder opened on an order's payment, and how it stands."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Refund',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('shop.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.CASCADE)),
                ('stripe_refund_id', fields.CharField(null=True, unique=True, max_length=255)),
                ('idempotency_key', fields.CharField(null=True, unique=True, max_length=255)),
                ('amount', fields.IntField()),
                ('currency', fields.CharField(max_length=3)),
                ('status', fields.CharEnumField(default=RefundStatus.PENDING, description='PENDING: pending\nSUCCEEDED: succeeded\nFAILED: failed', enum_type=RefundStatus, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'refund', 'app': 'shop', 'constraints': [CheckConstraint(check='amount > 0', name='refund_amount_positive')], 'pk_attr': 'id', 'table_description': "Money given back on an order's payment. Ours carry the caller's idempotency key, refunds made at Stripe have none."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StripeEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event_id', fields.CharField(unique=True, max_length=255)),
                ('type', fields.CharField(max_length=100)),
                ('object_id', fields.CharField(null=True, db_index=True, max_length=255)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'stripe_event', 'app': 'shop', 'pk_attr': 'id', 'table_description': 'A Stripe webhook event that was applied. Recorded once per event id, so a repeated delivery changes nothing.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Payment',
            name='status',
            field=fields.CharEnumField(default=PaymentStatus.PENDING, description='PENDING: pending\nREQUIRES_ACTION: requires_action\nSUCCEEDED: succeeded\nFAILED: failed\nCANCELED: canceled\nPARTIALLY_REFUNDED: partially_refunded\nREFUNDED: refunded', enum_type=PaymentStatus, max_length=24),
        ),
    ]
