from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('shop', '0010_outbox')]

    initial = False

    operations = [
        # An order the reconciler could not settle: why, and since when (DESIGN §10).
        ops.AddField(
            model_name='Order',
            name='attention_reason',
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.AddField(
            model_name='Order',
            name='attention_since',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        # Why a partner's subscription stopped (KEY_REVOKED, FAILING, ...).
        ops.AddField(
            model_name='WebhookSubscription',
            name='disabled_reason',
            field=fields.CharField(null=True, max_length=32),
        ),
        # A key may end by a date as well as by being revoked; its subscriptions end with it.
        ops.AddField(
            model_name='ApiKey',
            name='expires_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
