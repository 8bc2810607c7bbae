from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint, UniqueConstraint



async def _swap_cart_line_unique_on_postgres(apps, schema_editor) -> None:
    """A cart holds a variant once (it held a product once).

    On SQLite the AlterField above rebuilt `cart_line` from the new options,
    which already swapped the unique constraint; PostgreSQL alters in place.
    """
    if schema_editor.client.capabilities.dialect != "postgres":
        return
    await schema_editor.client.execute_script(
        'ALTER TABLE "cart_line" DROP CONSTRAINT IF EXISTS "uid_cart_line_cart_id_0050f2";'
        'ALTER TABLE "cart_line" ADD CONSTRAINT "uid_cart_line_cart_variant" UNIQUE ("cart_id", "variant_id");'
    )


_SEARCH_SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS product_search USING fts5(title, body, tokenize = 'unicode61')",
    "INSERT INTO product_search (rowid, title, body) SELECT id, lower(title), lower(description) FROM product",
]
_SEARCH_POSTGRES = [
    """CREATE TABLE IF NOT EXISTS product_search (
         product_id INT PRIMARY KEY REFERENCES product (id) ON DELETE CASCADE,
         title TSVECTOR NOT NULL,
         document TSVECTOR NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS product_search_document_idx ON product_search USING GIN (document)",
    """INSERT INTO product_search (product_id, title, document)
         SELECT id, to_tsvector('simple', lower(title)),
                setweight(to_tsvector('simple', lower(title)), 'A')
                || setweight(to_tsvector('simple', lower(description)), 'B')
         FROM product""",
]


async def _create_search_index(apps, schema_editor) -> None:
    """The catalog's full-text index: FTS5 on SQLite, tsvector with GIN on PostgreSQL
    (see commerce.catalog.search); filled from titles and descriptions here,
    and rewritten with tags, SKUs and options whenever a product changes."""
    statements = _SEARCH_POSTGRES if schema_editor.client.capabilities.dialect == "postgres" else _SEARCH_SQLITE
    for sql in statements:
        await schema_editor.client.execute_script(sql)


class Migration(migrations.Migration):
    dependencies = [('shop', '0005_payment_events')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Collection',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=120)),
                ('title', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('image_url', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'collection', 'app': 'shop', 'pk_attr': 'id', 'table_description': 'A set of products to browse (a category, a season, a sale).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CollectionProduct',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('collection', fields.ForeignKeyField('shop.Collection', source_field='collection_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('shop.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'collection_product', 'app': 'shop', 'unique_together': (('collection', 'product'),), 'indexes': [Index(fields=['product_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProductImage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('shop.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='images', on_delete=OnDelete.CASCADE)),
                ('url', fields.CharField(max_length=500)),
                ('alt_text', fields.CharField(default='', max_length=300)),
                ('width', fields.IntField(null=True)),
                ('height', fields.IntField(null=True)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'product_image', 'app': 'shop', 'indexes': [Index(fields=['product_id', 'position'])], 'pk_attr': 'id', 'table_description': 'An image of a product, by URL (there is no upload service).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProductOption',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('shop.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='options', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('position', fields.IntField(default=0)),
                ('values', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'product_option', 'app': 'shop', 'unique_together': (('product', 'name'),), 'pk_attr': 'id', 'table_description': 'A choice a product offers (Size: S, M, L), in the order the shop shows them.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProductTag',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('shop.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='tag_rows', on_delete=OnDelete.CASCADE)),
                ('tag', fields.CharField(db_index=True, max_length=100)),
            ],
            options={'table': 'product_tag', 'app': 'shop', 'unique_together': (('product', 'tag'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProductVariant',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('shop.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='variants', on_delete=OnDelete.CASCADE)),
                ('sku', fields.CharField(null=True, unique=True, max_length=100)),
                ('title', fields.CharField(default='Default', max_length=300)),
                ('selected_options', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('price', fields.IntField()),
                ('compare_at_price', fields.IntField(null=True)),
                ('stock', fields.IntField(default=0)),
                ('weight_grams', fields.IntField(default=0)),
                ('requires_shipping', fields.BooleanField(default=True)),
                ('image', fields.ForeignKeyField('shop.ProductImage', source_field='image_id', null=True, db_constraint=True, to_field='id', related_name='variants', on_delete=OnDelete.SET_NULL)),
                ('position', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'product_variant', 'app': 'shop', 'constraints': [CheckConstraint(check='stock >= 0', name='variant_stock_not_negative'), CheckConstraint(check='price >= 0', name='variant_price_not_negative'), CheckConstraint(check='weight_grams >= 0', name='variant_weight_not_negative')], 'indexes': [Index(fields=['product_id', 'position']), Index(fields=['price', 'product_id'])], 'pk_attr': 'id', 'table_description': "What goes in a cart: one combination of a product's options, with its own price and stock."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VariantOptionValue',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('variant', fields.ForeignKeyField('shop.ProductVariant', source_field='variant_id', db_constraint=True, to_field='id', related_name='option_values', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('shop.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='option_values', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('value', fields.CharField(max_length=100)),
            ],
            options={'table': 'variant_option_value', 'app': 'shop', 'indexes': [Index(fields=['name', 'value']), Index(fields=['product_id'])], 'pk_attr': 'id', 'table_description': 'One selected option of a variant, as a row, for filters and facets.'},
            bases=['Model'],
        ),
        # Every product keeps selling: its price and stock move onto one default
        # variant, its image becomes its first image, and the lines of carts and
        # orders point at that variant.
        ops.AddField(
            model_name='Product',
            name='units_sold',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='CartLine',
            name='variant',
            field=fields.ForeignKeyField('shop.ProductVariant', source_field='variant_id', null=True, db_constraint=True, to_field='id', related_name='cart_lines', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='OrderLine',
            name='sku',
            field=fields.CharField(null=True, max_length=100),
        ),
        ops.AddField(
            model_name='OrderLine',
            name='variant',
            field=fields.ForeignKeyField('shop.ProductVariant', source_field='variant_id', null=True, db_constraint=True, to_field='id', related_name='order_lines', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='OrderLine',
            name='variant_title',
            field=fields.CharField(default='', db_default='', max_length=300),
        ),
        ops.RunSQL([
            """INSERT INTO product_variant (product_id, sku, title, selected_options, price, stock, weight_grams,
                                            requires_shipping, position, created_at, updated_at)
               SELECT id, NULL, 'Default', '[]', price, stock, 0, TRUE, 0, created_at, updated_at FROM product""",
            """INSERT INTO product_image (product_id, url, alt_text, position)
               SELECT id, image_url, title, 0 FROM product WHERE image_url IS NOT NULL""",
            """UPDATE cart_line SET variant_id =
               (SELECT v.id FROM product_variant v WHERE v.product_id = cart_line.product_id)""",
            """UPDATE order_line SET variant_title = 'Default', variant_id =
               (SELECT v.id FROM product_variant v WHERE v.product_id = order_line.product_id)""",
            """UPDATE product SET units_sold = COALESCE((
                 SELECT SUM(l.quantity) FROM order_line l JOIN "order" o ON o.id = l.order_id
                 WHERE l.product_id = product.id
                   AND o.status IN ('paid', 'partially_refunded', 'refunded', 'disputed', 'fulfilled')), 0)""",
        ]),
        ops.AlterModelOptions(
            name='CartLine',
            options={'table': 'cart_line', 'app': 'shop', 'unique_together': (('cart', 'variant'),), 'constraints': [CheckConstraint(check='quantity > 0', name='cart_line_quantity_positive')], 'pk_attr': 'id', 'table_description': "One variant in a cart, once: adding it again raises the quantity. `product` is the variant's."},
        ),
        ops.AlterField(
            model_name='CartLine',
            name='variant',
            field=fields.ForeignKeyField('shop.ProductVariant', source_field='variant_id', db_constraint=True, to_field='id', related_name='cart_lines', on_delete=OnDelete.CASCADE),
        ),
        ops.RunPython(_swap_cart_line_unique_on_postgres),
        ops.RunPython(_create_search_index),
        ops.AlterModelOptions(
            name='OrderLine',
            options={'table': 'order_line', 'app': 'shop', 'constraints': [CheckConstraint(check='quantity > 0', name='order_line_quantity_positive')], 'pk_attr': 'id', 'table_description': 'A variant as it was sold: title, variant title, SKU and price are copied at checkout.'},
        ),
    ]
