"""The outbound worker each server process runs: partner webhooks and emails from the outbox.

Every `interval` seconds, and at once when an order changes in this process,
it turns new outbox events into deliveries and emails, claims the ones that
are due and sends them. Each webhook POST runs as a task of its own, with
one deadline for the whole attempt, and a subscription has at most one
delivery in flight, so a slow or dead endpoint holds up only its own
subscription, never a checkout, an email or the other partners. At most
`MAX_IN_FLIGHT` POSTs run at once per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial

from commerce.outbound import delivery, mail
from commerce.outbound.mailer import Mailer, mailer_for
from shopgraph.settings import Settings

__all__ = ["OutboundWorker"]

log = logging.getLogger("shopgraph.outbound")
MAX_IN_FLIGHT = 50


class OutboundWorker:
    def __init__(self, settings: Settings, mailer: Mailer | None = None) -> None:
        self.interval = settings.outbound_interval or 1.0
        self.policy = delivery.DeliveryPolicy(
            timeout=settings.webhook_timeout, retry_base=settings.webhook_retry_base,
            retry_window=settings.webhook_retry_window, allow_private=settings.webhooks_allow_private,
        )
        self.mail_policy = mail.MailPolicy(settings.mail_from, language=settings.language)
        self.mailer = mailer or mailer_for(settings.smtp_url, settings.mail_dir, require_tls=settings.production)
        self._wake = asyncio.Event()
        self._sending: dict[int, asyncio.Task[bool]] = {}  # by delivery id
        self._open = False
        self._task: asyncio.Task[None] | None = None
        self._mailing: asyncio.Task[int] | None = None

    def wake(self, _payload: str = "") -> None:
        """Run a pass now (an order changed)."""
        self._wake.set()

    async def open(self) -> None:
        """Ready to send (`run_once`, `drain`) without running in the background."""
        log.info("emails go to %s", self.mailer.describe())
        self._open = True

    async def start(self) -> None:
        await self.open()
        self._task = asyncio.create_task(self._run_forever())

    async def stop(self, grace: float = 0.0) -> None:
        """Stops passing; sends in flight get up to `grace` seconds to finish, then are
        cancelled (their leases expire and another pass sends them again)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        in_flight = [*self._sending.values(), *([self._mailing] if self._mailing else [])]
        if in_flight and grace > 0:
            await asyncio.wait(in_flight, timeout=min(grace, self.policy.timeout + 1))
        for task in in_flight:
            task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
        self._open = False

    @property
    def in_flight(self) -> int:
        """Webhook POSTs running now in this process."""
        return len(self._sending)

    async def _run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # a failed pass must not stop the next one
                log.exception("outbound pass failed")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()

    async def run_once(self) -> int:
        """Fans out new events, starts the due webhook sends and the due emails; returns
        how much it found to do (events read, deliveries started)."""
        work = await delivery.stop_for_ended_keys()
        while read := await delivery.fan_out():
            work += read
        while read := await mail.fan_out(self.mail_policy):
            work += read
        room = MAX_IN_FLIGHT - len(self._sending)
        if room > 0 and self._open:
            for claimed in await delivery.claim_deliveries(self.policy, limit=room):
                if claimed.id in self._sending:
                    continue  # still in flight here; its outcome will clear the claim
                task = asyncio.create_task(delivery.send(claimed, self.policy))
                self._sending[claimed.id] = task
                task.add_done_callback(partial(self._sent, claimed.id))
                work += 1
        if self._mailing is None or self._mailing.done():
            self._mailing = asyncio.create_task(mail.send_due(self.mailer, self.mail_policy))
        return work

    def _sent(self, delivery_id: int, task: asyncio.Task[bool]) -> None:
        self._sending.pop(delivery_id, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("webhook send failed", exc_info=task.exception())
        elif not task.cancelled():
            self._wake.set()  # the subscription's next delivery may be due now

    async def drain(self, timeout: float = 30.0) -> None:
        """Passes until a pass finds nothing to do and nothing is in flight (tests, commands)."""
        async def until_idle() -> None:
            while True:
                work = await self.run_once()
                mailing, self._mailing = self._mailing, None
                results = await asyncio.gather(*self._sending.values(), mailing, return_exceptions=True)
                if not work and not self._sending and not (isinstance(results[-1], int) and results[-1]):
                    return
        await asyncio.wait_for(until_idle(), timeout)
