from tortoise import migrations
from tortoise.migrations import operations as ops
from models.outbox import DeliveryStatus, EmailKind, OrderEventType, WebhookSubscriptionStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('shop', '0009_money_lifecycle')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OrderEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sequence', fields.BigIntField(unique=True)),
                ('order', fields.ForeignKeyField('shop.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('type', fields.CharEnumField(description='ORDER_CREATED: order_created\nORDER_ACTION_REQUIRED: order_action_required\nORDER_PAID: order_paid\nORDER_AUTHORIZED: order_authorized\nORDER_PAYMENT_FAILED: order_payment_failed\nORDER_CANCELLED: order_cancelled\nORDER_REFUNDED: order_refunded\nORDER_DISPUTE_OPENED: order_dispute_opened\nORDER_DISPUTE_CLOSED: order_dispute_closed\nORDER_FULFILLED: order_fulfilled', enum_type=OrderEventType, max_length=32)),
                ('snapshot', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'order_event', 'app': 'shop', 'indexes': [Index(fields=['order_id', 'sequence']), Index(fields=['created_at'])], 'pk_attr': 'id', 'table_description': 'One change of an order, written in the transaction that made the change.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EmailMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('shop.OrderEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='emails', on_delete=OnDelete.CASCADE)),
                ('order', fields.ForeignKeyField('shop.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='emails', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='ORDER_CONFIRMATION: order_confirmation\nSHIPPING_CONFIRMATION: shipping_confirmation\nREFUND_NOTICE: refund_notice', enum_type=EmailKind, max_length=32)),
                ('recipient', fields.CharField(max_length=254)),
                ('subject', fields.CharField(max_length=200)),
                ('text', fields.TextField(unique=False)),
                ('html', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: pending\nSUCCEEDED: succeeded\nFAILED: failed', enum_type=DeliveryStatus, max_length=16)),
                ('attempt_count', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=500)),
                ('failing_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'email_message', 'app': 'shop', 'unique_together': (('event_id', 'kind'),), 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'An email rendered from an outbox event, sent once, retried until it is.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxConsumer',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('position', fields.BigIntField(default=0)),
            ],
            options={'table': 'outbox_consumer', 'app': 'shop', 'pk_attr': 'name', 'table_description': 'How far a consumer of the outbox (partner webhooks, email) has read.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxCounter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('value', fields.BigIntField()),
            ],
            options={'table': 'outbox_counter', 'app': 'shop', 'pk_attr': 'id', 'table_description': 'One row (id 1): the last event number handed out. Locked by each numbering'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RateLimitHit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('bucket', fields.CharField(max_length=160)),
                ('hit_at', fields.FloatField()),
            ],
            options={'table': 'rate_limit_hit', 'app': 'shop', 'indexes': [Index(fields=['bucket', 'hit_at'])], 'pk_attr': 'id', 'table_description': 'One counted attempt (a login, a refused token) from a client address, on PostgreSQL,'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookSubscription',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('url', fields.CharField(max_length=2048)),
                ('topics', fields.CharField(max_length=1024)),
                ('secret', fields.CharField(max_length=128)),
                ('status', fields.CharEnumField(default=WebhookSubscriptionStatus.ACTIVE, description='ACTIVE: active\nDISABLED: disabled', enum_type=WebhookSubscriptionStatus, max_length=16)),
                ('api_key', fields.ForeignKeyField('shop.ApiKey', source_field='api_key_id', null=True, db_constraint=True, to_field='id', related_name='webhook_subscriptions', on_delete=OnDelete.CASCADE)),
                ('start_after', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('disabled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_subscription', 'app': 'shop', 'pk_attr': 'id', 'table_description': "A partner's endpoint and the event types it wants. The secret signs every delivery."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subscription', fields.ForeignKeyField('shop.WebhookSubscription', source_field='subscription_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('shop.OrderEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='webhook_deliveries', on_delete=OnDelete.CASCADE)),
                ('sequence', fields.BigIntField()),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: pending\nSUCCEEDED: succeeded\nFAILED: failed', enum_type=DeliveryStatus, max_length=16)),
                ('attempt_count', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_status_code', fields.IntField(null=True)),
                ('last_error', fields.CharField(null=True, max_length=500)),
                ('failing_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_delivery', 'app': 'shop', 'unique_together': (('subscription_id', 'event_id'),), 'indexes': [Index(fields=['status', 'next_attempt_at']), Index(fields=['subscription_id', 'status', 'sequence'])], 'pk_attr': 'id', 'table_description': 'One event for one subscription, tried until the endpoint answers 2xx.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('delivery', fields.ForeignKeyField('shop.WebhookDelivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='attempts', on_delete=OnDelete.CASCADE)),
                ('status_code', fields.IntField(null=True)),
                ('error', fields.CharField(null=True, max_length=500)),
                ('duration_ms', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'webhook_attempt', 'app': 'shop', 'pk_attr': 'id', 'table_description': 'One POST of a delivery: when, what the endpoint answered, how long it took.'},
            bases=['Model'],
        ),
    ]
