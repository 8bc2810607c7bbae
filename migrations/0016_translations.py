"""Translated content (DESIGN §13): the `translation` table, the search documents of translated
text, and each order's language. New tables and a nullable column: existing rows are untouched
(an order without a language is in the shop's language)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

# One search document per product and language, beside `product_search` (the shop's language):
# a search in a language matches either (see commerce.catalog.search).
_SEARCH_SQLITE = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS product_search_translation
         USING fts5(product_id UNINDEXED, language UNINDEXED, title, body, tokenize = 'unicode61')""",
]
_SEARCH_POSTGRES = [
    """CREATE TABLE IF NOT EXISTS product_search_translation (
         product_id INT NOT NULL REFERENCES product (id) ON DELETE CASCADE,
         language VARCHAR(2) NOT NULL,
         title TSVECTOR NOT NULL,
         document TSVECTOR NOT NULL,
         PRIMARY KEY (product_id, language))""",
    "CREATE INDEX IF NOT EXISTS product_search_translation_idx ON product_search_translation USING GIN (document)",
]


async def _create_translated_search(apps, schema_editor) -> None:
    statements = _SEARCH_POSTGRES if schema_editor.client.capabilities.dialect == "postgres" else _SEARCH_SQLITE
    for sql in statements:
        await schema_editor.client.execute_script(sql)


class Migration(migrations.Migration):
    dependencies = [('shop', '0015_wallet')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Translation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('resource_kind', fields.CharField(max_length=20)),
                ('resource_id', fields.IntField()),
                ('language', fields.CharField(max_length=2)),
                ('key', fields.CharField(max_length=250)),
                ('value', fields.TextField(unique=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'translation', 'app': 'shop', 'unique_together': (('resource_kind', 'resource_id', 'language', 'key'),), 'indexes': [Index(fields=['resource_kind', 'language', 'resource_id'])], 'pk_attr': 'id', 'table_description': 'Translated catalog text: one row per (resource, language, key).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Order',
            name='language',
            field=fields.CharField(null=True, max_length=2),
        ),
        ops.RunPython(_create_translated_search),
    ]
