"""Discount codes: made by the staff (`shop:write`), entered by shoppers, counted at checkout.

A code's uses are counted in checkout's first transaction with a conditional
`UPDATE … SET used_count = used_count + 1 WHERE used_count < usage_limit`, so N
concurrent checkouts with a code limited to L uses give it to exactly L orders.
A once-per-customer code's use is held by a unique index on (code, customer):
of concurrent checkouts by one customer, the database lets one keep it and the
others get `CodeUseTaken`. An order that ends unpaid gives its uses back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from commerce import throttle
from commerce.discounts.lines import Discount
from commerce.shop_rules.checks import amount, count, invalid, optional_amount
from commerce.errors import DomainError, UserErrorCode as Code
from models import DiscountCode, DiscountKind, DiscountRedemption

__all__ = [
    "DiscountInput", "normalize_code", "create_discount", "deactivate_discount", "list_discounts",
    "live_discounts", "count_unknown_codes", "customer_key", "claim_discount", "unclaim_discounts", "record_redemptions", "give_back_discounts", "count_again", "CodeUseTaken",
]

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,63}$")


class CodeUseTaken(Exception):
    """Another order of this customer holds their one use of a once-per-customer code.

    Raised inside the checkout's transaction, which must end (PostgreSQL refuses any
    further statement in it); a new attempt finds the code used and prices without it.
    """


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


def normalize_code(code: str) -> str:
    return code.strip().upper()


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


async def count_unknown_codes(cart_id: str, client: str, codes: Sequence[str]) -> None:
    """Each of `codes` the shop does not have costs the cart and the client address a try.

    RateLimited, with nothing counted, when the tries would pass either limit
    (`throttle.CODE_GUESSES_PER_CART`, `CODE_GUESSES_PER_CLIENT`). Known codes,
    live or not, cost nothing: guessing is finding a code that exists.
    """
    if not codes:
        return
    known = set(await DiscountCode.filter(code__in=list(codes)).values_list("code", flat=True))
    unknown = sum(1 for code in codes if code not in known)
    if not unknown:
        return
    await throttle.CODE_GUESSES_PER_CART.check(cart_id, tries=unknown)
    await throttle.CODE_GUESSES_PER_CLIENT.check(client, tries=unknown)
    await throttle.CODE_GUESSES_PER_CART.record(cart_id, tries=unknown)
    await throttle.CODE_GUESSES_PER_CLIENT.record(client, tries=unknown)


def customer_key(customer_id: int | None, email: str | None) -> str | None:
    """Who counts as one customer for once-per-customer codes."""
    if customer_id is not None:
        return f"customer:{customer_id}"
    return f"email:{email.strip().lower()}" if email else None


def _is_live(discount: DiscountCode, now: datetime) -> bool:
    return (
        discount.active
        and (discount.starts_at is None or discount.starts_at <= now)
        and (discount.ends_at is None or now < discount.ends_at)
        and (discount.usage_limit is None or discount.used_count < discount.usage_limit)
    )


async def live_discounts(codes: Iterable[str], who: str | None, now: datetime | None = None) -> list[Discount]:
    """The cart's codes that may apply now, in the cart's order (conditions on the cart aside)."""
    codes = [normalize_code(c) for c in codes]
    if not codes:
        return []
    now = now or datetime.now(timezone.utc)
    found = {d.code: d for d in await DiscountCode.filter(code__in=codes)}
    used: set[int] = set()
    once = [d.id for d in found.values() if d.once_per_customer]
    if once and who is not None:
        used = set(await DiscountRedemption.filter(discount_id__in=once, customer_key=who)
                   .values_list("discount_id", flat=True))
    return [
        Discount(d.code, d.kind, d.value, d.min_subtotal, frozenset(d.collection_ids))
        for d in (found.get(c) for c in codes)
        if d is not None and _is_live(d, now) and d.id not in used
    ]


async def claim_discount(code: str, who: str | None) -> int | None:
    """Counts one use, inside the caller's transaction: the code's id, or None when none is left."""
    discount = await DiscountCode.get_or_none(code=code)
    if discount is None:
        return None
    if discount.once_per_customer and (who is None or await DiscountRedemption.exists(discount_id=discount.id, customer_key=who)):
        return None
    query = DiscountCode.filter(id=discount.id, active=True)
    if discount.usage_limit is not None:
        query = query.filter(used_count__lt=F("usage_limit"))
    return discount.id if await query.update(used_count=F("used_count") + 1) else None


async def unclaim_discounts(discount_ids: Iterable[int]) -> None:
    """Gives back uses counted by `claim_discount` that the order did not keep."""
    for discount_id in discount_ids:
        await DiscountCode.filter(id=discount_id, used_count__gt=0).update(used_count=F("used_count") - 1)


async def _once_per_customer(discount_ids: Iterable[int]) -> set[int]:
    ids = list(discount_ids)
    if not ids:
        return set()
    return set(await DiscountCode.filter(id__in=ids, once_per_customer=True).values_list("id", flat=True))


async def record_redemptions(order_id: str, discount_ids: Iterable[int], who: str | None) -> None:
    """The order's codes, inside the checkout's transaction; CodeUseTaken when another order
    of this customer holds a once-per-customer one (the unique index decides)."""
    discount_ids = list(discount_ids)
    once = await _once_per_customer(discount_ids)
    rows = [DiscountRedemption(discount_id=i, order_id=order_id, customer_key=who or "",
                               once_key=who if i in once else None) for i in discount_ids]
    try:
        await DiscountRedemption.bulk_create(rows)
    except IntegrityError:
        raise CodeUseTaken(order_id) from None


async def give_back_discounts(order_id: str) -> None:
    """An order that ended unpaid frees its uses (inside the caller's transaction)."""
    for redemption in await DiscountRedemption.filter(order_id=order_id):
        await DiscountCode.filter(id=redemption.discount_id, used_count__gt=0).update(used_count=F("used_count") - 1)
        await redemption.delete()


async def count_again(order_id: str, codes: Iterable[str], who: str | None) -> None:
    """A late payment for an order whose uses were given back: it holds its codes after all.

    A once-per-customer code the customer has used on another order meanwhile is
    counted without holding their use (the money was taken at the discounted price).
    """
    for discount in await DiscountCode.filter(code__in=list(codes)):
        if await DiscountRedemption.exists(discount_id=discount.id, order_id=order_id):
            continue
        await DiscountCode.filter(id=discount.id).update(used_count=F("used_count") + 1)
        once_key = who if discount.once_per_customer and who else None
        try:
            async with in_transaction():  # a savepoint: a taken use must not end the caller's transaction
                await DiscountRedemption.create(discount_id=discount.id, order_id=order_id, customer_key=who or "",
                                                once_key=once_key)
        except IntegrityError:
            await DiscountRedemption.create(discount_id=discount.id, order_id=order_id, customer_key=who or "")
