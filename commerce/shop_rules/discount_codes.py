"""Discount codes as the staff make them (`shop:write`): a code, its kind and value, and
the conditions it applies under. Their uses are counted in `commerce.discounts.usage`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tortoise.transactions import in_transaction

from commerce.discounts.usage import normalize_code
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.shop_rules.checks import amount, count, invalid, optional_amount
from models import DiscountCode, DiscountKind

__all__ = ["DiscountInput", "create_discount", "deactivate_discount", "list_discounts"]

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,63}$")


@dataclass(frozen=True)
class DiscountInput:
    code: str
    kind: DiscountKind
    value: Decimal | None = None
    min_subtotal: Decimal | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    usage_limit: int | None = None
    once_per_customer: bool = False
    collection_ids: Sequence[int] = ()


def _value(data: DiscountInput, currency: str) -> int:
    if data.kind is DiscountKind.FREE_SHIPPING:
        if data.value not in (None, 0):
            raise invalid("A free-shipping code has no value.", "input", "value")
        return 0
    if data.value is None:
        raise invalid("Enter the discount's value.", "input", "value")
    if data.kind is DiscountKind.PERCENTAGE:
        basis_points = Decimal(data.value) * 100
        if not 0 < basis_points <= 10_000 or basis_points != basis_points.to_integral_value():
            raise invalid("Enter a percentage above 0 and up to 100, with at most 2 decimals.", "input", "value")
        return int(basis_points)
    value = amount(data.value, currency, "input", "value")
    if value <= 0:
        raise invalid("Enter an amount above 0.", "input", "value")
    return value


async def create_discount(data: DiscountInput, currency: str) -> DiscountCode:
    code = normalize_code(data.code)
    if not _CODE.match(code):
        raise invalid("A code is 3 to 64 letters, digits, dashes or underscores.", "input", "code")
    if data.starts_at and data.ends_at and data.ends_at <= data.starts_at:
        raise invalid("The end must be after the start.", "input", "endsAt")
    row = {
        "code": code, "kind": data.kind, "value": _value(data, currency),
        "min_subtotal": optional_amount(data.min_subtotal, currency, "input", "minSubtotal"),
        "starts_at": data.starts_at, "ends_at": data.ends_at,
        "usage_limit": count(data.usage_limit, "input", "usageLimit", minimum=1),
        "once_per_customer": data.once_per_customer, "collection_ids": sorted(set(data.collection_ids)),
    }
    async with in_transaction():
        if await DiscountCode.exists(code=code):
            raise DomainError(Code.TAKEN, "A discount with this code exists.", ["input", "code"])
        return await DiscountCode.create(**row)


async def deactivate_discount(code: str) -> DiscountCode:
    discount = await DiscountCode.get_or_none(code=normalize_code(code))
    if discount is None:
        raise DomainError(Code.NOT_FOUND, "No discount with this code.", ["code"])
    discount.active = False
    await discount.save(update_fields=["active"])
    return discount


async def list_discounts() -> list[DiscountCode]:
    return await DiscountCode.all().order_by("code")
