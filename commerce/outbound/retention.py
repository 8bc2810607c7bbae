"""Retention: old outbox events are deleted, except those still needed.

Kept whatever their age: events a consumer (partner webhooks, email) has not
read yet, events with a webhook delivery or an email not yet through (pending,
or failed and waiting for a redelivery), and the newest event (it carries the
numbering on SQLite). Deleting an event deletes its delivery log with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from commerce.outbound import delivery, mail
from commerce.outbound.outbox import latest_sequence
from models import DeliveryStatus, EmailMessage, OrderEvent, OutboxConsumer, WebhookDelivery

__all__ = ["purge_events"]


async def purge_events(older_than: timedelta, now: datetime | None = None, batch: int = 1000) -> int:
    """Deletes events older than `older_than` that nothing still needs, `batch` at a
    time (each batch its own transaction); returns how many."""
    cutoff = (now or datetime.now(timezone.utc)) - older_than
    purged = 0
    while True:
        async with in_transaction():
            positions = dict(await OutboxConsumer.all().values_list("name", "position"))
            read_by_all = min(positions.get(delivery.CONSUMER, 0), positions.get(mail.CONSUMER, 0))
            below = min(read_by_all + 1, await latest_sequence())
            unsent = WebhookDelivery.filter(status__not=DeliveryStatus.SUCCEEDED).values("event_id")
            unmailed = EmailMessage.filter(status__not=DeliveryStatus.SUCCEEDED).values("event_id")
            ids = await (
                OrderEvent.filter(created_at__lt=cutoff, sequence__lt=below)
                .exclude(id__in=Subquery(unsent)).exclude(id__in=Subquery(unmailed))
                .order_by("sequence").limit(batch).values_list("id", flat=True)
            )
            if ids:
                await OrderEvent.filter(id__in=list(ids)).delete()
        purged += len(ids)
        if len(ids) < batch:
            return purged
