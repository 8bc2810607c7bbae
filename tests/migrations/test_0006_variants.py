"""A shop running before variants existed migrates without losing anything.

Given a database at 0005 with products, an open cart and a paid order, when
0006 and later migrations run, then every product sells through a default
variant with its old price and stock, the cart still checks out, and the
paid order keeps its lines, now naming their variant.
"""

from __future__ import annotations

from datetime import datetime, timezone

import httpx

from graph.core.ids import to_global_id
from models import CartLine, OrderLine, Product, ProductImage, ProductVariant
from shopgraph.app import create_app
from shopgraph.settings import Settings
from tests.conftest import GraphQLClient
from tests.migrations.old_rows import migrated_from
from commerce.shop_rules.seed import seed_shop_rules
from tests.shop import checkout, ship_to
from tests.stripe_emulator import create_card_token

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)

OLD_ROWS = [
    ("INSERT INTO product (slug, title, description, price, currency, image_url, stock, created_at, updated_at)"
     " VALUES ('old-mug', 'Old Mug', 'A mug.', 1400, 'USD', '/images/old-mug.svg', 7, $1, $1)"),
    ("INSERT INTO product (slug, title, description, price, currency, image_url, stock, created_at, updated_at)"
     " VALUES ('old-lamp', 'Old Lamp', '', 6900, 'USD', NULL, 0, $1, $1)"),
    "INSERT INTO cart (id, status, currency, created_at, updated_at) VALUES ('c0ffee0000000000000000000000c0de', 'open', 'USD', $1, $1)",
    "INSERT INTO cart (id, status, currency, created_at, updated_at) VALUES ('cartpaid', 'checked_out', 'USD', $1, $1)",
    ("INSERT INTO cart_line (cart_id, product_id, quantity, created_at, updated_at)"
     " SELECT 'c0ffee0000000000000000000000c0de', id, 2, $1, $1 FROM product WHERE slug = 'old-mug'"),
    ("INSERT INTO \"order\" (id, number, status, email, currency, subtotal, total, cart_id, created_at, updated_at)"
     " VALUES ('orderpaid', 999, 'paid', 'a@example.com', 'USD', 4200, 4200, 'cartpaid', $1, $1)"),
    ("INSERT INTO order_line (order_id, product_id, title, quantity, unit_price, total)"
     " SELECT 'orderpaid', id, 'Old Mug', 3, 1400, 4200 FROM product WHERE slug = 'old-mug'"),
]


migrated = migrated_from("shop.0005_payment_events", OLD_ROWS, NOW)


async def test_each_product_gets_a_default_variant_with_its_price_stock_and_image(migrated):
    mug = await Product.get(slug="old-mug")
    [variant] = await ProductVariant.filter(product_id=mug.id)
    assert (variant.title, variant.price, variant.stock, variant.selected_options) == ("Default", 1400, 7, [])
    assert [i.url for i in await ProductImage.filter(product_id=mug.id)] == ["/images/old-mug.svg"]
    lamp = await Product.get(slug="old-lamp")
    assert (await ProductVariant.get(product_id=lamp.id)).stock == 0
    assert await ProductImage.filter(product_id=lamp.id).count() == 0


async def test_paid_order_lines_name_their_variant_and_count_as_sold(migrated):
    mug = await Product.get(slug="old-mug")
    line = await OrderLine.get(order_id="orderpaid")
    assert (line.title, line.variant_title, line.quantity, line.unit_price) == ("Old Mug", "Default", 3, 1400)
    assert line.variant_id == (await ProductVariant.get(product_id=mug.id)).id
    assert mug.units_sold == 3


async def test_an_open_cart_from_before_still_checks_out(migrated, gateway, localstripe_url):
    line = await CartLine.get(cart_id="c0ffee0000000000000000000000c0de")
    assert line.variant_id is not None
    app = create_app(Settings(database_url=migrated, currency="USD", response_cache=False), gateway=gateway, manage_db=False)
    await seed_shop_rules("USD")
    cart_id = to_global_id("Cart", "c0ffee0000000000000000000000c0de")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shopgraph.test") as http:
        await ship_to(GraphQLClient(http), cart_id)  # products ship: since 0008 a checkout needs an address
        result = await checkout(GraphQLClient(http), cart_id, await create_card_token(localstripe_url, "4242424242424242"))
    assert result["userErrors"] == []
    assert result["order"]["status"] == "PAID"
    assert result["order"]["subtotal"]["minorUnits"] == 2800
    assert (await ProductVariant.get(product__slug="old-mug")).stock == 5
