"""The SSRF guard: a webhook goes only to public addresses, and to the very address that was checked.

Host names are answered by a resolver the test plugs in (`urls.set_resolver`),
as a hostile DNS server would answer: differently from one question to the next.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import time
from dataclasses import replace

import httpx
import pytest

from commerce.outbound import posting, urls
from shopgraph.app import create_app
from shopgraph.emulator import free_port
from shopgraph.outbound import OutboundWorker
from tests.drip_partner import counting_listener
from tests.graph.accounts.test_accounts import api_key, as_
from tests.graph.outbound.test_partner_webhooks import CREATE, DELIVERIES, partner
from tests.stripe_events import paid_order
from tests.webhook_receiver import running_receiver

PUBLIC = "93.184.215.14"  # a globally routable address (nothing here ever connects to it)


class HostileDns:
    """Answers each question about a name with the next of its answers (the last one from then on)."""

    def __init__(self, **answers: list[list[str]]) -> None:
        self.answers = {name.replace("_", "."): list(a) for name, a in answers.items()}
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        answers = self.answers[host]
        return answers.pop(0) if len(answers) > 1 else answers[0]


@pytest.fixture
def dns():
    made: list[HostileDns] = []

    def plug(**answers: list[list[str]]) -> HostileDns:
        made.append(HostileDns(**answers))
        urls.set_resolver(made[-1])
        return made[-1]

    yield plug
    urls.set_resolver(None)


@pytest.fixture(scope="module")
def settings(settings):
    """`gql` as in tests and local development (SHOPGRAPH_WEBHOOKS_ALLOW_PRIVATE=1); `public_only` as deployed."""
    return replace(settings, webhooks_allow_private=True)


@pytest.fixture(scope="module")
async def public_only(settings, gateway):
    """The API as deployed: webhooks only to https on public addresses."""
    app = create_app(replace(settings, webhooks_allow_private=False), gateway=gateway, manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shopgraph.test") as http:
        yield http


async def worker_for(settings, tmp_path, **changes) -> OutboundWorker:
    worker = OutboundWorker(replace(settings, mail_dir=str(tmp_path / "mail"), webhook_timeout=1.0, **changes))
    await worker.open()
    return worker


@pytest.mark.parametrize("url", [
    "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
    "https://[::ffff:7f00:1]/hook",  # the same, in hex
    "https://[::127.0.0.1]/hook",  # IPv4-compatible loopback
    "https://[::a9fe:a9fe]/hook",  # IPv4-compatible 169.254.169.254 (cloud metadata)
    "https://[64:ff9b::7f00:1]/hook",  # NAT64 of 127.0.0.1
    "https://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
    "https://[64:ff9b:1::808:808]/hook",  # local-use NAT64, whatever it carries
    "https://[2002:7f00:1::1]/hook",  # 6to4 of 127.0.0.1
    "https://[2002:c0a8:1::1]/hook",  # 6to4 of 192.168.0.1
    "https://[2001:0:808:808::80ff:fffe]/hook",  # Teredo, client 127.0.0.1
    "https://[fc00::1]/hook", "https://[fd12:3456::1]/hook",  # unique local
    "https://[fe80::1]/hook", "https://[fec0::1]/hook",  # link-local, site-local
    "https://[::1]/hook", "https://[::]/hook", "https://[ff02::1]/hook",  # loopback, unspecified, multicast
    "https://2130706433/hook", "https://0x7f000001/hook", "https://127.1/hook",  # 127.0.0.1 spelled oddly
    "https://0177.0.0.1/hook", "https://0x7f.0.0.1/hook",  # octal, hex parts
    "https://100.64.0.1/hook",  # carrier-grade NAT
    "https://224.0.0.1/hook", "https://240.0.0.1/hook", "https://0.0.0.0/hook",  # multicast, reserved, this host
    "https://198.18.0.1/hook",  # benchmarking
    "https://192.0.0.8/hook", "https://[::ffff:192.0.0.170]/hook",  # IETF protocol assignments (IPv4 dummy, NAT64 discovery)
    "https://[::ffff:0:7f00:1]/hook", "https://[::ffff:0:a9fe:a9fe]/hook",  # IPv4-translated loopback, metadata
    "https://[3fff::1]/hook", "https://[5f00::1]/hook", "https://[100:0:0:1::1]/hook",  # documentation, SRv6, dummy
    "https://rebind.partner.example/hook",  # one of its addresses is private
])
async def test_every_spelling_of_a_private_address_is_refused_at_create(public_only, gql, dns, url):
    dns(rebind_partner_example=[[PUBLIC, "10.0.0.7"]])
    client = as_(type(gql)(public_only), await api_key("webhooks:write", "orders:read"))
    refused = (await client.data(CREATE, {"url": url, "topics": ["ORDER_PAID"]}))["webhookSubscriptionCreate"]
    assert refused["webhookSubscription"] is None and refused["secret"] is None
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("INVALID", ["url"])]


async def test_a_public_name_that_resolves_to_loopback_at_delivery_is_not_called(
        public_only, gql, dns, settings, tmp_path):
    port = free_port()
    dns(partner_example=[[PUBLIC], ["127.0.0.1"]])  # public when checked at create, loopback afterwards
    client = as_(type(gql)(public_only), await api_key("webhooks:write", "orders:read"))
    made = (await client.data(CREATE, {"url": f"https://partner.example:{port}/hook", "topics": ["ORDER_PAID"]}))[
        "webhookSubscriptionCreate"]
    assert made["userErrors"] == []
    worker = await worker_for(settings, tmp_path, webhooks_allow_private=False)
    try:
        async with counting_listener("127.0.0.1", port) as connections:
            await paid_order(gql)
            await worker.run_once()
            await worker.drain()
            await asyncio.sleep(0.2)
    finally:
        await worker.stop()
    assert connections == []
    [refused] = (await client.data(DELIVERIES, {"s": made["webhookSubscription"]["id"]}))[
        "webhookDeliveries"]["nodes"]
    assert refused["status"] == "PENDING" and refused["lastStatusCode"] is None
    assert refused["lastError"] == "refused: partner.example resolves to an address that is not public."


@pytest.fixture(scope="module")
def partner_certificate(tmp_path_factory) -> tuple[str, str]:
    """A certificate for partner.test only (no IP address in it)."""
    folder = tmp_path_factory.mktemp("tls")
    certificate, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=partner.test",
                    "-addext", "subjectAltName=DNS:partner.test"], check=True, capture_output=True)
    return certificate, key


async def test_the_connection_goes_to_the_checked_address_with_the_name_in_sni_and_host(
        gql, dns, settings, tmp_path, partner_certificate, monkeypatch):
    """The name resolves to 127.0.0.1 for create and for the attempt's one lookup, and to a
    decoy (127.0.0.2, same port) from then on: a second lookup would go to the decoy."""
    certificate, _ = partner_certificate
    trust = ssl.create_default_context(cafile=certificate)
    monkeypatch.setattr(posting, "_tls", lambda: trust)
    port = free_port()
    resolver = dns(partner_test=[["127.0.0.1"], ["127.0.0.1"], ["127.0.0.2"]])
    worker = await worker_for(settings, tmp_path, webhooks_allow_private=True)
    await worker.drain()
    try:
        async with running_receiver("127.0.0.1", port, tls=partner_certificate) as receiver, \
                counting_listener("127.0.0.2", port) as decoy:
            client, subscription, _ = await partner(gql, f"https://partner.test:{port}/hook", ["ORDER_PAID"])
            await paid_order(gql)
            started = time.monotonic()
            await worker.drain()
    finally:
        await worker.stop()
    assert time.monotonic() - started < 5
    assert resolver.asked == ["partner.test", "partner.test"]  # create, then once for the attempt
    assert decoy == []
    [received] = receiver.received
    assert received.headers["host"] == f"partner.test:{port}"  # TLS verified partner.test: SNI carried the name
    [sent] = (await client.data(DELIVERIES, {"s": subscription["id"]}))["webhookDeliveries"]["nodes"]
    assert (sent["status"], sent["lastStatusCode"]) == ("SUCCEEDED", 200)
