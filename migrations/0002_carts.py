from tortoise import migrations
from tortoise.migrations import operations as ops
from models.cart import CartStatus
from models.ids import new_secret_id
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    dependencies = [('shop', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Cart',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_secret_id, unique=True, db_index=True, max_length=32)),
                ('status', fields.CharEnumField(default=CartStatus.OPEN, description='OPEN: open\nCHECKED_OUT: checked_out', enum_type=CartStatus, max_length=16)),
                ('currency', fields.CharField(max_length=3)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'cart', 'app': 'shop', 'pk_attr': 'id', 'table_description': "A shopper's cart. Its id is unguessable: holding it is what lets a guest use the cart."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CartLine',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('cart', fields.ForeignKeyField('shop.Cart', source_field='cart_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('shop.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='cart_lines', on_delete=OnDelete.CASCADE)),
                ('quantity', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'cart_line', 'app': 'shop', 'unique_together': (('cart', 'product'),), 'constraints': [CheckConstraint(check='quantity > 0', name='cart_line_quantity_positive')], 'pk_attr': 'id', 'table_description': 'One product in a cart, once: adding it again raises the quantity.'},
            bases=['Model'],
        ),
    ]
