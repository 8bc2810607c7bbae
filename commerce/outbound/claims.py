"""Claiming due work (webhook deliveries, emails) so that one worker sends each at a time.

A claim is a lease: `claimed_until` is set in a short transaction, the send
happens outside any transaction, and the outcome clears it. On PostgreSQL the
candidate rows are read `FOR UPDATE SKIP LOCKED`, so workers in other
processes claiming at the same moment take other rows instead of waiting; a
worker that dies mid-send leaves a lease that expires, and the row is sent
again (at least once).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from tortoise.expressions import F, Q
from tortoise.models import Model
from tortoise.transactions import in_transaction

from models import DeliveryStatus

__all__ = ["claim_due", "backoff"]


async def claim_due(
    model: type[Model], now: datetime, lease: timedelta, limit: int,
    *, order_by: str = "id", keep: Callable[[list], object] | None = None, **filters: object,
) -> list:
    """Up to `limit` pending rows of `model` due by `now`, claimed for `lease`.

    `keep(rows)` (awaitable) may narrow the candidates, inside the claiming transaction.
    """
    async with in_transaction():
        rows = await (
            model.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, **filters)
            .filter(Q(claimed_until=None) | Q(claimed_until__lt=now))
            .order_by(order_by).limit(limit).select_for_update(skip_locked=True)
        )
        if keep is not None and rows:
            rows = await keep(rows)
        if rows:
            await model.filter(id__in=[r.id for r in rows]).update(
                claimed_until=now + lease, attempt_count=F("attempt_count") + 1)
            for row in rows:
                row.claimed_until = now + lease
                row.attempt_count += 1
    return rows


def backoff(base_seconds: float, attempts: int, cap_seconds: float = 3600.0) -> timedelta:
    """The wait after the `attempts`-th failed try: base, 2×base, 4×base, … up to an hour."""
    return timedelta(seconds=min(base_seconds * 2 ** min(max(attempts - 1, 0), 30), cap_seconds))
