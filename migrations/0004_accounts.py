from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('shop', '0003_orders')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ApiKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('prefix', fields.CharField(max_length=16)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('scopes', fields.CharField(max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_key', 'app': 'shop', 'pk_attr': 'id', 'table_description': 'A staff or partner key with scopes. Only the SHA-256 of the key is stored.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Customer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('password_hash', fields.CharField(max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'customer', 'app': 'shop', 'pk_attr': 'id', 'table_description': 'A shopper with an account. The password is kept only as a slow salted hash.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CustomerSession',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('shop.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'customer_session', 'app': 'shop', 'pk_attr': 'id', 'table_description': 'A signed-in session. Only the SHA-256 of its token is stored.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Cart',
            name='customer',
            field=fields.ForeignKeyField('shop.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name='carts', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Order',
            name='customer',
            field=fields.ForeignKeyField('shop.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['updated_at', 'id']),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['customer_id', 'created_at']),
        ),
    ]
