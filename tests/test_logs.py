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
