"""A customer's one use of a once-per-customer code is held by a unique index, not a check
then an insert; an order with nothing to pay has a payment with no PaymentIntent."""

from tortoise import migrations
from tortoise import fields
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint

# Redemptions made before: each customer's first use of a once-per-customer code holds it
# (uses made twice by the old check-then-insert stay, unmarked).
_FIRST_USES = [
    """UPDATE discount_redemption SET once_key = customer_key
       WHERE customer_key <> ''
         AND discount_id IN (SELECT id FROM discount_code WHERE once_per_customer)
         AND id = (SELECT MIN(r.id) FROM discount_redemption r
                   WHERE r.discount_id = discount_redemption.discount_id
                     AND r.customer_key = discount_redemption.customer_key)""",
]


class Migration(migrations.Migration):
    dependencies = [('shop', '0012_captured')]

    initial = False

    operations = [
        ops.AddField(
            model_name='DiscountRedemption',
            name='once_key',
            field=fields.CharField(null=True, max_length=300),
        ),
        ops.RunSQL(_FIRST_USES, reverse_sql=[]),
        ops.AddConstraint(
            model_name='DiscountRedemption',
            constraint=UniqueConstraint(fields=('discount', 'once_key')),
        ),
        ops.AlterField(
            model_name='Payment',
            name='intent_id',
            field=fields.CharField(null=True, unique=True, max_length=255),
        ),
    ]
