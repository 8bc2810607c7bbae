"""The models' CHECK constraints, in PostgreSQL at last (DESIGN §11).

Tortoise's CreateModel wrote PostgreSQL tables without the CHECK constraints
its options named, so until now a PostgreSQL database held none of them:
nothing stopped a negative stock or a refund above the capture. This adds
every one the models declare, on new and existing databases alike, and the
money constraints the models lacked (payment amounts, refunded ≤ captured,
order and line amounts, dispute amounts).

An existing row that breaks a constraint stops the migration (the whole
migration rolls back) with the table, the constraint and the number of rows
named: such a row is a money or stock error that people must look at, not
something to skip.

SQLite: it cannot add a CHECK to an existing table without rebuilding it, and
rebuilding `order` or `payment` means turning foreign keys off around a
non-atomic migration. SQLite databases keep what their tables were created
with (today `product_price_not_negative` and `cart_line_quantity_positive`,
from tables 0006/0007 rebuilt); the new constraints enter Tortoise's state
only. A SQLite database rebuilt from scratch by a later migration gets them.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import CheckConstraint

# The constraints earlier migrations declared but PostgreSQL never received: (table, name, check).
DECLARED_BEFORE = [
    ("product", "product_price_not_negative", "price >= 0"),
    ("product_variant", "variant_stock_not_negative", "stock >= 0"),
    ("product_variant", "variant_price_not_negative", "price >= 0"),
    ("product_variant", "variant_weight_not_negative", "weight_grams >= 0"),
    ("cart_line", "cart_line_quantity_positive", "quantity > 0"),
    ("order", "order_total_not_negative", "total >= 0"),
    ("order_line", "order_line_quantity_positive", "quantity > 0"),
    ("refund", "refund_amount_positive", "amount > 0"),
    ("discount_code", "discount_code_used_count_not_negative", "used_count >= 0"),
    ("shipping_rate", "shipping_rate_price_not_negative", "price >= 0"),
    ("fulfillment_line", "fulfillment_line_quantity_positive", "quantity > 0"),
]

# New in this migration: (model, table, name, check).
NEW = [
    ("Order", "order", "order_subtotal_not_negative", "subtotal >= 0"),
    ("Order", "order", "order_discount_not_negative", "discount >= 0"),
    ("Order", "order", "order_shipping_not_negative", "shipping >= 0"),
    ("Order", "order", "order_tax_not_negative", "tax >= 0"),
    ("OrderLine", "order_line", "order_line_unit_price_not_negative", "unit_price >= 0"),
    ("OrderLine", "order_line", "order_line_total_not_negative", "total >= 0"),
    ("Payment", "payment", "payment_amount_not_negative", "amount >= 0"),
    ("Payment", "payment", "payment_captured_not_negative", "amount_captured >= 0"),
    ("Payment", "payment", "payment_refunded_not_negative", "amount_refunded >= 0"),
    ("Payment", "payment", "payment_refunded_within_captured", "amount_refunded <= amount_captured"),
    ("Dispute", "dispute", "dispute_amount_not_negative", "amount >= 0"),
]


class ConstraintViolated(RuntimeError):
    """Rows already in the database break a constraint this migration adds."""


def _is_postgres(schema_editor) -> bool:
    return schema_editor is not None and schema_editor.client.capabilities.dialect == "postgres"


async def add_check_on_postgres(client, table: str, name: str, check: str) -> None:
    """Adds one CHECK constraint unless the table has it; refuses, naming the rows' count, if rows break it."""
    present = await client.execute_query_dict(
        "SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2", [f'"{table}"', name])
    if present:
        return
    [row] = await client.execute_query_dict(f'SELECT count(*) AS n FROM "{table}" WHERE NOT ({check})')
    if row["n"]:
        raise ConstraintViolated(
            f'table "{table}": {row["n"]} row(s) break CHECK constraint "{name}" ({check}); '
            f"correct them, then run the migration again")
    await client.execute_script(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" CHECK ({check})')


async def _drop_on_postgres(client, table: str, name: str) -> None:
    await client.execute_script(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}"')


async def _add_declared_before(apps, schema_editor) -> None:
    if _is_postgres(schema_editor):
        for table, name, check in DECLARED_BEFORE:
            await add_check_on_postgres(schema_editor.client, table, name, check)


async def _drop_declared_before(apps, schema_editor) -> None:
    if _is_postgres(schema_editor):
        for table, name, _ in DECLARED_BEFORE:
            await _drop_on_postgres(schema_editor.client, table, name)


class _AddCheckOnPostgres(ops.AddConstraint):
    """Adds a CHECK to the model's state everywhere and to the table on PostgreSQL only (see the module's note)."""

    def __init__(self, model_name: str, table: str, constraint: CheckConstraint) -> None:
        super().__init__(model_name=model_name, constraint=constraint)
        self.table = table

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if _is_postgres(state_editor):
            await add_check_on_postgres(state_editor.client, self.table, self.constraint.name, self.constraint.check)

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if _is_postgres(state_editor):
            await _drop_on_postgres(state_editor.client, self.table, self.constraint.name)


class Migration(migrations.Migration):
    dependencies = [('shop', '0013_code_uses')]

    initial = False

    operations = [
        ops.RunPython(_add_declared_before, _drop_declared_before),
        *(
            _AddCheckOnPostgres(model_name=model, table=table, constraint=CheckConstraint(check=check, name=name))
            for model, table, name, check in NEW
        ),
    ]
