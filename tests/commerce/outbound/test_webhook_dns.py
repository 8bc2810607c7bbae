"""A partner whose DNS answers slowly delays only its own deliveries, not another partner's.

A lookup cannot be cut short: `getaddrinfo` runs on a thread until the system
resolver gives up, long after the attempt's deadline. Here the system resolver
is made slow (3 s) for the partners' names under `slow.test`, while `localhost`
answers at once; the healthy partner is a real server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from commerce.outbound import posting
from tests.webhook_receiver import running_receiver

SLOW_SECONDS = 3.0


@pytest.fixture
def slow_dns(monkeypatch):
    real = socket.getaddrinfo
    done = threading.Event()

    def getaddrinfo(host, *args, **kwargs):
        if str(host).endswith("slow.test"):
            done.wait(SLOW_SECONDS)  # as a resolver waiting for a name server that never answers
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
    done.set()  # let the lookups still waiting end with the test


async def _healthy_partner_answers(url: str) -> None:
    answer = await posting.post_webhook(url, b"{}", {"content-type": "application/json"}, deadline=1.0,
                                        allow_private=True)
    assert (answer.status_code, answer.error) == (200, None)


async def test_partners_with_slow_dns_do_not_hold_up_the_lookups_of_another_partner(slow_dns):
    async with running_receiver() as healthy:
        healthy_url = healthy.url.replace("127.0.0.1", "localhost")
        slow = [posting.post_webhook(f"http://p{i}.slow.test/hook", b"{}", {}, deadline=0.5, allow_private=True)
                for i in range(10)]
        answers = await asyncio.gather(*slow)
        assert {a.error for a in answers} == {"no answer within 0.5 s"}
        # The slow lookups are still running on their threads; the healthy partner's is not behind them.
        await _healthy_partner_answers(healthy_url)


async def test_a_slow_name_tried_again_and_again_is_looked_up_once_at_a_time(slow_dns):
    """Attempts at one slow name share its lookup: they do not take a thread each."""
    async with running_receiver() as healthy:
        for _ in range(3):
            attempts = [posting.post_webhook("http://partner.slow.test/hook", b"{}", {}, deadline=0.2,
                                             allow_private=True) for _ in range(100)]
            assert {a.error for a in await asyncio.gather(*attempts)} == {"no answer within 0.2 s"}
        await _healthy_partner_answers(healthy.url.replace("127.0.0.1", "localhost"))
