"""Properties of money and cart totals, for any amounts (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from commerce.money import CURRENCY_EXPONENTS, MAX_MINOR_UNITS, InvalidAmount, to_decimal, to_minor_units
from commerce.checkout.pricing import cart_totals, price_line

currencies = st.sampled_from(sorted(CURRENCY_EXPONENTS))
minor = st.integers(min_value=-(10**12), max_value=10**12)


@given(st.integers(min_value=-MAX_MINOR_UNITS, max_value=MAX_MINOR_UNITS), currencies)
def test_minor_units_survive_the_round_trip_through_a_decimal_string(amount, currency):
    text = str(to_decimal(amount, currency))
    assert to_minor_units(text, currency) == amount
    assert to_minor_units(Decimal(text), currency) == amount


@given(st.integers(min_value=MAX_MINOR_UNITS + 1, max_value=10**30), st.sampled_from([1, -1]), currencies)
def test_an_amount_beyond_a_money_column_is_refused(amount, sign, currency):
    with pytest.raises(InvalidAmount):
        to_minor_units(str(to_decimal(sign * amount, currency)), currency)


@given(minor, currencies)
def test_the_decimal_string_has_exactly_the_currencys_decimals(amount, currency):
    text = str(to_decimal(amount, currency))
    exponent = CURRENCY_EXPONENTS[currency]
    if exponent:
        assert len(text.split(".")[1]) == exponent
    else:
        assert "." not in text and "E" not in text


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["USD", "EUR", "GBP"]))
def test_fractions_of_a_cent_are_refused(cents, currency):
    with pytest.raises(InvalidAmount):
        to_minor_units(f"{cents // 100}.{cents % 100:02d}1", currency)


@given(st.sampled_from(["NaN", "Infinity", "-Infinity", "", "abc", "1e", "1,5"]))
def test_non_numbers_are_refused(text):
    with pytest.raises(InvalidAmount):
        to_minor_units(text, "USD")


lines = st.lists(
    st.tuples(st.integers(min_value=1, max_value=999), st.integers(min_value=0, max_value=10**7)), max_size=50
)


@given(lines)
def test_cart_totals_are_exact_sums_of_the_lines(items):
    priced = [price_line(quantity, unit) for quantity, unit in items]
    totals = cart_totals(priced)
    assert totals.subtotal == sum(q * u for q, u in items)
    assert totals.quantity == sum(q for q, _ in items)
    assert totals.total == totals.subtotal
    assert all(isinstance(v, int) for v in (totals.subtotal, totals.total, totals.quantity))


@given(lines, st.randoms())
def test_cart_totals_do_not_depend_on_the_order_of_the_lines(items, random):
    shuffled = list(items)
    random.shuffle(shuffled)
    assert cart_totals(price_line(q, u) for q, u in items) == cart_totals(price_line(q, u) for q, u in shuffled)
