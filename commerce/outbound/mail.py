"""Emails to shoppers, from the outbox: rendered once per event, sent until they go.

- an order confirmation when an order is paid (or authorized), once per order;
- a shipping confirmation when a fulfillment is made, with its tracking when it has one;
- a refund notice for each refund.

`fan_out` reads the outbox past the `mail` consumer's position and renders
each message (text and HTML, Jinja2 templates in `templates/`) into an
`EmailMessage` row, unique per event, so a message is made once however many
workers read the outbox. A message speaks the order's language (the buyer's at
checkout, else the shop's): `templates/<language>/<kind>.txt|html` (such as
`templates/de/order_confirmation.html`) and that language's subject, or the
English ones (`templates/<kind>.*`) when the language has none for this kind. `send_due` claims pending messages and hands them to
the mailer; a failure is tried again with backoff, never blocking a checkout.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, make_msgid
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from tortoise.transactions import in_transaction

from commerce.money import to_decimal
from commerce.outbound.claims import backoff, claim_due
from commerce.outbound.delivery import ensure_consumer
from commerce.outbound.mailer import Mailer, MailerError
from commerce.outbound.outbox import events_after
from models import (
    DeliveryStatus, EmailKind, EmailMessage, Fulfillment, FulfillmentLine, OrderEvent, OrderEventType, OrderLine,
    Order, OutboxConsumer, Payment, Translation,
)

__all__ = ["MailPolicy", "fan_out", "send_due", "render", "mime_message"]

log = logging.getLogger("shopgraph.mail")
CONSUMER = "mail"
_LEASE = timedelta(minutes=2)  # longer than an SMTP conversation may take (30 s timeout)
_KIND_OF = {
    OrderEventType.ORDER_PAID: EmailKind.ORDER_CONFIRMATION,
    OrderEventType.ORDER_AUTHORIZED: EmailKind.ORDER_CONFIRMATION,
    OrderEventType.ORDER_FULFILLED: EmailKind.SHIPPING_CONFIRMATION,
    OrderEventType.ORDER_REFUNDED: EmailKind.REFUND_NOTICE,
}
_SUBJECT = {  # per language: a language has a subject exactly for the kinds it has templates for
    "EN": {
        EmailKind.ORDER_CONFIRMATION: "Order {number} confirmed",
        EmailKind.SHIPPING_CONFIRMATION: "Order {number} has shipped",
        EmailKind.REFUND_NOTICE: "A refund on order {number}",
    },
    "DE": {
        EmailKind.ORDER_CONFIRMATION: "Bestellung {number} bestätigt",
    },
}
_templates = Environment(
    loader=PackageLoader("commerce.outbound", "templates"),
    autoescape=select_autoescape(["html"]), undefined=StrictUndefined, keep_trailing_newline=True,
)


class MailPolicy:
    def __init__(self, sender: str, shop_name: str = "shopgraph", retry_base: float = 30.0,
                 language: str = "EN") -> None:
        self.sender, self.shop_name, self.retry_base = sender, shop_name, retry_base
        self.language = language  # the shop's: for orders that did not store one


def _money(minor: int, currency: str) -> str:
    return f"{to_decimal(minor, currency)} {currency}"


async def _fulfillment(event: OrderEvent) -> Fulfillment | None:
    """The fulfillment an ORDER_FULFILLED event announced (made in the same transaction)."""
    return await Fulfillment.filter(order_id=event.order_id, created_at__lte=event.created_at).order_by("-id").first()


def _tracking(fulfillment: Fulfillment | None) -> dict[str, str] | None:
    if fulfillment is None or not fulfillment.tracking_number:
        return None
    return {"company": fulfillment.tracking_company or "", "number": fulfillment.tracking_number,
            "url": fulfillment.tracking_url or ""}


async def _lines(order_id: str, fulfillment: Fulfillment | None) -> list[tuple[OrderLine, int]]:
    """The order's lines, or what of them this fulfillment ships."""
    lines = await OrderLine.filter(order_id=order_id).order_by("id")
    if fulfillment is None:
        return [(line, line.quantity) for line in lines]
    shipped = dict(await FulfillmentLine.filter(fulfillment_id=fulfillment.id).values_list("order_line_id", "quantity"))
    return [(line, shipped[line.id]) for line in lines if line.id in shipped]


async def _titles(lines: list[tuple[OrderLine, int]], language: str) -> dict[int, str]:
    """The products' titles in `language`, where the catalog has them (a line keeps its copied title otherwise)."""
    product_ids = [line.product_id for line, _ in lines if line.product_id is not None]
    if not product_ids:
        return {}
    return dict(await Translation.filter(resource_kind="product", language=language, key="title",
                                         resource_id__in=product_ids).values_list("resource_id", "value"))


async def _context(event: OrderEvent, kind: EmailKind, shop_name: str, language: str) -> dict[str, Any]:
    row = json.loads(event.snapshot)
    currency = row["currency"]
    payment = await Payment.get_or_none(order_id=row["id"])
    fulfillment = await _fulfillment(event) if kind is EmailKind.SHIPPING_CONFIRMATION else None
    lines = await _lines(row["id"], fulfillment)
    titles = await _titles(lines, language)
    return {
        "shop_name": shop_name,
        "order": {"number": row["number"], "email": row["email"], "subtotal": _money(row["subtotal"], currency),
                  "total": _money(row["total"], currency), "free": row["total"] == 0},
        "lines": [{"title": titles.get(line.product_id, line.title), "quantity": quantity, "total": _money(line.unit_price * quantity, currency)}
                  for line, quantity in lines],
        "payment": payment and {"card_brand": payment.card_brand, "card_last4": payment.card_last4},
        "refunded": _money(payment.amount_refunded if payment else 0, currency),
        "tracking": _tracking(fulfillment),
    }


async def _language(order_id: str, shop_language: str) -> str:
    """The language the order's emails speak: the buyer's, when they have templates in it; else English."""
    language = await Order.filter(id=order_id).first().values_list("language", flat=True) or shop_language
    return language if language in _SUBJECT else "EN"


async def render(event: OrderEvent, kind: EmailKind, shop_name: str, shop_language: str = "EN") -> tuple[str, str, str]:
    """(subject, text, html) of the email `kind` for `event`, in the order's language."""
    language = await _language(event.order_id, shop_language)
    if kind not in _SUBJECT[language]:
        language = "EN"
    context = await _context(event, kind, shop_name, language)
    subject = _SUBJECT[language][kind].format(number=context["order"]["number"])
    context["subject"] = subject
    folder = "" if language == "EN" else f"{language.lower()}/"
    text = _templates.get_template(f"{folder}{kind.value}.txt").render(context)
    html = _templates.get_template(f"{folder}{kind.value}.html").render(context)
    return subject, text, html


async def _wanted(event: OrderEvent, kind: EmailKind) -> bool:
    """One confirmation per order (authorised, then paid, is one order); no shipping
    email for a fulfillment made with `notifyCustomer: false`."""
    if kind is EmailKind.ORDER_CONFIRMATION:
        return not await EmailMessage.exists(order_id=event.order_id, kind=kind)
    if kind is EmailKind.SHIPPING_CONFIRMATION:
        fulfillment = await _fulfillment(event)
        return fulfillment is None or fulfillment.notify_customer
    return True


async def fan_out(policy: MailPolicy, batch: int = 100) -> int:
    """Renders the emails new outbox events call for; returns how many events it read."""
    await ensure_consumer(CONSUMER)
    async with in_transaction():
        consumer = await OutboxConsumer.filter(name=CONSUMER).select_for_update().first()
        events = await events_after(consumer.position, batch)
        now = datetime.now(timezone.utc)
        for event in events:
            kind = _KIND_OF.get(event.type)
            if kind is None or not await _wanted(event, kind):
                continue
            subject, text, html = await render(event, kind, policy.shop_name, policy.language)
            await EmailMessage.create(event_id=event.id, order_id=event.order_id, kind=kind,
                                      recipient=json.loads(event.snapshot)["email"], subject=subject,
                                      text=text, html=html, next_attempt_at=now)
        if events:
            consumer.position = events[-1].sequence
            await consumer.save(update_fields=["position"])
    return len(events)


def mime_message(message: EmailMessage, sender: str) -> MimeMessage:
    mime = MimeMessage()
    mime["From"], mime["To"], mime["Subject"] = sender, message.recipient, message.subject
    mime["Date"] = formatdate(message.created_at.timestamp(), usegmt=True)
    mime["Message-ID"] = make_msgid(idstring=f"shopgraph-{message.id}", domain=sender.rpartition("@")[2] or None)
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    return mime


async def send_due(mailer: Mailer, policy: MailPolicy, limit: int = 20) -> int:
    """Sends the emails that are due, one claim each; returns how many went."""
    now = datetime.now(timezone.utc)
    sent = 0
    for message in await claim_due(EmailMessage, now, _LEASE, limit):
        try:
            await mailer.send(mime_message(message, policy.sender), f"{message.id:06d}-{message.kind.value}")
        except MailerError as error:
            log.warning("email %s to order %s not sent (%s); trying again later", message.id, message.order_id, error)
            message.last_error = str(error)[:500]
            message.failing_since = message.failing_since or now
            message.next_attempt_at = datetime.now(timezone.utc) + backoff(policy.retry_base, message.attempt_count)
        else:
            message.status, message.sent_at, message.last_error = DeliveryStatus.SUCCEEDED, now, None
            sent += 1
        message.claimed_until = None
        await message.save(update_fields=["status", "sent_at", "last_error", "failing_since", "next_attempt_at",
                                          "claimed_until"])
    return sent
