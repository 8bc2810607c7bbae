from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint


async def _foreign_keys_off(apps, schema_editor) -> None:
    """SQLite rebuilds `product` to drop its columns; rebuilding drops the old
    table, which with foreign keys on would cascade to every variant, cart line
    and order line. SQLite's own recipe: foreign keys off around the rebuild,
    outside a transaction (this migration is not atomic for that reason)."""
    if schema_editor.client.capabilities.dialect == "sqlite":
        await schema_editor.client.execute_script("PRAGMA foreign_keys = OFF")


async def _foreign_keys_on(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "sqlite":
        broken = await schema_editor.client.execute_query_dict("PRAGMA foreign_key_check")
        await schema_editor.client.execute_script("PRAGMA foreign_keys = ON")
        if broken:
            raise RuntimeError(f"foreign keys broken by the product rebuild: {broken[:5]}")


class _RemoveCheckConstraint(ops.RemoveConstraint):
    """Removes a check constraint; PostgreSQL databases made by 0001 may not have it."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor and state_editor.client.capabilities.dialect == "postgres":
            await state_editor.client.execute_script(
                f'ALTER TABLE "product" DROP CONSTRAINT IF EXISTS "{self.name}"'
            )
            return
        await super().database_forward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    """Price and stock live on variants now (0006 copied them there); the
    product's own stock and image columns go."""

    dependencies = [('shop', '0006_variants')]

    initial = False
    atomic = False

    operations = [
        ops.RunPython(_foreign_keys_off),
        _RemoveCheckConstraint(
            model_name='Product',
            name='product_stock_not_negative',
            fields=None,
        ),
        ops.AlterModelOptions(
            name='Product',
            options={'table': 'product', 'app': 'shop', 'constraints': [CheckConstraint(check='price >= 0', name='product_price_not_negative')], 'indexes': [Index(fields=['title', 'id'], name='product_title_id_idx'), Index(fields=['price', 'id'], name='product_price_id_idx'), Index(fields=['created_at', 'id'], name='product_created_id_idx'), Index(fields=['units_sold', 'id'], name='product_sold_id_idx')], 'pk_attr': 'id', 'table_description': 'A catalog product. `price` is its lowest variant price, kept by `commerce.catalog`'},
        ),
        ops.RemoveField(model_name='Product', name='stock'),
        ops.RemoveField(model_name='Product', name='image_url'),
        ops.AddIndex(
            model_name='Product',
            index=Index(fields=['units_sold', 'id'], name='product_sold_id_idx'),
        ),
        ops.RunPython(_foreign_keys_on),
    ]
