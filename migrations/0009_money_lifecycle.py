from tortoise import migrations
from tortoise.migrations import operations as ops
from models.order import OrderFinancialStatus, OrderFulfillmentStatus, OrderStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

# The split status of the orders already there, read from their one status (and payment).
_FILL = [
    """UPDATE "order" SET financial_status = CASE status
        WHEN 'pending_payment' THEN 'pending' WHEN 'action_required' THEN 'action_required'
        WHEN 'payment_failed' THEN 'failed' WHEN 'cancelled' THEN 'voided'
        WHEN 'partially_refunded' THEN 'partially_refunded' WHEN 'refunded' THEN 'refunded'
        ELSE 'paid' END""",
    """UPDATE "order" SET financial_status = 'partially_refunded' WHERE status = 'disputed' AND EXISTS
        (SELECT 1 FROM payment WHERE payment.order_id = "order".id AND payment.amount_refunded > 0)""",
    """UPDATE "order" SET fulfillment_status = 'fulfilled' WHERE status = 'fulfilled'""",
    """UPDATE "order" SET holds_stock = FALSE WHERE status IN ('payment_failed', 'cancelled')""",
    """UPDATE payment SET amount_captured = amount WHERE status IN ('succeeded', 'partially_refunded', 'refunded')""",
]


class _DescribeField(ops.AlterField):
    """A new value in an enum's description: the column (VARCHAR) is unchanged, so only
    the migration state changes. (On SQLite an AlterField rebuilds the table, and
    rebuilding `order` would cascade to its lines and payment.)"""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('shop', '0008_whole_order')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Fulfillment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('shop.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='fulfillments', on_delete=OnDelete.CASCADE)),
                ('tracking_company', fields.CharField(null=True, max_length=100)),
                ('tracking_number', fields.CharField(null=True, max_length=100)),
                ('tracking_url', fields.CharField(null=True, max_length=500)),
                ('notify_customer', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'fulfillment', 'app': 'shop', 'pk_attr': 'id', 'table_description': "One shipment of some (or all) of an order's lines."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FulfillmentLine',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('fulfillment', fields.ForeignKeyField('shop.Fulfillment', source_field='fulfillment_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('order_line', fields.ForeignKeyField('shop.OrderLine', source_field='order_line_id', db_constraint=True, to_field='id', related_name='fulfillment_lines', on_delete=OnDelete.CASCADE)),
                ('quantity', fields.IntField()),
            ],
            options={'table': 'fulfillment_line', 'app': 'shop', 'constraints': [CheckConstraint(check='quantity > 0', name='fulfillment_line_quantity_positive')], 'pk_attr': 'id', 'table_description': 'How many units of one order line a shipment holds.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Dispute',
            name='reason',
            field=fields.CharField(null=True, max_length=64),
        ),
        _DescribeField(
            model_name='Order',
            name='status',
            field=fields.CharEnumField(default=OrderStatus.PENDING_PAYMENT, description='PENDING_PAYMENT: pending_payment\nACTION_REQUIRED: action_required\nPAID: paid\nPAYMENT_FAILED: payment_failed\nCANCELLED: cancelled\nPARTIALLY_REFUNDED: partially_refunded\nREFUNDED: refunded\nDISPUTED: disputed\nFULFILLED: fulfilled\nAUTHORIZED: authorized', enum_type=OrderStatus, max_length=24),
        ),
        ops.AddField(
            model_name='Order',
            name='cancel_reason',
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.AddField(
            model_name='Order',
            name='financial_status',
            field=fields.CharEnumField(default=OrderFinancialStatus.PENDING, db_default='pending', description='PENDING: pending\nACTION_REQUIRED: action_required\nAUTHORIZED: authorized\nPAID: paid\nPARTIALLY_REFUNDED: partially_refunded\nREFUNDED: refunded\nVOIDED: voided\nFAILED: failed', enum_type=OrderFinancialStatus, max_length=24),
        ),
        ops.AddField(
            model_name='Order',
            name='fulfillment_status',
            field=fields.CharEnumField(default=OrderFulfillmentStatus.UNFULFILLED, db_default='unfulfilled', description='UNFULFILLED: unfulfilled\nPARTIALLY_FULFILLED: partially_fulfilled\nFULFILLED: fulfilled', enum_type=OrderFulfillmentStatus, max_length=24),
        ),
        ops.AddField(
            model_name='Order',
            name='holds_stock',
            field=fields.BooleanField(default=True, db_default=True),
        ),
        ops.AddField(
            model_name='Payment',
            name='amount_captured',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Payment',
            name='capture_method',
            field=fields.CharField(default='automatic', db_default='automatic', max_length=16),
        ),
        ops.AddField(
            model_name='Payment',
            name='capture_key',
            field=fields.CharField(null=True, unique=True, max_length=255),
        ),
        ops.AddField(
            model_name='Payment',
            name='capture_requested',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Refund',
            name='reason',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.RunSQL(_FILL, reverse_sql=[]),
    ]
