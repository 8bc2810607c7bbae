"""Discount codes' uses: which of a cart's codes are live, and how checkout counts them.

A code's uses are counted in checkout's first transaction with a conditional
`UPDATE … SET used_count = used_count + 1 WHERE used_count < usage_limit`, so N
concurrent checkouts with a code limited to L uses give it to exactly L orders.
A once-per-customer code's use is held by a unique index on (code, customer):
of concurrent checkouts by one customer, the database lets one keep it and the
others get `CodeUseTaken`. An order that ends unpaid gives its uses back.
The staff make and deactivate codes in `commerce.shop_rules.discount_codes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from commerce import throttle
from commerce.discounts.lines import Discount
from commerce.sql import fetch, statement
from models import DiscountCode, DiscountRedemption

__all__ = [
    "normalize_code", "live_discounts", "count_unknown_codes", "customer_key", "claim_discount", "unclaim_discounts",
    "record_redemptions", "give_back_discounts", "count_again", "CodeUseTaken",
]


class CodeUseTaken(Exception):
    """Another order of this customer holds their one use of a once-per-customer code.

    Raised inside the checkout's transaction, which must end (PostgreSQL refuses any
    further statement in it); a new attempt finds the code used and prices without it.
    """


def normalize_code(code: str) -> str:
    return code.strip().upper()


async def count_unknown_codes(cart_id: str, client: str, codes: Sequence[str], known: set[str] | None = None) -> None:
    """Each of `codes` the shop does not have costs the cart and the client address a try.

    RateLimited, with nothing counted, when the tries would pass either limit
    (`throttle.CODE_GUESSES_PER_CART`, `CODE_GUESSES_PER_CLIENT`). Known codes,
    live or not, cost nothing: guessing is finding a code that exists.
    """
    if not codes:
        return
    if known is None:  # the shop's codes among them, unless the caller has read them
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


async def live_discounts(codes: Iterable[str], who: str | None, now: datetime | None = None,
                         rows: Sequence[DiscountCode] | None = None) -> list[Discount]:
    """The cart's codes that may apply now, in the cart's order (conditions on the cart aside).

    `rows`: the shop's codes among them, when the caller has just read them.
    """
    codes = [normalize_code(c) for c in codes]
    if not codes:
        return []
    now = now or datetime.now(timezone.utc)
    found = {d.code: d for d in (rows if rows is not None else await DiscountCode.filter(code__in=codes))}
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


_CLAIM = ('UPDATE "discount_code" SET "used_count" = "used_count" + 1 WHERE "code" = ? AND "active" = ? '
          'AND ("usage_limit" IS NULL OR "used_count" < "usage_limit") RETURNING "id", "once_per_customer"')


async def claim_discount(code: str, who: str | None) -> tuple[int, bool] | None:
    """Counts one use, inside the caller's transaction, in one conditional UPDATE: the code's id
    and whether it is once per customer, or None when no use is left.

    A once-per-customer use this customer already holds is left to the unique index
    (`record_redemptions` raises CodeUseTaken; the checkout then prices without the code).
    """
    rows = await fetch(statement("discount-claim", lambda dialect: _CLAIM), [code, True])
    if not rows:
        return None
    discount_id, once = rows[0]["id"], bool(rows[0]["once_per_customer"])
    if once and who is None:  # nobody to hold the use for
        await unclaim_discounts([discount_id])
        return None
    return discount_id, once


async def unclaim_discounts(discount_ids: Iterable[int]) -> None:
    """Gives back uses counted by `claim_discount` that the order did not keep."""
    for discount_id in discount_ids:
        await DiscountCode.filter(id=discount_id, used_count__gt=0).update(used_count=F("used_count") - 1)


async def record_redemptions(order_id: str, claims: Iterable[tuple[int, bool]], who: str | None) -> None:
    """The order's codes (`claim_discount`'s claims), inside the checkout's transaction; CodeUseTaken
    when another order of this customer holds a once-per-customer one (the unique index decides)."""
    rows = [DiscountRedemption(discount_id=i, order_id=order_id, customer_key=who or "",
                               once_key=who if once else None) for i, once in claims]
    if not rows:
        return
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
