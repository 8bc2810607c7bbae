"""Log formats: one JSON object per line or plain text, both masking secrets."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys

import pytest

from shopgraph.logs import JsonFormatter, RequestInfo, TextFormatter, current_request, logging_config, redact

SECRETS = {
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc": "sk_test_***",
    "whsec_abcdef123456": "whsec_***",
    "pi_3Mtw_secret_YrKJUKribcBjcG8HVhfZluoGH": "pi_3Mtw_secret_***",
    "sgk_Zm9vYmFyYmF6cXV4cXV1eA": "sgk_***",
    "sgc_Zm9vYmFyYmF6cXV4cXV1eA": "sgc_***",
    "Bearer eyJhbGciOi.x.y": "Bearer ***",
    "postgres://shop:hunter2@db:5432/shop": "postgres://shop:***@db:5432/shop",
}


@pytest.mark.parametrize("secret, masked", SECRETS.items(), ids=[
    "stripe-key", "webhook-secret", "client-secret", "api-key", "session-token", "bearer", "url-password"])
def test_redact_masks_each_kind_of_secret(secret, masked):
    assert redact(f"before {secret} after") == f"before {masked} after"


def test_redact_leaves_ordinary_text_alone():
    text = "order 1042 PAID pi_3Mtw card 4242 postgres://postgres@127.0.0.1:5432/shop"
    assert redact(text) == text


def _write(formatter: logging.Formatter, message: str, *args, **extra) -> str:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    logger = logging.getLogger("shopgraph.test-logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise RuntimeError("with sk_test_inTheTraceback")
        except RuntimeError:
            logger.error(message, *args, exc_info=True, extra=extra)
    finally:
        logger.removeHandler(handler)
    return out.getvalue()


@pytest.mark.parametrize("formatter", [TextFormatter(), JsonFormatter()], ids=["text", "json"])
def test_both_formats_mask_messages_arguments_and_tracebacks(formatter):
    key = "sk_" + "live_" + "NOT" + "AREALKEY0"  # made at run time: key-shaped, so the masking must catch it
    written = _write(formatter, "calling with %s", key)
    assert key not in written and "sk_live_***" in written
    assert "inTheTraceback" not in written and "RuntimeError" in written


def test_a_json_line_names_the_request_its_operation_and_outcome():
    state = {"operation": "checkout"}
    token = current_request.set(RequestInfo("req-123", state))
    try:
        written = _write(JsonFormatter(), "POST /graphql 200", outcome="ok", duration_ms=12.5, status=200)
    finally:
        current_request.reset(token)
    (line,) = written.splitlines()  # one line, traceback included
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "shopgraph.test-logs"
    assert entry["request_id"] == "req-123" and entry["operation"] == "checkout"
    assert entry["outcome"] == "ok" and entry["duration_ms"] == 12.5 and entry["status"] == 200
    assert entry["time"].endswith("+00:00") and "RuntimeError" in entry["exception"]


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="SHOPGRAPH_LOG_FORMAT"):
        logging_config("xml")
    done = subprocess.run([sys.executable, "-m", "shopgraph.cli", "export-schema"], capture_output=True, text=True,
                          env={"SHOPGRAPH_LOG_FORMAT": "xml", "PATH": "/usr/bin:/bin"})
    assert done.returncode != 0 and "SHOPGRAPH_LOG_FORMAT" in done.stderr


# Secret values no masking pattern knows, so only the objects themselves can keep them out.
PLAIN_SECRETS = {
    "STRIPE_SECRET_KEY": "stripe-key-b7c1e0", "STRIPE_WEBHOOK_SECRET": "webhook-secret-5d2a91",
    "SHOPGRAPH_METRICS_TOKEN": "metrics-token-8e4f03", "SMTP_URL": "smtp://shop:smtp-pass-3a9c77@mail.example:587",
    "DATABASE_URL": "postgres://shop:db-pass-61f0d2@db:5432/shop", "REDIS_URL": "redis://:redis-pass-c4e815@cache:6379/0",
}
SECRET_PARTS = ["stripe-key-b7c1e0", "webhook-secret-5d2a91", "metrics-token-8e4f03", "smtp-pass-3a9c77",
                "db-pass-61f0d2", "redis-pass-c4e815", "partner-secret-0f9e2b", "key-hash-1d7a6c"]


def _holders_of_secrets() -> list[object]:
    from pathlib import Path

    from commerce.outbound.mailer import mailer_for
    from commerce.throttle import RedisStore
    from models import ApiKey, WebhookSubscription
    from payments.stripe_gateway import StripeGateway
    from shopgraph.settings import load_settings

    settings = load_settings(environ={**PLAIN_SECRETS, "SHOPGRAPH_ENV": "production"}, dotenv=Path("/nonexistent"))
    mailer = mailer_for(settings.smtp_url, settings.mail_dir, require_tls=True)
    return [
        settings, StripeGateway(settings.stripe_secret_key), mailer, mailer.describe(),
        RedisStore(settings.redis_url, "shop"),
        WebhookSubscription(id=7, url="https://partner.example/hook", topics="ORDER_PAID", secret="partner-secret-0f9e2b"),
        ApiKey(id=3, name="partner", prefix="sgk_abc", key_hash="key-hash-1d7a6c", scopes="orders:read"),
    ]


def test_no_secret_in_a_repr_or_a_log_line():
    holders = _holders_of_secrets()
    shown = [repr(holder) for holder in holders] + [str(holder) for holder in holders]
    for formatter in (TextFormatter(), JsonFormatter()):
        shown += [_write(formatter, "%r %s", holder, holder) for holder in holders]
    leaked = {secret for secret in SECRET_PARTS if any(secret in text for text in shown)}
    assert leaked == set()


def test_a_failed_send_names_no_smtp_password():
    import asyncio
    from email.message import EmailMessage

    from commerce.outbound.mailer import MailerError, SmtpMailer
    from shopgraph.emulator import free_port

    mailer = SmtpMailer.from_url(f"smtp://shop:smtp-pass-3a9c77@127.0.0.1:{free_port()}", require_tls=True)
    with pytest.raises(MailerError) as refused:
        asyncio.run(mailer.send(EmailMessage(), "x"))
    assert "smtp-pass-3a9c77" not in str(refused.value) and "smtp-pass-3a9c77" not in repr(refused.value)
