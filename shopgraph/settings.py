"""Settings from the environment (and a `.env` file in the working directory).

Every value has a safe default for local use; secrets have none and are never
logged. `TORTOISE_ORM` is what `tortoise makemigrations` / `migrate` read
through `[tool.tortoise]` in pyproject.toml.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Settings", "load_settings", "tortoise_config", "TORTOISE_ORM"]

DEFAULT_DATABASE_URL = "sqlite://shopgraph.db"


def _read_dotenv(path: Path) -> dict[str, str]:
    """Parse `KEY=value` lines; `#` comments and surrounding quotes are dropped."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""
    stripe_js_url: str = "https://js.stripe.com/v3/"
    host: str = "127.0.0.1"
    port: int = 8000
    currency: str = "USD"
    reconcile_interval: float = 60.0  # seconds between reconciler passes in the server; 0: never
    graphiql: bool = True
    introspection: bool = True
    response_cache: bool = True
    log_format: str = "text"  # or "json": one JSON object per line
    metrics_token: str = ""  # /metrics answers only to `Authorization: Bearer <this>`; empty: no /metrics
    shutdown_seconds: float = 30.0  # on SIGTERM, how long requests in flight may take to finish
    capture_method: str = "automatic"  # "manual": checkouts authorise, orderCapture takes the money
    authorization_days: float = 6.0  # the reconciler voids authorisations older than this
    prices_include_tax: bool = False  # catalog prices contain the tax of the shopper's country
    webhooks_allow_private: bool = False  # http:// and private addresses for partner webhooks (local use)
    webhook_timeout: float = 10.0  # one webhook attempt, all of it (resolve, connect, send, read); 0 < t <= 300
    webhook_retry_base: float = 10.0  # seconds before the first retry; doubled each time
    webhook_retry_window: float = 86400.0  # seconds of retries before a subscription is disabled
    smtp_url: str = ""  # smtp://user:password@host:587 or smtps://…; empty: .eml files in mail_dir
    mail_from: str = "shop@localhost"
    mail_dir: str = "mail"
    redis_url: str = ""  # redis://host:6379/0: rate limits counted there instead of in the database
    outbound_interval: float = 1.0  # seconds between the outbound worker's passes; 0: no worker

    def __repr__(self) -> str:  # never print secrets
        return (
            f"Settings(database_url={_redact_url(self.database_url)!r}, "
            f"host={self.host!r}, port={self.port}, currency={self.currency!r}, "
            f"stripe_api_base={self.stripe_api_base!r})"
        )


def _redact_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"


def load_settings(environ: dict[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Settings from `environ` (default: the process environment) over `.env`."""
    values = _read_dotenv(dotenv if dotenv is not None else Path(".env"))
    values.update(os.environ if environ is None else environ)

    def get(name: str, default: str) -> str:
        value = values.get(name, "")
        return value if value != "" else default

    return Settings(
        database_url=get("DATABASE_URL", DEFAULT_DATABASE_URL),
        stripe_secret_key=get("STRIPE_SECRET_KEY", ""),
        stripe_publishable_key=get("STRIPE_PUBLISHABLE_KEY", ""),
        stripe_webhook_secret=get("STRIPE_WEBHOOK_SECRET", ""),
        stripe_api_base=get("STRIPE_API_BASE", ""),
        stripe_js_url=get("STRIPE_JS_URL", Settings.stripe_js_url),
        host=get("SHOPGRAPH_HOST", Settings.host),
        port=int(get("SHOPGRAPH_PORT", str(Settings.port))),
        currency=get("SHOPGRAPH_CURRENCY", Settings.currency).upper(),
        reconcile_interval=float(get("SHOPGRAPH_RECONCILE_INTERVAL", str(Settings.reconcile_interval))),
        graphiql=_flag(get("SHOPGRAPH_GRAPHIQL", "1")),
        introspection=_flag(get("SHOPGRAPH_INTROSPECTION", "1")),
        response_cache=_flag(get("SHOPGRAPH_RESPONSE_CACHE", "1")),
        log_format=get("SHOPGRAPH_LOG_FORMAT", Settings.log_format).strip().lower(),
        metrics_token=get("SHOPGRAPH_METRICS_TOKEN", ""),
        shutdown_seconds=float(get("SHOPGRAPH_SHUTDOWN_SECONDS", str(Settings.shutdown_seconds))),
        capture_method=_capture_method(get("SHOPGRAPH_CAPTURE_METHOD", Settings.capture_method)),
        authorization_days=float(get("SHOPGRAPH_AUTHORIZATION_DAYS", str(Settings.authorization_days))),
        prices_include_tax=_flag(get("SHOPGRAPH_PRICES_INCLUDE_TAX", "0")),
        webhooks_allow_private=_flag(get("SHOPGRAPH_WEBHOOKS_ALLOW_PRIVATE", "0")),
        webhook_timeout=float(get("SHOPGRAPH_WEBHOOK_TIMEOUT", str(Settings.webhook_timeout))),
        webhook_retry_base=float(get("SHOPGRAPH_WEBHOOK_RETRY_BASE", str(Settings.webhook_retry_base))),
        webhook_retry_window=float(get("SHOPGRAPH_WEBHOOK_RETRY_WINDOW", str(Settings.webhook_retry_window))),
        smtp_url=get("SMTP_URL", ""),
        mail_from=get("SHOPGRAPH_MAIL_FROM", Settings.mail_from),
        mail_dir=get("SHOPGRAPH_MAIL_DIR", Settings.mail_dir),
        redis_url=get("REDIS_URL", ""),
        outbound_interval=float(get("SHOPGRAPH_OUTBOUND_INTERVAL", str(Settings.outbound_interval))),
    )


def _capture_method(value: str) -> str:
    value = value.strip().lower()
    if value not in ("automatic", "manual"):
        raise ValueError(f"SHOPGRAPH_CAPTURE_METHOD must be automatic or manual, not {value!r}")
    return value


def _flag(value: str) -> bool:
    return value.strip().lower() not in {"0", "false", "no", "off"}


# How long a request may wait on the database before it fails instead of hanging.
DB_CONNECT_TIMEOUT_S = 5
DB_SERVER_SETTINGS = {
    "statement_timeout": "15s",  # one SQL statement
    "lock_timeout": "10s",  # waiting for a row lock (a busy cart or order)
    "idle_in_transaction_session_timeout": "60s",  # a transaction left open by a dead request
}
SQLITE_BUSY_TIMEOUT_MS = 5000  # another process (the CLI) holding the write lock


def _connection(database_url: str) -> str | dict:
    if database_url.startswith("sqlite"):
        if "busy_timeout" in database_url:
            return database_url
        return database_url + ("&" if "?" in database_url else "?") + f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"
    if database_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        from tortoise.backends.base.config_generator import expand_db_url

        config = expand_db_url(database_url)
        credentials = config["credentials"]
        credentials.setdefault("timeout", DB_CONNECT_TIMEOUT_S)
        credentials["server_settings"] = {**DB_SERVER_SETTINGS, **credentials.get("server_settings", {})}
        return config
    return database_url


def tortoise_config(database_url: str) -> dict:
    """The Tortoise configuration for one database: one app, `shop`."""
    return {
        "connections": {"default": _connection(database_url)},
        "apps": {
            "shop": {
                "models": ["models"],
                "migrations": "migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


TORTOISE_ORM = tortoise_config(load_settings().database_url)
