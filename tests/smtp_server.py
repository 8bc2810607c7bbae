"""A real SMTP server for tests (aiosmtpd) on a free port, keeping what arrives."""

from __future__ import annotations

import contextlib
import email
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from shopgraph.emulator import free_port

USER, PASSWORD = "shop", "s3cret pass"


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == (
            USER, PASSWORD)
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)


@contextlib.contextmanager
def smtp_server(port: int | None = None) -> Iterator[tuple[Inbox, str]]:
    """Yields the inbox and an `SMTP_URL` with the credentials the server accepts."""
    inbox = Inbox()
    port = port or free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=inbox.authenticate,
                            auth_require_tls=False)
    controller.start()
    try:
        yield inbox, f"smtp://{USER}:s3cret%20pass@127.0.0.1:{port}"
    finally:
        controller.stop()
