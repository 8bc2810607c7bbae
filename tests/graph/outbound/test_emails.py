"""Emails to shoppers from the outbox, received by a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from email import message_from_bytes
from email.policy import default

import pytest

from shopgraph.emulator import free_port
from shopgraph.outbound import OutboundWorker
from tests.graph.accounts.test_accounts import api_key, as_
from tests.shop import cart_with, checkout, make_product
from tests.smtp_server import smtp_server
from tests.stripe_events import paid_order

FULFIL = """mutation($o: ID!, $lines: [FulfillmentLineInput!], $notify: Boolean!) {
  fulfillmentCreate(orderId: $o, lines: $lines, notifyCustomer: $notify,
                    tracking: {company: "UPS", number: "1Z999AA10123456784", url: "https://ups.example/track/1Z999"}) {
    userErrors { code } } }"""
LINES = "query($o: ID!) { order(id: $o) { lines { id } } }"
REFUND = "mutation($o: ID!) { refundOrder(orderId: $o, amount: \"4.00\") { userErrors { code } } }"


async def mail_worker(settings, **changes) -> OutboundWorker:
    worker = OutboundWorker(replace(settings, mail_from="Oak & Iron <shop@oak.example>", **changes))
    worker.mail_policy.retry_base = 0.1
    await worker.open()
    return worker


def parts(message) -> tuple[str, str]:
    return (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())


async def test_a_paid_order_is_confirmed_once_and_its_shipping_and_refund_are_told(gql, settings, tmp_path):
    with smtp_server() as (inbox, url):
        worker = await mail_worker(settings, smtp_url=url)
        await worker.drain()
        inbox.messages.clear()
        staff = as_(gql, await api_key("orders:write", "orders:read"))
        order, product = await paid_order(gql, price=2500, quantity=2)
        await worker.drain()
        await worker.drain()  # a second pass sends nothing twice

        [confirmation] = inbox.messages
        assert inbox.logins and set(inbox.logins) == {"shop"}
        assert confirmation["To"] == "shopper@example.com" and confirmation["From"] == "Oak & Iron <shop@oak.example>"
        assert confirmation["Subject"] == f"Order {order['number']} confirmed"
        text, html = parts(confirmation)
        assert "Test Product x 2: 50.00 USD" in text and "Total: 50.00 USD" in text
        assert "Visa ending in 4242" in text
        assert "<strong>" + order["number"] + "</strong>" in html and "50.00 USD" in html

        [line] = (await staff.data(LINES, {"o": order["id"]}))["order"]["lines"]
        one = [{"orderLineId": line["id"], "quantity": 1}]
        # One unit shipped quietly, then the other with the customer told.
        for notify in (False, True):
            made = await staff.data(FULFIL, {"o": order["id"], "lines": one, "notify": notify})
            assert made["fulfillmentCreate"]["userErrors"] == []
        assert (await staff.data(REFUND, {"o": order["id"]}))["refundOrder"]["userErrors"] == []
        await worker.drain()
        shipped, refunded = inbox.messages[1:]
        assert shipped["Subject"] == f"Order {order['number']} has shipped"
        text, html = parts(shipped)
        assert "UPS tracking number: 1Z999AA10123456784" in text and "Test Product x 1" in text
        assert 'href="https://ups.example/track/1Z999"' in html
        assert refunded["Subject"] == f"A refund on order {order['number']}"
        assert "4.00 USD of 50.00 USD has been refunded" in parts(refunded)[0]
        await worker.stop()


async def test_a_declined_checkout_sends_nothing(gql, settings):
    with smtp_server() as (inbox, url):
        worker = await mail_worker(settings, smtp_url=url)
        await worker.drain()
        inbox.messages.clear()
        declined = await checkout(gql, await cart_with(gql, (await make_product(700, 2), 1)), "pm_card_chargeCustomerFail")
        assert declined["order"]["status"] == "PAYMENT_FAILED"
        await worker.drain()
        assert inbox.messages == []
        await worker.stop()


async def test_a_send_that_fails_is_tried_again_until_the_server_takes_it(gql, settings):
    port = free_port()
    worker = await mail_worker(settings, smtp_url=f"smtp://127.0.0.1:{port}")
    await worker.drain()
    order, _ = await paid_order(gql)  # the checkout does not wait for the mail server
    await worker.drain()  # nobody listens on the port yet: the send fails and is rescheduled
    with smtp_server(port) as (inbox, _):
        await asyncio.sleep(0.3)
        await worker.drain()
        assert [m["Subject"] for m in inbox.messages] == [f"Order {order['number']} confirmed"]
    await worker.stop()


async def test_without_an_smtp_server_messages_are_written_as_eml_files(gql, settings, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="shopgraph.outbound")
    directory = tmp_path / "outbox-mail"
    worker = await mail_worker(settings, smtp_url="", mail_dir=str(directory))
    assert f".eml files in {directory}" in caplog.text
    await worker.drain()
    for old in directory.glob("*.eml"):
        old.unlink()
    order, _ = await paid_order(gql, price=1200)
    await worker.drain()
    [written] = sorted(directory.glob("*.eml"))
    message = message_from_bytes(written.read_bytes(), policy=default)
    assert message["Subject"] == f"Order {order['number']} confirmed"
    assert "Total: 12.00 USD" in parts(message)[0]
    await worker.stop()


@pytest.mark.parametrize("url", ["smtp://", "http://mail.example:25", "mail.example"])
def test_a_bad_smtp_url_stops_the_server_from_starting(settings, url):
    with pytest.raises(ValueError, match="SMTP_URL"):
        OutboundWorker(replace(settings, smtp_url=url))


async def test_an_authorised_order_is_confirmed_once_even_when_captured_later(gql, settings, gateway):
    """SHOPGRAPH_CAPTURE_METHOD=manual: the checkout authorises (ORDER_AUTHORIZED), orderCapture
    takes the money (ORDER_PAID); the shopper gets one confirmation."""
    import uuid

    from tests.graph.orders.test_fulfillment_capture import CAPTURE
    from tests.graph.outbound.test_order_events import poll
    from tests.stripe_events import app_client

    with smtp_server() as (inbox, url):
        worker = await mail_worker(settings, smtp_url=url)
        await worker.drain()
        inbox.messages.clear()
        async with app_client(replace(settings, capture_method="manual"), gateway) as http:
            staff = as_(type(gql)(http), await api_key("orders:read", "orders:write"))
            _, start = await poll(staff, None)
            result = await checkout(staff, await cart_with(staff, (await make_product(3000, 2), 1)), "pm_card_visa")
            assert result["order"]["status"] == "AUTHORIZED"
            await worker.drain()
            captured = await staff.data(CAPTURE, {"orderId": result["order"]["id"], "amount": None,
                                                  "key": uuid.uuid4().hex})
            assert captured["orderCapture"]["userErrors"] == []
            await worker.drain()
            events, _ = await poll(staff, start)
        assert [e["type"] for e in events] == ["ORDER_CREATED", "ORDER_AUTHORIZED", "ORDER_PAID"]
        assert [m["Subject"] for m in inbox.messages] == [f"Order {result['order']['number']} confirmed"]
        await worker.stop()
