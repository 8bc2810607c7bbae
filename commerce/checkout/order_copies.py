"""What an order copies from its cart at checkout, so later changes never touch it."""

from __future__ import annotations

from typing import Any

from commerce.checkout.costs import CartCost
from models import Cart, CartLine, OrderLine, ProductVariant

__all__ = ["order_copies", "order_line_copies"]


def order_copies(cart: Cart, cost: CartCost) -> dict[str, Any]:
    """The order's amounts, address, delivery, tax lines and discount applications."""
    selected = cost.selected_delivery
    return {
        "subtotal": cost.subtotal, "discount": cost.discount, "shipping": cost.shipping,
        "tax": cost.tax or 0, "total": cost.total, "taxes_included": cost.taxes_included,
        "shipping_address": cart.shipping_address if cost.requires_shipping else None,
        "shipping_line": None if selected is None else {
            "handle": selected.handle, "title": selected.title, "price": selected.price,
            "discount": cost.shipping_discount, "tax": cost.shipping_tax,
        },
        "tax_lines": [{"title": t.title, "rate": str(t.percentage), "amount": t.amount} for t in cost.tax_lines],
        "discount_applications": [{"code": c, "amount": a} for c, a in cost.discount_applications.items()],
    }


def order_line_copies(
    order_id: str, lines: list[CartLine], variants: dict[int, ProductVariant], cost: CartCost
) -> list[OrderLine]:
    """The lines as sold: product title, variant title, SKU, price, tax and discount copied.
    `variants` come with their product; the price is the one the cost was computed with (the market's)."""
    return [
        OrderLine(
            order_id=order_id, product_id=line.product_id, variant_id=line.variant_id,
            title=variants[line.variant_id].product.title, variant_title=variants[line.variant_id].title,
            sku=variants[line.variant_id].sku, quantity=line.quantity, unit_price=cost.lines[line.id].subtotal // line.quantity,
            total=cost.lines[line.id].subtotal, discount=cost.lines[line.id].discount, tax=cost.lines[line.id].tax,
        )
        for line in lines
    ]
