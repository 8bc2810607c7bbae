"""`POST /webhooks/stripe`: Stripe's events, verified, then applied once.

- No `STRIPE_WEBHOOK_SECRET` configured: 503, nothing read or changed.
- A body over `SHOPGRAPH_STRIPE_WEBHOOK_MAX_BYTES` (1 MiB): 413, refused on its
  declared length or as soon as that many bytes have arrived, never read whole.
- A missing or wrong `Stripe-Signature`, a timestamp older than the tolerance
  (300 s, Stripe's default) or a body that is not an event: 400, nothing changed.
- Otherwise 200 with what became of the event (applied, unchanged, duplicate,
  unknown_payment, ignored). A failure while applying is a 500, so Stripe
  retries; the event id is recorded only with its effect.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from commerce.orders.payment_events import apply_payment_event
from graph.core.bodies import BodyTooLarge, read_capped_body
from payments.gateway import PaymentGateway
from payments.stripe_events import DEFAULT_TOLERANCE, InvalidWebhook, parse_webhook
from shopgraph.settings import Settings

__all__ = ["stripe_webhook_route"]

log = logging.getLogger("shopgraph.webhooks")

def stripe_webhook_route(settings: Settings, gateway: PaymentGateway | None = None,
                         tolerance: int = DEFAULT_TOLERANCE) -> Route:
    async def stripe_webhook(request: Request) -> JSONResponse:
        secret = settings.stripe_webhook_secret
        if not secret:
            log.error("a Stripe webhook arrived, but STRIPE_WEBHOOK_SECRET is not set: refused")
            return JSONResponse({"error": "STRIPE_WEBHOOK_SECRET is not configured"}, status_code=503)
        try:
            payload = await read_capped_body(request, settings.stripe_webhook_max_bytes)
        except BodyTooLarge as error:
            log.warning("refused a Stripe webhook: %s", error)
            return JSONResponse({"error": "body too large"}, status_code=413)
        try:
            event = parse_webhook(payload, request.headers.get("stripe-signature"), secret, tolerance)
        except InvalidWebhook as error:
            log.warning("refused a Stripe webhook: %s", error)
            return JSONResponse({"error": "invalid signature or payload"}, status_code=400)
        outcome = await apply_payment_event(event, gateway)
        return JSONResponse({"received": True, "event": event.event_id, "outcome": outcome.value})

    return Route("/webhooks/stripe", stripe_webhook, methods=["POST"])
