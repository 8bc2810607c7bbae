"""Log lines: plain text (the default) or one JSON object per line.

`SHOPGRAPH_LOG_FORMAT=json` writes `{"time", "level", "logger", "message",
"request_id", "operation", "duration_ms", "outcome", …}` per line, for a log
collector. Both formats pass every message (and traceback) through `redact`,
which masks what must never be written down: Stripe keys and client secrets,
webhook signing secrets, session tokens and API keys, `Bearer` credentials and
passwords in URLs. The code also never logs them on purpose; this is the net
under it.

The request a line belongs to comes from a context variable that the request
middleware (`shopgraph.telemetry`) sets, so every line a request causes,
whichever module writes it, names the request.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = ["FORMATS", "RequestInfo", "current_request", "redact", "TextFormatter", "JsonFormatter", "logging_config"]

FORMATS = ("text", "json")


@dataclass
class RequestInfo:
    """What the log knows about the request being served."""

    request_id: str
    state: dict[str, Any] = field(default_factory=dict)  # the request's state: the GraphQL view puts `operation` there

    @property
    def operation(self) -> str | None:
        return self.state.get("operation")


current_request: ContextVar[RequestInfo | None] = ContextVar("shopgraph_request", default=None)

_SECRETS = [
    # Stripe secret and restricted keys, webhook signing secrets, client secrets.
    (re.compile(r"\b((?:sk|rk)_(?:live|test)_)[A-Za-z0-9_]+"), r"\1***"),
    (re.compile(r"\b(whsec_)[A-Za-z0-9_]+"), r"\1***"),
    (re.compile(r"\b((?:pi|seti)_[A-Za-z0-9]+_secret_)[A-Za-z0-9]+"), r"\1***"),
    # shopgraph's own session tokens and API keys (commerce.access prefixes).
    (re.compile(r"\b(sg[ck]_)[A-Za-z0-9_\-]{8,}"), r"\1***"),
    (re.compile(r"(?i)\b(bearer\s+)[^\s\"',;]+"), r"\1***"),
    # Passwords in URLs: scheme://user:password@host
    (re.compile(r"(\b[a-z][a-z0-9+.\-]*://[^:/@\s]*:)[^@/\s]+@"), r"\1***@"),
]


def redact(text: str) -> str:
    """`text` with every secret that matches a known shape masked."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class TextFormatter(logging.Formatter):
    """`2026-01-01 12:00:00,000 INFO shopgraph: message [request 1f3a…]`, redacted."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request = current_request.get()
        if request is not None:
            line += f" [request {request.request_id}]"
        return redact(line)


# Fields a record may carry (`extra=`) that the JSON line shows by name.
_EXTRA_FIELDS = ("method", "path", "status", "operation", "duration_ms", "outcome")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request = current_request.get()
        if request is not None:
            entry["request_id"] = request.request_id
            if request.operation:
                entry["operation"] = request.operation
        for name in _EXTRA_FIELDS:
            if record.__dict__.get(name) is not None:
                entry[name] = record.__dict__[name]
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


def logging_config(log_format: str = "text", level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for the CLI and for uvicorn (each worker applies it)."""
    if log_format not in FORMATS:
        raise ValueError(f"SHOPGRAPH_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    formatter = "shopgraph.logs.JsonFormatter" if log_format == "json" else "shopgraph.logs.TextFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"shopgraph": {"()": formatter}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "shopgraph", "stream": "ext://sys.stderr"},
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            # uvicorn's own lines go through the same handler and format.
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": True},
            "httpx": {"level": "WARNING"},  # one line per Stripe call is noise
        },
    }
