"""The cost of any cart adds up to the cent: random lines, rates, discounts and delivery."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings, strategies as st

from commerce.checkout.costs import CostInput, CostLine, compute_costs
from commerce.discounts.lines import Discount, allocate
from commerce.checkout.shipping import DeliveryRate, Zone
from commerce.checkout.taxes import Rate
from models.shop_rules import DiscountKind

lines = st.lists(
    st.builds(CostLine, key=st.integers(1, 10**6), quantity=st.integers(1, 999), unit_price=st.integers(0, 10**6),
              weight_grams=st.integers(0, 5000), requires_shipping=st.booleans(),
              collection_ids=st.frozensets(st.integers(1, 3), max_size=2)),
    min_size=1, max_size=12, unique_by=lambda line: line.key,
)
percentages = st.decimals(min_value=0, max_value=30, places=3).map(lambda d: d.normalize())
rates = st.lists(st.builds(Rate, title=st.sampled_from(["GST", "PST", "VAT", "State"]),
                           percentage=percentages, applies_to_shipping=st.booleans()), max_size=3)
discounts = st.lists(st.builds(
    Discount, code=st.text("ABCDEFGH", min_size=1, max_size=5), kind=st.sampled_from(list(DiscountKind)),
    value=st.integers(0, 10_000), min_subtotal=st.none() | st.integers(0, 10**6),
    collection_ids=st.frozensets(st.integers(1, 3), max_size=2),
), max_size=3, unique_by=lambda d: d.code)
delivery = st.builds(DeliveryRate, handle=st.just("standard"), title=st.just("Standard"), price=st.integers(0, 10**5))


@settings(max_examples=400, deadline=None)
@given(lines=lines, rates=rates, discounts=discounts, rate=delivery, included=st.booleans(),
       country=st.none() | st.just("CA"), selected=st.booleans())
def test_every_amount_adds_up_to_the_cent(lines, rates, discounts, rate, included, country, selected):
    data = CostInput(lines, discounts, [Zone("All", frozenset({"*"}), [rate])], country, "ON",
                     "standard" if selected else None, included)
    cost = compute_costs(data, rates)

    assert cost.subtotal == sum(line.quantity * line.unit_price for line in lines)
    assert cost.discount == sum(c.discount for c in cost.lines.values()) + cost.shipping_discount
    assert all(0 <= c.discount <= c.subtotal for c in cost.lines.values())
    assert 0 <= cost.shipping_discount <= cost.shipping
    assert sum(cost.discount_applications.values()) == cost.discount
    if country is None:
        assert cost.tax is None and cost.total == cost.subtotal - cost.discount + cost.shipping
    else:
        assert cost.tax == sum(c.tax for c in cost.lines.values()) + cost.shipping_tax
        assert cost.tax == sum(t.amount for t in cost.tax_lines)
        tax_part = 0 if included else cost.tax
        assert cost.total == cost.subtotal - cost.discount + cost.shipping + tax_part
    shipped = any(line.requires_shipping for line in lines) and country is not None
    assert cost.shipping == (rate.price if shipped and selected else 0)
    assert all(isinstance(v, int) for v in (cost.subtotal, cost.discount, cost.shipping, cost.total))


@settings(max_examples=300, deadline=None)
@given(lines=lines, percentage=percentages, included=st.booleans())
def test_each_line_is_taxed_on_its_own_rounded_half_even(lines, percentage, included):
    cost = compute_costs(CostInput(lines, country_code="DE", prices_include_tax=included), [Rate("VAT", percentage)])
    rate = Fraction(percentage) / 100
    for line in lines:
        exact = line.total * rate / (1 + rate) if included else line.total * rate
        assert cost.lines[line.key].tax == round(exact)  # Fraction rounds half to even


@given(amount=st.integers(0, 10**7), totals=st.dictionaries(st.integers(1, 50), st.integers(0, 10**6), min_size=1))
def test_a_discount_is_shared_in_proportion_and_the_remainder_goes_to_the_largest_line(amount, totals):
    shares = allocate(amount, totals)
    whole = sum(totals.values())
    assert sum(shares.values()) == min(amount, whole)
    assert all(0 <= shares[k] <= totals[k] for k in totals)
    if 0 < amount <= whole:
        floors = {k: amount * t // whole for k, t in totals.items()}
        largest = max(totals, key=lambda k: (totals[k], -k))
        if floors[largest] + (min(amount, whole) - sum(floors.values())) <= totals[largest]:
            assert all(shares[k] == floors[k] for k in totals if k != largest)


def test_half_cents_round_to_even_and_shipping_is_taxed_only_where_the_rate_says():
    # 0.5% of 100 cents is exactly half a cent: rounds to 0; of 300 cents, 1.5 -> 2.
    lines = [CostLine(1, 1, 100), CostLine(2, 1, 300)]
    zone = Zone("EU", frozenset({"DE"}), [DeliveryRate("std", "Standard", 1000)])
    cost = compute_costs(CostInput(lines, zones=[zone], country_code="DE", delivery_handle="std"),
                         [Rate("Half", Decimal("0.5"), applies_to_shipping=False), Rate("Ship", Decimal("10"), True)])
    assert [cost.lines[1].tax, cost.lines[2].tax] == [0 + 10, 2 + 30]
    assert cost.shipping_tax == 100 and cost.tax == 142
    assert cost.total == 400 + 1000 + 142
