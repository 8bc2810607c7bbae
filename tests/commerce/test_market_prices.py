"""A market's prices: Python (carts, checkout) and SQL (sorting, filtering, facets) give the very same
number on SQLite and PostgreSQL, for any base price, exchange rate, pair of currencies and rounding."""

from __future__ import annotations

import asyncio
import contextvars
import itertools
from decimal import Decimal
from fractions import Fraction
from math import ceil, floor

import pytest
from hypothesis import HealthCheck, assume, given, settings as hypothesis_settings, strategies as st
from tortoise.connection import get_connection

from commerce.markets.prices import (
    MAX_RATE_NUMERATOR, PriceRule, derive, explicit_join, price_in, price_rule, product_price_sql,
    variant_price_sql,
)
from commerce.money import CURRENCY_EXPONENTS, MAX_MINOR_UNITS
from models import Product, ProductVariant, Rounding, VariantPrice

CURRENCIES = ["JPY", "USD", "EUR", "KWD", "CLF"]  # exponents 0, 2, 2, 3 and 4
currencies = st.sampled_from(CURRENCIES)
roundings = st.sampled_from(list(Rounding))
base_prices = st.one_of(st.integers(0, MAX_MINOR_UNITS), st.integers(0, 10_000),
                        st.sampled_from([0, 1, 99, 100, 1999, MAX_MINOR_UNITS - 1, MAX_MINOR_UNITS]))
# Positive decimals of up to 12 significant digits, from a millionth of a millionth to a thousand billion.
rates = st.one_of(
    st.builds(lambda digits, places: Decimal(digits).scaleb(-places),
              st.integers(1, 10**12 - 1), st.integers(0, 24)),
    st.sampled_from(["0.000001", "0.92", "151.37", "999999", "1", "0.5", "1073741824", "0.000000001"]).map(Decimal),
)


def exact(base_price: int, rate: Decimal, base: str, currency: str) -> Fraction:
    """The base price in the market currency's minor units, before rounding."""
    return base_price * Fraction(rate) * Fraction(10) ** (CURRENCY_EXPONENTS[currency] - CURRENCY_EXPONENTS[base])


def expected(base_price: int, rate: Decimal, base: str, currency: str, rounding: Rounding) -> int | None:
    """The rounding rules written out on exact fractions; None beyond a money column."""
    value, unit = exact(base_price, rate, base, currency), 10 ** CURRENCY_EXPONENTS[currency]
    if rounding is Rounding.WHOLE:
        price = ceil(value / unit) * unit
    elif rounding is Rounding.NINETY_NINE and unit > 1:
        price = 0 if base_price == 0 else ceil((value + 1) / unit) * unit - 1
    else:
        price = floor(value + Fraction(1, 2))
    return price if price <= MAX_MINOR_UNITS else None


def rule_or_none(base: str, currency: str, rate: Decimal, rounding: Rounding) -> PriceRule | None:
    """The rule, or None when `price_rule` refuses the rate, which it may only do when the fraction is too big."""
    factor = Fraction(rate) * Fraction(10) ** (CURRENCY_EXPONENTS[currency] - CURRENCY_EXPONENTS[base])
    try:
        rule = price_rule(base, currency, rate, rounding)
    except ValueError:
        assert max(factor.numerator, factor.denominator) > MAX_RATE_NUMERATOR, (base, currency, rate)
        return None
    if currency != base:
        assert Fraction(rule.numerator, rule.denominator) == factor
    return rule


# Unit properties of the rounding (no database)

@hypothesis_settings(max_examples=1000, deadline=None)
@given(base_prices, rates, currencies, currencies, roundings)
def test_derive_is_the_exact_value_rounded_by_the_rule(base_price, rate, base, currency, rounding):
    rule = rule_or_none(base, currency, rate, rounding)
    assume(rule is not None and currency != base)
    price = derive(rule, base_price)
    assert price == expected(base_price, rate, base, currency, rounding)
    if price is None:
        return
    value, unit = exact(base_price, rate, base, currency), rule.unit
    assert 0 <= price <= MAX_MINOR_UNITS and isinstance(price, int)
    if rounding is Rounding.WHOLE:
        assert price % unit == 0 and value <= price < value + unit
    elif rounding is Rounding.NINETY_NINE and unit > 1:
        if base_price == 0:
            assert price == 0
        else:
            assert price % unit == unit - 1 and value <= price < value + unit
    else:
        assert abs(price - value) <= Fraction(1, 2)


@hypothesis_settings(max_examples=500, deadline=None)
@given(base_prices, base_prices, rates, currencies, currencies, roundings)
def test_a_dearer_base_price_is_never_cheaper_in_a_market(a, b, rate, base, currency, rounding):
    rule = rule_or_none(base, currency, rate, rounding)
    assume(rule is not None)
    low, high = sorted((a, b))
    cheap, dear = derive(rule, low), derive(rule, high)
    assert dear is None or (cheap is not None and cheap <= dear)


@given(rates, st.sampled_from([(b, c) for b in CURRENCIES for c in CURRENCIES if b != c]), roundings)
def test_a_rate_is_refused_only_when_it_cannot_be_held_exactly(rate, pair, rounding):
    rule_or_none(*pair, rate, rounding)


@pytest.mark.parametrize("rate", ["0", "-1", "NaN", "Infinity", "-0.000001"])
def test_a_rate_that_is_not_a_positive_number_is_refused(rate):
    with pytest.raises(ValueError):
        price_rule("USD", "EUR", Decimal(rate), Rounding.NONE)


def test_a_price_that_fits_a_money_column_is_for_sale_to_the_last_minor_unit():
    for rounding, fits in ((Rounding.NONE, MAX_MINOR_UNITS), (Rounding.WHOLE, 2147483600),
                           (Rounding.NINETY_NINE, 2147483599)):
        one = price_rule("USD", "EUR", Decimal("1"), rounding)
        assert derive(one, fits) == fits and derive(one, fits + 1) is None
    double = price_rule("USD", "EUR", Decimal("2"), Rounding.NONE)
    assert derive(double, MAX_MINOR_UNITS // 2) == MAX_MINOR_UNITS - 1
    assert derive(double, MAX_MINOR_UNITS // 2 + 1) is None
    same = price_rule("JPY", "KRW", Decimal("1"), Rounding.WHOLE)
    assert derive(same, MAX_MINOR_UNITS) == MAX_MINOR_UNITS


# Python and SQL, on both databases

_products = itertools.count(1)


async def _product(variants: list[tuple[int, int | None]], explicit: dict[int, tuple[str, int, int | None]]) -> int:
    """A product with variants at (price, compare-at price), some with an explicit price (by index)."""
    product = await Product.create(slug=f"priced-{next(_products)}", title="Priced", price=variants[0][0],
                                   currency="USD")
    for index, (price, compare_at) in enumerate(variants):
        variant = await ProductVariant.create(product_id=product.id, price=price, compare_at_price=compare_at,
                                              sku=None, position=index)
        if index in explicit:
            currency, amount, compare_at_amount = explicit[index]
            await VariantPrice.create(variant_id=variant.id, product_id=product.id, currency=currency,
                                      amount=amount, compare_at_amount=compare_at_amount)
    return product.id


async def _sql_prices(rule: PriceRule, product_id: int) -> tuple[list[object], object, object]:
    """Each variant's price (by id) and the product's MIN and MAX, as the database computes them."""
    connection = get_connection("default")
    rows = await connection.execute_query_dict(
        f"SELECT {variant_price_sql(rule)} AS price FROM product_variant v{explicit_join(rule)}"
        f" WHERE v.product_id = {int(product_id)} ORDER BY v.id")
    bounds = await connection.execute_query_dict(
        f"SELECT {product_price_sql(rule, 'p.id', 'MIN')} AS low, {product_price_sql(rule, 'p.id', 'MAX')} AS high"
        f" FROM product p WHERE p.id = {int(product_id)}")
    return [row["price"] for row in rows], bounds[0]["low"], bounds[0]["high"]


async def _python_and_sql_agree(rule: PriceRule, product_id: int) -> None:
    variants = await ProductVariant.filter(product_id=product_id).order_by("id")
    explicit = {row.variant_id: (row.amount, row.compare_at_amount)
                for row in await VariantPrice.filter(product_id=product_id, currency=rule.currency)}
    in_python = []
    for variant in variants:
        priced = price_in(rule, variant.price, variant.compare_at_price, explicit.get(variant.id))
        in_python.append(None if priced is None else priced[0])
    in_sql, low, high = await _sql_prices(rule, product_id)
    # An int, never a float: SQLite turns an overflowing integer into a REAL without a word.
    assert all(price is None or type(price) is int for price in (*in_sql, low, high)), (in_sql, low, high)
    assert in_sql == in_python, rule
    for_sale = [price for price in in_python if price is not None]
    assert (low, high) == ((min(for_sale), max(for_sale)) if for_sale else (None, None)), rule


variant_lists = st.lists(st.tuples(base_prices, st.none() | base_prices), min_size=1, max_size=6)
market_rules = st.lists(st.tuples(currencies, currencies, st.none() | rates, roundings), min_size=1, max_size=6)


async def _in(context: contextvars.Context, coro):
    """Runs `coro` as a task in the test's context (where the ORM is initialised)."""
    return await context.run(asyncio.ensure_future, coro)


async def _example(variants, explicit_prices, rules) -> None:
    explicit = {index % len(variants): (currency, amount, compare_at)
                for index, currency, amount, compare_at in explicit_prices}
    product_id = await _product(variants, explicit)
    try:
        for base, currency, rate, rounding in rules:
            rule = price_rule(base, currency, None, rounding) if rate is None else rule_or_none(
                base, currency, rate, rounding)
            if rule is not None:
                await _python_and_sql_agree(rule, product_id)
    finally:
        await Product.filter(id=product_id).delete()


async def test_python_and_the_database_price_alike(database):
    loop, context = asyncio.get_running_loop(), contextvars.copy_context()

    @hypothesis_settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(variants=variant_lists, rules=market_rules, explicit_prices=st.lists(st.tuples(
        st.integers(0, 5), currencies, st.integers(0, MAX_MINOR_UNITS), st.none() | st.integers(0, MAX_MINOR_UNITS)),
        max_size=3, unique_by=lambda e: e[0]))
    def examples(variants, explicit_prices, rules) -> None:
        asyncio.run_coroutine_threadsafe(_in(context, _example(variants, explicit_prices, rules)), loop).result(120)

    await asyncio.to_thread(examples)


EXTREME_RULES = [  # the largest fractions the bounds allow, with the largest prices
    ("USD", "EUR", Decimal(MAX_RATE_NUMERATOR)),  # numerator 2**30
    ("USD", "EUR", Decimal(f"{5**30}e-30")),  # 1 / 2**30
    ("USD", "EUR", Decimal(f"{(MAX_RATE_NUMERATOR - 1) * 5**30}e-30")),  # (2**30 - 1) / 2**30
    ("JPY", "KWD", Decimal("999999")),  # 999,999,000 / 1
    ("KWD", "JPY", Decimal("0.000001")),  # 1 / 1,000,000,000
    ("CLF", "CLF", Decimal("5")),
]


@pytest.mark.parametrize("base, currency, rate", EXTREME_RULES)
@pytest.mark.parametrize("rounding", list(Rounding))
async def test_no_intermediate_overflows_at_the_bounds(database, base, currency, rate, rounding):
    rule = price_rule(base, currency, rate, rounding)
    prices = [0, 1, 2, 99, MAX_MINOR_UNITS // 2, MAX_MINOR_UNITS - 1, MAX_MINOR_UNITS]
    product_id = await _product([(p, p) for p in prices], {})
    await _python_and_sql_agree(rule, product_id)
    await Product.filter(id=product_id).delete()


@pytest.mark.parametrize("rate", [Decimal(MAX_RATE_NUMERATOR + 1), Decimal(f"{5**31}e-31"),
                                  Decimal("1234567.89012"), Decimal("0.0000000001")])
def test_a_fraction_beyond_the_bounds_is_refused(rate):
    with pytest.raises(ValueError):
        price_rule("USD", "EUR", rate, Rounding.NONE)
