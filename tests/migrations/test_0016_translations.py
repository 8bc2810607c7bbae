"""A shop with products and orders migrates to translated content.

Given a database at 0015 with a product and a paid order, when 0016 runs, then
the order has no language (it is in the shop's), the product takes
translations, and a search in that language finds it by its translated words
as well as by its own.
"""

from __future__ import annotations

from datetime import datetime, timezone

from commerce.catalog import search
from commerce.catalog.translations import ResourceKind, TranslationEntry, register_translations
from models import Order, Product, Translation
from tests.migrations.old_rows import migrated_from

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
OLD_ROWS = [
    ("INSERT INTO product (slug, title, description, price, currency, units_sold, created_at, updated_at)"
     " VALUES ('oak-lamp', 'Oak Lamp', 'A lamp of oak.', 4500, 'USD', 0, $1, $1)"),
    ("INSERT INTO \"order\" (id, number, status, email, currency, subtotal, total, created_at, updated_at)"
     " VALUES ('old0order', 990, 'paid', 'a@example.com', 'USD', 4500, 4500, $1, $1)"),
]

migrated = migrated_from("shop.0015_wallet", OLD_ROWS, NOW)


async def test_old_orders_have_the_shops_language_and_old_products_take_translations(migrated):
    assert (await Order.get(id="old0order")).language is None
    lamp = await Product.get(slug="oak-lamp")
    await search.reindex([lamp.id])  # as any change to the product would
    await register_translations(ResourceKind.PRODUCT, lamp.id, "DE", [TranslationEntry("title", "Eichenlampe")], "EN")
    assert await Translation.filter(resource_id=lamp.id, language="DE").values_list("key", "value") == [
        ("title", "Eichenlampe")]
    assert await search.matching("eichen", "DE") == {lamp.id: 1}
    assert await search.matching("oak", "DE") == {lamp.id: 1}
    assert await search.matching("eichen") == {} and await search.matching("eichen", "FR") == {}
