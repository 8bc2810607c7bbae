"""A real SMTP server for tests (aiosmtpd) on a free port, keeping what arrives;
with `starttls`, it offers STARTTLS with a self-signed certificate for 127.0.0.1."""

from __future__ import annotations

import contextlib
import email
import ssl
import subprocess
from pathlib import Path
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
    encrypted: list[bool] = field(default_factory=list)  # per message: whether it came over TLS

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        self.encrypted.append(session.ssl is not None)
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == (
            USER, PASSWORD)
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)


def self_signed_certificate(directory: Path) -> Path:
    """A certificate and key for 127.0.0.1 in one PEM file (made with the openssl command)."""
    pem, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(pem)],
                   check=True, capture_output=True)
    pem.write_text(pem.read_text() + key.read_text())
    return pem


@contextlib.contextmanager
def smtp_server(port: int | None = None, starttls: Path | None = None) -> Iterator[tuple[Inbox, str]]:
    """Yields the inbox and an `SMTP_URL` with the credentials the server accepts.

    `starttls`: the PEM (certificate and key) of a server that offers STARTTLS."""
    inbox = Inbox()
    port = port or free_port()
    tls = None
    if starttls is not None:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(starttls)
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=inbox.authenticate,
                            auth_require_tls=False, tls_context=tls)
    controller.start()
    try:
        yield inbox, f"smtp://{USER}:s3cret%20pass@127.0.0.1:{port}"
    finally:
        controller.stop()
