from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from models.order import OrderFinancialStatus

# Orders already paid late for stock that was sold meanwhile: their refunds get the reason
# STOCK_UNAVAILABLE, and the orders the summary CANCELLED they now keep (DESIGN §11).
_FILL = [
    """UPDATE refund SET reason = 'STOCK_UNAVAILABLE' WHERE reason = 'late_payment_out_of_stock'""",
    """UPDATE "order" SET status = 'cancelled' WHERE cancel_reason IS NOT NULL AND holds_stock = FALSE
        AND financial_status IN ('paid', 'partially_refunded', 'refunded')""",
    # A capture below the total (manual capture): PARTIALLY_PAID, not PAID.
    """UPDATE "order" SET financial_status = 'partially_paid' WHERE financial_status = 'paid' AND EXISTS
        (SELECT 1 FROM payment WHERE payment.order_id = "order".id AND payment.amount_captured < "order".total)""",
]


class _DescribeField(ops.AlterField):
    """A new value in an enum's description: the column (VARCHAR) is unchanged, so only the
    migration state changes (on SQLite an AlterField would rebuild `order`, cascading to its lines)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('shop', '0011_hostile_input')]

    initial = False

    operations = [
        _DescribeField(
            model_name='Order',
            name='financial_status',
            field=fields.CharEnumField(default=OrderFinancialStatus.PENDING, db_default='pending', description='PENDING: pending\nACTION_REQUIRED: action_required\nAUTHORIZED: authorized\nPAID: paid\nPARTIALLY_PAID: partially_paid\nPARTIALLY_REFUNDED: partially_refunded\nREFUNDED: refunded\nVOIDED: voided\nFAILED: failed', enum_type=OrderFinancialStatus, max_length=24),
        ),
        ops.RunSQL(_FILL, reverse_sql=[]),
    ]
