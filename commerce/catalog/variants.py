"""Variant rules shared by the catalog's readers and writers."""

from __future__ import annotations

from tortoise.functions import Min

from models import Product, ProductVariant

__all__ = ["DEFAULT_TITLE", "variant_title", "refresh_lowest_price"]

DEFAULT_TITLE = "Default"


def variant_title(selected_options: list[dict[str, str]]) -> str:
    """ "M / Blue" for Size M and Color Blue; "Default" for a product without options."""
    return " / ".join(o["value"] for o in selected_options) or DEFAULT_TITLE


async def refresh_lowest_price(product_id: int) -> None:
    """Keeps `Product.price` at the lowest variant price (the catalog sorts and pages by it)."""
    row = await ProductVariant.filter(product_id=product_id).annotate(low=Min("price")).values("low")
    low = row[0]["low"] if row and row[0]["low"] is not None else None
    if low is not None:
        await Product.filter(id=product_id).update(price=low)
