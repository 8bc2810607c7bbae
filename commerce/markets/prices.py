"""A market's prices: the shop's base price carried into the market's currency.

A variant's price in a market is, in this order:
1. its base price, when the market's currency is the shop's;
2. its explicit price in the market's currency (`VariantPrice`, set by staff);
3. its base price times the market's exchange rate, rounded by the market's rule;
4. none: without an exchange rate, a variant with no explicit price is not for sale there.

The conversion is integer arithmetic on minor units, written once as a fraction
(`PriceRule.numerator / denominator`: the market's minor units per minor unit of
the shop's), so Python (carts, checkout) and SQL (sorting, filtering and facets by
price) compute the very same number; a test holds them equal. No float is involved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from commerce.money import MAX_MINOR_UNITS, exponent
from models.market import Rounding

__all__ = ["PriceRule", "price_rule", "derive", "price_in", "variant_price_sql", "product_price_sql",
           "explicit_join", "variant_row_price_sql", "MAX_RATE_NUMERATOR"]

# Every intermediate (2 * p * numerator, p * numerator + denominator * unit) must fit a 64-bit integer
# (SQLite's, PostgreSQL's BIGINT) for any 32-bit price p: both terms of the fraction stay below 2**30.
MAX_RATE_NUMERATOR = 2**30
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class PriceRule:
    """How a market prices: from the shop's currency `base` into `currency`."""

    base: str
    currency: str
    numerator: int | None  # None: no exchange rate (explicit prices only)
    denominator: int
    rounding: Rounding

    @property
    def identity(self) -> bool:
        """The market's currency is the shop's: base prices as they are."""
        return self.currency == self.base

    @property
    def unit(self) -> int:
        """Minor units in one whole unit of the market's currency (100 for EUR, 1 for JPY)."""
        return 10 ** exponent(self.currency)

    @property
    def limit(self) -> int:
        """The highest p * numerator whose derived price, once rounded, still fits a money column: every
        rounding is monotonic, so this is where "not for sale" starts, to the minor unit."""
        d, m = self.denominator, self.unit
        if self.rounding is Rounding.WHOLE:  # ceil(s / dm) * m <= MAX
            return MAX_MINOR_UNITS // m * d * m
        if self.rounding is Rounding.NINETY_NINE and m > 1:  # ceil((s + d) / dm) * m - 1 <= MAX
            return (MAX_MINOR_UNITS + 1) // m * d * m - d
        return (2 * d * (MAX_MINOR_UNITS + 1) - d - 1) // 2  # (2s + d) // 2d <= MAX


def price_rule(base: str, currency: str, exchange_rate: Decimal | None, rounding: Rounding) -> PriceRule:
    """ValueError when the rate is not positive or too precise to convert exactly in 64-bit integers."""
    if not (_CURRENCY.fullmatch(base) and _CURRENCY.fullmatch(currency)):
        raise ValueError("currencies are three capital letters")
    if currency == base or exchange_rate is None:
        return PriceRule(base, currency, None if currency != base else 1, 1, rounding)
    if not exchange_rate.is_finite() or exchange_rate <= 0:
        raise ValueError("the exchange rate must be a positive number")
    factor = Fraction(exchange_rate) * Fraction(10) ** (exponent(currency) - exponent(base))
    if factor.numerator > MAX_RATE_NUMERATOR or factor.denominator > MAX_RATE_NUMERATOR:
        raise ValueError("the exchange rate has too many digits")
    return PriceRule(base, currency, factor.numerator, factor.denominator, rounding)


def derive(rule: PriceRule, base_price: int) -> int | None:
    """The base price converted by the rule; None without a rate or when it would not fit a money column."""
    if rule.identity:
        return base_price
    if rule.numerator is None:
        return None
    scaled, d, m = base_price * rule.numerator, rule.denominator, rule.unit
    if scaled > rule.limit:
        return None
    if rule.rounding is Rounding.WHOLE:
        return (scaled + d * m - 1) // (d * m) * m
    if rule.rounding is Rounding.NINETY_NINE and m > 1:
        return 0 if base_price == 0 else (scaled + d + d * m - 1) // (d * m) * m - 1
    return (2 * scaled + d) // (2 * d)


def price_in(
    rule: PriceRule, base_price: int, base_compare_at: int | None, explicit: tuple[int, int | None] | None,
) -> tuple[int, int | None] | None:
    """(price, compare-at price) of one variant in the rule's currency; None: not for sale there."""
    if rule.identity:
        return base_price, base_compare_at
    if explicit is not None:
        return explicit
    price = derive(rule, base_price)
    if price is None:
        return None
    return price, None if base_compare_at is None else derive(rule, base_compare_at)


def _derived_sql(rule: PriceRule, base: str) -> str:
    if rule.numerator is None:
        return "NULL"
    n, d, m = rule.numerator, rule.denominator, rule.unit
    scaled = f"(CAST({base} AS BIGINT) * {n})"
    if rule.rounding is Rounding.WHOLE:
        value = f"(({scaled} + {d * m - 1}) / {d * m} * {m})"
    elif rule.rounding is Rounding.NINETY_NINE and m > 1:
        value = f"(CASE WHEN {base} = 0 THEN 0 ELSE ({scaled} + {d + d * m - 1}) / {d * m} * {m} - 1 END)"
    else:
        value = f"((2 * {scaled} + {d}) / {2 * d})"
    return f"(CASE WHEN {scaled} > {rule.limit} THEN NULL ELSE {value} END)"


def variant_price_sql(rule: PriceRule, variant: str = "v", explicit: str = "vp") -> str:
    """The price of variant row `variant` in the rule's currency, NULL where it is not for sale; `explicit`
    is the alias of `variant_price` joined on the variant and the currency (`explicit_join`)."""
    if rule.identity:
        return f"{variant}.price"
    return f"COALESCE({explicit}.amount, {_derived_sql(rule, f'{variant}.price')})"


def explicit_join(rule: PriceRule, variant: str = "v", explicit: str = "vp") -> str:
    if rule.identity:
        return ""
    assert _CURRENCY.fullmatch(rule.currency)  # written into the SQL
    return (f" LEFT JOIN variant_price {explicit} ON {explicit}.variant_id = {variant}.id"
            f" AND {explicit}.currency = '{rule.currency}'")


def variant_row_price_sql(rule: PriceRule, variant: str = '"product_variant"') -> str:
    """`variant_price_sql` for a query on `product_variant` itself (no join): the explicit price as a
    correlated subquery on `variant`."""
    if rule.identity:
        return f"{variant}.price"
    assert _CURRENCY.fullmatch(rule.currency)  # written into the SQL
    explicit = (f"(SELECT vp.amount FROM variant_price vp WHERE vp.variant_id = {variant}.id"
                f" AND vp.currency = '{rule.currency}')")
    return f"COALESCE({explicit}, {_derived_sql(rule, f'{variant}.price')})"


def product_price_sql(rule: PriceRule, product: str = '"product"."id"', aggregate: str = "MIN") -> str:
    """A product's lowest (or, with MAX, highest) variant price in the rule's currency, as a correlated
    subquery on `product`; NULL when no variant is for sale there."""
    return (f"(SELECT {aggregate}({variant_price_sql(rule)}) FROM product_variant v{explicit_join(rule)}"
            f" WHERE v.product_id = {product})")
