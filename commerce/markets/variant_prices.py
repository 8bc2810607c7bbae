"""Explicit variant prices per currency (`productVariantPricesSet`), and reading them for pricing.

An explicit price wins over the market's exchange rate for every market in that
currency. The shop's own currency has none: a variant's price is its base price.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from tortoise.transactions import in_transaction

from commerce.errors import DomainError, UserErrorCode as Code
from commerce.money import CURRENCY_EXPONENTS, amount_field
from commerce.outbound import notices
from models import ProductVariant, VariantPrice

__all__ = ["PriceSpec", "MAX_PRICES", "set_variant_prices", "explicit_prices"]

MAX_PRICES = 50


@dataclass(frozen=True)
class PriceSpec:
    currency: str
    amount: Decimal | None  # None: remove the explicit price in this currency
    compare_at_amount: Decimal | None = None


def _amount(value: Decimal, currency: str, *path: str | int) -> int:
    minor = amount_field(value, currency, *path)
    if minor < 0:
        raise DomainError(Code.INVALID, "The amount cannot be negative.", [str(p) for p in path])
    return minor


async def set_variant_prices(variant_id: int, specs: Sequence[PriceSpec], shop_currency: str) -> list[VariantPrice]:
    """Sets (or, with no amount, removes) the variant's explicit prices; its prices in every currency after."""
    if len(specs) > MAX_PRICES:
        raise DomainError(Code.INVALID, f"At most {MAX_PRICES} prices at once.", ["prices"])
    seen: set[str] = set()
    rows: list[tuple[str, int | None, int | None]] = []
    for index, spec in enumerate(specs):
        path = ("prices", index)
        if spec.currency not in CURRENCY_EXPONENTS:
            raise DomainError(Code.INVALID, f"{spec.currency} is not an ISO 4217 currency.", [*map(str, path), "currencyCode"])
        if spec.currency == shop_currency:
            raise DomainError(Code.INVALID, f"{shop_currency} is the shop's currency: change the variant's own price.",
                              [*map(str, path), "currencyCode"])
        if spec.currency in seen:
            raise DomainError(Code.INVALID, f"{spec.currency} is named twice.", [*map(str, path), "currencyCode"])
        seen.add(spec.currency)
        amount = None if spec.amount is None else _amount(spec.amount, spec.currency, *path, "amount")
        compare_at = (None if spec.compare_at_amount is None
                      else _amount(spec.compare_at_amount, spec.currency, *path, "compareAtAmount"))
        if amount is None and compare_at is not None:
            raise DomainError(Code.INVALID, "A compare-at amount needs an amount.", [*map(str, path), "compareAtAmount"])
        rows.append((spec.currency, amount, compare_at))
    async with in_transaction():
        variant = await ProductVariant.select_for_update().get_or_none(id=variant_id)
        if variant is None:
            raise DomainError.not_found("variant", "variantId")
        for currency, amount, compare_at in rows:
            if amount is None:
                await VariantPrice.filter(variant_id=variant_id, currency=currency).delete()
                continue
            updated = await VariantPrice.filter(variant_id=variant_id, currency=currency).update(
                amount=amount, compare_at_amount=compare_at)
            if not updated:
                await VariantPrice.create(variant_id=variant_id, product_id=variant.product_id, currency=currency,
                                          amount=amount, compare_at_amount=compare_at)
        prices = await VariantPrice.filter(variant_id=variant_id).order_by("currency")
    await notices.catalog_changed()
    return prices


async def explicit_prices(variant_ids: Iterable[int], currency: str) -> dict[int, tuple[int, int | None]]:
    """variant id -> (amount, compare-at amount) of the explicit prices in `currency`."""
    ids = list(set(variant_ids))
    if not ids:
        return {}
    rows = await VariantPrice.filter(variant_id__in=ids, currency=currency).values_list(
        "variant_id", "amount", "compare_at_amount")
    return {vid: (amount, compare_at) for vid, amount, compare_at in rows}
