"""Change notices that other processes and subscribers listen to.

`commerce` announces, after the change has committed, that an order's status
or the catalog changed. What carries the notice (PostgreSQL LISTEN/NOTIFY
between processes, or memory in one process) is plugged in by the server
(`shopgraph.notice_bus`); with nothing plugged in, notices go nowhere.
"""

from __future__ import annotations

import logging
from typing import Protocol

__all__ = ["Publisher", "set_publisher", "order_changed", "catalog_changed", "RESYNC"]

log = logging.getLogger("shopgraph.events")


class Publisher(Protocol):
    async def publish(self, channel: str, payload: str) -> None: ...


_publisher: Publisher | None = None

ORDERS = "shopgraph_orders"
CATALOG = "shopgraph_catalog"
# Delivered by a bus on every channel when notices may have been lost (its
# connection dropped): listeners re-read what they follow (orders: the outbox).
RESYNC = "*"


def set_publisher(publisher: Publisher | None) -> None:
    global _publisher
    _publisher = publisher


async def _publish(channel: str, payload: str) -> None:
    if _publisher is None:
        return
    try:
        await _publisher.publish(channel, payload)
    except Exception:  # a lost notice must never undo or fail the change it reports
        log.exception("could not publish on %s", channel)


async def order_changed(order_id: str) -> None:
    """Call after the transaction that changed the order's status has committed."""
    await _publish(ORDERS, order_id)


async def catalog_changed() -> None:
    """Call after any change to products (price, stock, title, …) has committed."""
    await _publish(CATALOG, "")
