"""What partners receive: the event and the order as that change left it, as JSON.

Ids are the API's own Relay global ids, so a partner can pass them to
`order(id)` or `node(id)`; money is `{amount, currencyCode, minorUnits}` as in the API.
The order carries its money as the API's `Order` does: `financialStatus`,
`amountCaptured` (what Stripe took; zero before a capture), `amountRefunded`,
`netPayment` (captured less refunded) and `totalOutstanding`.
"""

from __future__ import annotations

import json
from typing import Any

from commerce.money import to_decimal
from commerce.orders.lifecycle import total_outstanding
from models import OrderEvent, OrderLine, OrderStatus
from models.ids import global_id

__all__ = ["global_id", "event_payload", "order_payload"]


def _money(minor: int, currency: str) -> dict[str, Any]:
    return {"amount": str(to_decimal(minor, currency)), "currencyCode": currency, "minorUnits": minor}


async def order_payload(event: OrderEvent) -> dict[str, Any]:
    """The order as `event`'s change left it, with its lines (copied at checkout, never changed)."""
    row = json.loads(event.snapshot)
    currency = row["currency"]
    lines = await OrderLine.filter(order_id=row["id"]).order_by("id")
    captured, refunded = row.get("amount_captured", 0), row.get("amount_refunded", 0)
    return {
        "id": global_id("Order", row["id"]), "number": str(row["number"]), "status": row["status"].upper(),
        "financialStatus": row.get("financial_status", "").upper() or None,
        "email": row["email"], "subtotal": _money(row["subtotal"], currency), "total": _money(row["total"], currency),
        "amountCaptured": _money(captured, currency), "amountRefunded": _money(refunded, currency),
        "netPayment": _money(captured - refunded, currency),
        "totalOutstanding": _money(total_outstanding(OrderStatus(row["status"]), row["total"], captured), currency),
        "createdAt": row["created_at"], "updatedAt": row["updated_at"],
        "lines": [{"id": global_id("OrderLine", line.id), "title": line.title, "quantity": line.quantity,
                   "unitPrice": _money(line.unit_price, currency), "total": _money(line.total, currency)}
                  for line in lines],
    }


async def event_payload(event: OrderEvent) -> bytes:
    """The body of a delivery: `{"id","type","createdAt","data":{"order":{…}}}`."""
    body = {
        "id": global_id("OrderEvent", event.sequence), "type": event.type.name,
        "createdAt": event.created_at.isoformat(), "data": {"order": await order_payload(event)},
    }
    return json.dumps(body, separators=(",", ":")).encode()
