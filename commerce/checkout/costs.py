"""What a cart costs: lines, discounts, delivery and tax, added up exactly.

Pure arithmetic on integers of minor units, shared by cart reads and checkout:

    subtotal   the lines at today's prices
    discount   taken off the lines (shared out per line) and off the delivery
    shipping   the selected delivery option's price
    tax        per line (and on shipping where the rate says so), rounded half-even
               per line; None until the tax country is known

With prices that exclude tax, `total = subtotal - discount + shipping + tax`.
With `SHOPGRAPH_PRICES_INCLUDE_TAX=1`, `total = subtotal - discount + shipping`
and `tax` is the part of it that is tax.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from commerce.discounts.lines import Discount, DiscountLine, DiscountOutcome, apply_line_discounts, free_shipping
from commerce.checkout.shipping import DeliveryRate, Zone, delivery_options
from commerce.checkout.taxes import Rate, TaxableLine, TaxCalculator, TaxLine, TaxRequest, TaxResult, compute_tax

__all__ = ["CostLine", "CostInput", "LineCost", "CartCost", "compute_costs", "cart_costs"]


@dataclass(frozen=True)
class CostLine:
    key: int
    quantity: int
    unit_price: int
    weight_grams: int = 0
    requires_shipping: bool = True
    collection_ids: frozenset[int] = frozenset()

    @property
    def total(self) -> int:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class CostInput:
    lines: Sequence[CostLine]
    discounts: Sequence[Discount] = ()
    zones: Sequence[Zone] = ()
    country_code: str | None = None  # of the shipping address, else of the buyer
    province_code: str = ""
    delivery_handle: str | None = None
    prices_include_tax: bool = False


@dataclass(frozen=True)
class LineCost:
    subtotal: int
    discount: int
    tax: int


@dataclass(frozen=True)
class CartCost:
    subtotal: int
    discount: int
    shipping: int
    tax: int | None
    total: int
    lines: dict[int, LineCost]
    requires_shipping: bool
    delivery_options: list[DeliveryRate]
    selected_delivery: DeliveryRate | None
    shipping_discount: int
    shipping_tax: int
    tax_lines: list[TaxLine]
    discount_applications: dict[str, int]
    applicable_codes: frozenset[str]
    taxes_included: bool


@dataclass(frozen=True)
class _BeforeTax:
    input: CostInput
    outcome: DiscountOutcome
    requires_shipping: bool
    options: list[DeliveryRate]
    selected: DeliveryRate | None
    shipping: int
    shipping_discount: int

    def tax_request(self) -> TaxRequest | None:
        if self.input.country_code is None:
            return None
        lines = [TaxableLine(line.key, line.total - self.outcome.line_discounts[line.key]) for line in self.input.lines]
        return TaxRequest(lines, self.shipping - self.shipping_discount, self.input.country_code,
                          self.input.province_code, self.input.prices_include_tax)


def _before_tax(data: CostInput) -> _BeforeTax:
    outcome = apply_line_discounts(
        [DiscountLine(line.key, line.total, line.collection_ids) for line in data.lines], data.discounts
    )
    requires_shipping = any(line.requires_shipping for line in data.lines)
    options: list[DeliveryRate] = []
    if requires_shipping and data.country_code is not None:
        discounted = sum(line.total for line in data.lines) - sum(outcome.line_discounts.values())
        weight = sum(line.weight_grams * line.quantity for line in data.lines if line.requires_shipping)
        options = delivery_options(data.zones, data.country_code, discounted, weight)
    # A selection that no longer fits is dropped, never charged.
    selected = next((rate for rate in options if rate.handle == data.delivery_handle), None)
    shipping = selected.price if selected else 0
    return _BeforeTax(data, outcome, requires_shipping, options, selected, shipping, free_shipping(outcome, shipping))


def _summarize(part: _BeforeTax, tax: TaxResult | None) -> CartCost:
    data, outcome = part.input, part.outcome
    subtotal = sum(line.total for line in data.lines)
    discount = sum(outcome.line_discounts.values()) + part.shipping_discount
    tax_total = None if tax is None else tax.total
    total = subtotal - discount + part.shipping
    if tax_total is not None and not data.prices_include_tax:
        total += tax_total
    applications = dict(outcome.applications)
    if outcome.free_shipping_code is not None:
        applications[outcome.free_shipping_code] = part.shipping_discount
    return CartCost(
        subtotal=subtotal, discount=discount, shipping=part.shipping, tax=tax_total, total=total,
        lines={line.key: LineCost(line.total, outcome.line_discounts[line.key],
                                  tax.line_tax[line.key] if tax else 0) for line in data.lines},
        requires_shipping=part.requires_shipping, delivery_options=part.options,
        selected_delivery=part.selected, shipping_discount=part.shipping_discount,
        shipping_tax=tax.shipping_tax if tax else 0, tax_lines=tax.lines if tax else [],
        discount_applications=applications, applicable_codes=outcome.applicable,
        taxes_included=data.prices_include_tax,
    )


def compute_costs(data: CostInput, rates: Sequence[Rate]) -> CartCost:
    """The cost with the given tax rates (the built-in calculator's arithmetic)."""
    part = _before_tax(data)
    request = part.tax_request()
    return _summarize(part, None if request is None else compute_tax(request, rates))


async def cart_costs(data: CostInput, calculator: TaxCalculator) -> CartCost:
    """The cost, with tax from `calculator` once the tax country is known."""
    part = _before_tax(data)
    request = part.tax_request()
    return _summarize(part, None if request is None else await calculator.calculate(request))
