"""A cart's contents in one statement, and the cart row changed and locked in one.

`read_cart` reads a cart with its lines, their variants, products and the
products' images in one joined statement; `cart_contents` reads the same for
a cart already in hand (and, for an add, the variant being added). Both read the
cart's market with them, and the lines' explicit prices in its currency
(`commerce.checkout.cart_market`), so the lines are priced in the market as it is. A cart
change or a cart read then prices and shows the cart without a query per
table. `touch_open_cart` is the first statement of every cart
change: `UPDATE cart SET updated_at = …, <the change> WHERE id = … RETURNING …`
takes the row lock (PostgreSQL) or the single writer's lock (SQLite) and
writes in one; a refused change raises, and the caller's transaction undoes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from commerce.access import Caller, can_use_cart
from commerce.checkout.cart_costs import cost_lines, price_cart
from commerce.checkout.cart_market import (
    EXPLICIT_COLUMNS, MARKET_COLUMNS, CartWarning, CartWarningCode, cart_country, explicit_in_row, explicit_join, market_in_row, market_joins,
    row_country_sql,
)
from commerce.checkout.costs import CartCost
from commerce.errors import DomainError, UserErrorCode
from commerce.markets.markets import MarketView, primary_market
from commerce.markets.prices import PriceRule, price_in
from commerce.sql import columns, db_value, fetch, model_of, projection, statement
from models import Cart, CartLine, CartStatus, DiscountCode, Product, ProductImage, ProductVariant

__all__ = ["CartContents", "cart_contents", "touch_open_cart", "read_cart", "CheckoutCart", "cart_for_checkout",
           "settle_market", "line_name"]


@dataclass
class CartContents:
    """A cart, its lines in id order, their variants (each with its `product`), products and
    the products' images in position order; `cost` once something priced it."""

    cart: Cart
    lines: list[CartLine]
    variants: dict[int, ProductVariant]
    products: dict[int, Product]
    images: dict[int, list[ProductImage]]
    market: MarketView
    explicit: dict[int, tuple[int, int | None]] = field(default_factory=dict)  # variant id -> its market price
    cost: CartCost | None = field(default=None)
    code_rows: list[DiscountCode] | None = field(default=None)  # the shop's codes among the cart's, when read
    warnings: list[CartWarning] = field(default_factory=list)

    @property
    def currency(self) -> str:
        return self.market.currency

    @property
    def rule(self) -> PriceRule:
        return self.market.rule

    def unit_price(self, variant_id: int) -> tuple[int, int | None] | None:
        """(price, compare-at price) of a variant in the cart's market; None: not for sale there."""
        variant = self.variants[variant_id]
        return price_in(self.rule, variant.price, variant.compare_at_price, self.explicit.get(variant_id))

    def unit_prices(self) -> dict[int, int]:
        """The cart's variants that are for sale in its market, with their prices there."""
        found = {vid: self.unit_price(vid) for vid in self.variants}
        return {vid: prices[0] for vid, prices in found.items() if prices is not None}

    async def price(self, prices_include_tax: bool) -> CartCost:
        """Prices the cart (once: a change that priced it hands the cost to its answer)."""
        if self.cost is None:
            self.cost = await price_cart(self.cart, cost_lines(self.lines, self.variants, self.unit_prices()),
                                         prices_include_tax=prices_include_tax, code_rows=self.code_rows,
                                         rule=self.rule)
        return self.cost

    def line_of(self, variant_id: int) -> CartLine | None:
        return next((line for line in self.lines if line.variant_id == variant_id), None)


def _contents_sql(dialect: str) -> str:
    return (
        f"SELECT {projection(ProductVariant, 'v')}, {projection(Product, 'p')}, {projection(CartLine, 'l')}, "
        f"{projection(ProductImage, 'i')}, {MARKET_COLUMNS}, {EXPLICIT_COLUMNS} "
        'FROM "product_variant" "v" JOIN "product" "p" ON "p"."id" = "v"."product_id" '
        'LEFT JOIN "cart_line" "l" ON "l"."variant_id" = "v"."id" AND "l"."cart_id" = ?'
        f'{market_joins("?")}{explicit_join()} '
        'LEFT JOIN "product_image" "i" ON "i"."product_id" = "p"."id" '
        'WHERE "v"."id" IN (SELECT "variant_id" FROM "cart_line" WHERE "cart_id" = ?) OR "v"."id" = ? '
        'ORDER BY "i"."position", "i"."id"'
    )


def _read_sql(dialect: str) -> str:
    return (
        f"SELECT {projection(Cart, 'c')}, {projection(ProductVariant, 'v')}, {projection(Product, 'p')}, "
        f"{projection(CartLine, 'l')}, {projection(ProductImage, 'i')}, {MARKET_COLUMNS}, {EXPLICIT_COLUMNS} "
        f'FROM "cart" "c"{market_joins(row_country_sql(dialect))} '
        'LEFT JOIN "cart_line" "l" ON "l"."cart_id" = "c"."id" '
        'LEFT JOIN "product_variant" "v" ON "v"."id" = "l"."variant_id"'
        f'{explicit_join()} '
        'LEFT JOIN "product" "p" ON "p"."id" = "v"."product_id" '
        'LEFT JOIN "product_image" "i" ON "i"."product_id" = "p"."id" '
        'WHERE "c"."id" = ? ORDER BY "i"."position", "i"."id"'
    )


def _contents(cart: Cart, rows: list[dict[str, Any]], shop_currency: str,
              market: MarketView | None = None) -> CartContents:
    """`market`: the cart's, when the rows may not name it (no rows); else from the rows."""
    lines: dict[int, CartLine] = {}
    explicit: dict[int, tuple[int, int | None]] = {}
    variants: dict[int, ProductVariant] = {}
    products: dict[int, Product] = {}
    images: dict[int, dict[int, ProductImage]] = {}
    for row in rows:
        variant_id = row["v__id"]
        if variant_id is None:
            continue  # a cart without lines
        if variant_id not in variants:
            variant = model_of(ProductVariant, row, "v")
            product = products.get(row["p__id"]) or model_of(Product, row, "p")
            products[product.id] = product
            variant.product = product
            variants[variant_id] = variant
            if (price := explicit_in_row(row)) is not None:
                explicit[variant_id] = price
            images.setdefault(product.id, {})
            line = model_of(CartLine, row, "l")
            if line is not None:
                lines[line.id] = line
        image = model_of(ProductImage, row, "i")
        if image is not None:
            images[image.product_id][image.id] = image
    if rows:
        market = market_in_row(rows[0], shop_currency, cart_country(cart)) or primary_market(shop_currency)
    return CartContents(
        cart=cart, lines=[lines[i] for i in sorted(lines)], variants=variants, products=products,
        images={product_id: list(found.values()) for product_id, found in images.items()},
        market=market or primary_market(shop_currency), explicit=explicit,
    )


async def _market_of(country: str | None, shop_currency: str) -> MarketView:
    """The market serving `country`, read alone (for a cart statement that found no row to carry it)."""
    if country is None:
        return primary_market(shop_currency)
    rows = await fetch(statement("cart-market", lambda dialect: (
        f'SELECT {MARKET_COLUMNS} FROM "market_country" "mc" JOIN "market" "m" ON "m"."id" = "mc"."market_id" '
        'WHERE "mc"."country" = ?')), [country])
    return (market_in_row(rows[0], shop_currency, country) if rows else None) or primary_market(shop_currency)


async def cart_contents(cart: Cart, shop_currency: str, *, also_variant: int | None = None) -> CartContents:
    """The cart's lines, variants, products and images (and `also_variant`'s, in or out of the cart),
    with its market; an empty cart with a country reads its market in one more statement."""
    country = cart_country(cart)
    rows = await fetch(statement("cart-contents", _contents_sql), [cart.id, country, cart.id, also_variant])
    market = None if rows or country is None else await _market_of(country, shop_currency)
    return _contents(cart, rows, shop_currency, market)


def line_name(variant: ProductVariant) -> str:
    product: Product = variant.product
    return product.title if variant.title == "Default" else f"{product.title} ({variant.title})"


async def settle_market(contents: CartContents) -> None:
    """Brings a changed cart to its market, inside the change's transaction: lines not for sale there
    are removed (a MERCHANDISE_NOT_AVAILABLE warning each) and the cart's currency becomes the market's
    (CURRENCY_CHANGED). A cart that stayed in its market writes nothing more."""
    gone = [line for line in contents.lines if contents.unit_price(line.variant_id) is None]
    if gone:
        await CartLine.filter(id__in=[line.id for line in gone]).delete()
        for line in gone:
            contents.lines.remove(line)
            contents.warnings.append(CartWarning(
                CartWarningCode.MERCHANDISE_NOT_AVAILABLE,
                f"{line_name(contents.variants[line.variant_id])} is not sold in {contents.market.name}"
                " and was removed from the cart.", line.id))
    cart = contents.cart
    if cart.currency != contents.currency:
        contents.warnings.append(CartWarning(
            CartWarningCode.CURRENCY_CHANGED,
            f"The cart is now priced in {contents.currency} (it was {cart.currency})."))
        cart.currency = contents.currency
        await Cart.filter(id=cart.id).update(currency=cart.currency)


def _touch_sql(changed: Sequence[str]) -> Any:
    def build(dialect: str) -> str:
        sets = ", ".join(f'"{Cart._meta.fields_db_projection[name]}" = ?' for name in ("updated_at", *changed))
        returned = ", ".join(f'"{c}"' for c in columns(Cart))
        return f'UPDATE "cart" SET {sets} WHERE "id" = ? RETURNING {returned}'
    return build


async def touch_open_cart(caller: Caller, cart_id: str, **changes: Any) -> Cart:
    """Writes `changes` and `updated_at` to the open cart and locks it; NOT_FOUND or
    CART_ALREADY_CHECKED_OUT otherwise (raise inside a transaction: it undoes the write)."""
    names = tuple(sorted(changes))
    now = datetime.now(timezone.utc)
    values = [db_value(Cart, "updated_at", now), *(db_value(Cart, n, changes[n]) for n in names), cart_id]
    rows = await fetch(statement(("cart-touch", names), _touch_sql(names)), values)
    cart = model_of(Cart, rows[0]) if rows else None
    if cart is None or not can_use_cart(caller, cart):
        raise DomainError.not_found("cart", "cartId")
    if cart.status is not CartStatus.OPEN:
        raise DomainError(UserErrorCode.CART_ALREADY_CHECKED_OUT, "This cart has been checked out.", ["cartId"])
    return cart


async def read_cart(caller: Caller, cart_id: str, shop_currency: str) -> CartContents | None:
    """The cart with its contents and market, or None when there is none or it is someone else's."""
    rows = await fetch(statement("cart-read", _read_sql), [cart_id])
    cart = model_of(Cart, rows[0], "c") if rows else None
    if cart is None or not can_use_cart(caller, cart):
        return None
    return _contents(cart, rows, shop_currency)


@dataclass(frozen=True)
class CheckoutCart:
    """Checkout's read of a cart it has locked: the contents, whether an open or paid order
    already took the cart, and the order the idempotency key made (its id), if any."""

    contents: CartContents
    taken: bool
    known_order_id: str | None


def _checkout_sql(statuses: int) -> Any:
    def build(dialect: str) -> str:
        marks = ", ".join("?" * statuses)
        extra = (f'(SELECT COUNT(*) FROM "order" "o" WHERE "o"."cart_id" = "c"."id" AND "o"."status" IN ({marks})) '
                 'AS "taken", (SELECT "k"."id" FROM "order" "k" WHERE "k"."idempotency_key" = ?) AS "known", ')
        return _read_sql(dialect).replace("SELECT ", "SELECT " + extra, 1)
    return build


async def cart_for_checkout(cart: Cart, key: str | None, taken_statuses: Sequence[str],
                            shop_currency: str) -> CheckoutCart:
    """The contents of a cart the caller has locked, with its market as it is now and its orders'
    standing, in one statement.

    Run it after the lock statement, never in it: under PostgreSQL's READ COMMITTED a
    `SELECT … FOR UPDATE` that waited for the lock sees the cart's new row but the other
    tables as they were when it started (an order or a line committed meanwhile would be missed).
    """
    sql = statement(("cart-checkout", len(taken_statuses)), _checkout_sql(len(taken_statuses)))
    rows = await fetch(sql, [*taken_statuses, key, cart.id])
    return CheckoutCart(_contents(model_of(Cart, rows[0], "c"), rows, shop_currency), bool(rows[0]["taken"]),
                        rows[0]["known"])
