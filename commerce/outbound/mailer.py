"""How an email leaves the shop: over SMTP, or as an `.eml` file when no server is set.

`SMTP_URL` is `smtp://user:password@host:587` (STARTTLS when the server offers
it) or `smtps://user:password@host:465` (TLS from the start). With
`require_tls` (production) an `smtp://` server must offer STARTTLS: one that
does not fails the send, which is tried again later; nothing goes out in plain
text. Without `SMTP_URL`, messages are written to a directory, one `.eml` file
each, to open in any mail program. The password is never logged nor in a
`repr` (`describe` leaves it out).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

__all__ = ["Mailer", "SmtpMailer", "DirectoryMailer", "MailerError", "mailer_for"]


class MailerError(Exception):
    """The message could not be handed over; it is tried again later."""


class Mailer(Protocol):
    async def send(self, message: EmailMessage, name: str) -> None: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class SmtpMailer:
    hostname: str
    port: int
    username: str | None
    password: str | None = field(repr=False)
    implicit_tls: bool = False
    timeout: float = 30.0
    require_tls: bool = False  # an smtp:// server that does not offer STARTTLS is refused

    @classmethod
    def from_url(cls, url: str, *, require_tls: bool = False) -> "SmtpMailer":
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:password@host:587 or smtps://…")
        implicit = parts.scheme == "smtps"
        return cls(parts.hostname, parts.port or (465 if implicit else 587),
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None, implicit, require_tls=require_tls)

    async def send(self, message: EmailMessage, name: str) -> None:
        # start_tls: None upgrades when the server offers STARTTLS, True insists on it.
        start_tls = False if self.implicit_tls else (True if self.require_tls else None)
        try:
            await aiosmtplib.send(
                message, hostname=self.hostname, port=self.port, username=self.username, password=self.password,
                use_tls=self.implicit_tls, start_tls=start_tls, timeout=self.timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            raise MailerError(f"{type(error).__name__}: {error}") from None

    def describe(self) -> str:
        user = f"{self.username}@" if self.username else ""
        required = " (TLS required)" if self.require_tls and not self.implicit_tls else ""
        return f"{'smtps' if self.implicit_tls else 'smtp'}://{user}{self.hostname}:{self.port}{required}"


@dataclass(frozen=True)
class DirectoryMailer:
    directory: Path

    async def send(self, message: EmailMessage, name: str) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.directory / f"{name}.eml"
            partial = target.with_suffix(".eml.partial")
            partial.write_bytes(bytes(message))
            os.replace(partial, target)
        except OSError as error:
            raise MailerError(f"{type(error).__name__}: {error}") from None

    def describe(self) -> str:
        return f".eml files in {self.directory.resolve()}"


def mailer_for(smtp_url: str, mail_dir: str, *, require_tls: bool = False) -> Mailer:
    return SmtpMailer.from_url(smtp_url, require_tls=require_tls) if smtp_url else DirectoryMailer(Path(mail_dir))
