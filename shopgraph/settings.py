"""Settings from the environment (and a `.env` file in the working directory).

Every value has a safe default for local use; secrets have none and are never
logged. `TORTOISE_ORM` is what `tortoise makemigrations` / `migrate` read
through `[tool.tortoise]` in pyproject.toml.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from graph.core.forwarded import IPNetwork, parse_networks

__all__ = ["Settings", "load_settings", "check_production", "tortoise_config", "TORTOISE_ORM"]

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
    environment: str = "development"  # SHOPGRAPH_ENV; "production": see `check_production` and load_settings
    database_url: str = DEFAULT_DATABASE_URL
    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""
    stripe_js_url: str = "https://js.stripe.com/v3/"
    stripe_webhook_max_bytes: int = 1024 * 1024  # a Stripe event body over this is refused (413); theirs are far smaller
    trusted_proxies: tuple[IPNetwork, ...] = ()  # peers whose X-Forwarded-For names the client
    host: str = "127.0.0.1"
    port: int = 8000
    currency: str = "USD"
    language: str = "EN"  # the shop's own language (ISO 639-1): what untranslated text is in, and the default
    reconcile_interval: float = 60.0  # seconds between reconciler passes in the server; 0: never
    graphiql: bool = True
    introspection: bool = True
    response_cache: bool = True
    compiled_reads: bool = True  # queries run on their compiled plans (graph/core/plans); False: the reference executor
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

    @property
    def production(self) -> bool:
        """GraphiQL and introspection off by default, the webhook secret required, TLS to SMTP."""
        return self.environment == "production"

    def __repr__(self) -> str:  # never print secrets
        return (
            f"Settings(environment={self.environment!r}, database_url={_redact_url(self.database_url)!r}, "
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


def _environment_values(environ: dict[str, str] | None = None, dotenv: Path | None = None) -> dict[str, str]:
    values = _read_dotenv(dotenv if dotenv is not None else Path(".env"))
    values.update(os.environ if environ is None else environ)
    return values


def load_settings(environ: dict[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Settings from `environ` (default: the process environment) over `.env`."""
    values = _environment_values(environ, dotenv)

    def get(name: str, default: str) -> str:
        value = values.get(name, "")
        return value if value != "" else default

    environment = _environment(get("SHOPGRAPH_ENV", Settings.environment))
    explorer_default = "0" if environment == "production" else "1"
    return Settings(
        environment=environment,
        database_url=get("DATABASE_URL", DEFAULT_DATABASE_URL),
        stripe_secret_key=get("STRIPE_SECRET_KEY", ""),
        stripe_publishable_key=get("STRIPE_PUBLISHABLE_KEY", ""),
        stripe_webhook_secret=get("STRIPE_WEBHOOK_SECRET", ""),
        stripe_api_base=get("STRIPE_API_BASE", ""),
        stripe_js_url=get("STRIPE_JS_URL", Settings.stripe_js_url),
        stripe_webhook_max_bytes=int(get("SHOPGRAPH_STRIPE_WEBHOOK_MAX_BYTES", str(Settings.stripe_webhook_max_bytes))),
        trusted_proxies=parse_networks(get("SHOPGRAPH_TRUSTED_PROXIES", "")),
        host=get("SHOPGRAPH_HOST", Settings.host),
        port=int(get("SHOPGRAPH_PORT", str(Settings.port))),
        currency=get("SHOPGRAPH_CURRENCY", Settings.currency).upper(),
        language=_language(get("SHOPGRAPH_LANGUAGE", Settings.language)),
        reconcile_interval=float(get("SHOPGRAPH_RECONCILE_INTERVAL", str(Settings.reconcile_interval))),
        graphiql=_flag(get("SHOPGRAPH_GRAPHIQL", explorer_default)),
        introspection=_flag(get("SHOPGRAPH_INTROSPECTION", explorer_default)),
        response_cache=_flag(get("SHOPGRAPH_RESPONSE_CACHE", "1")),
        compiled_reads=_flag(get("SHOPGRAPH_COMPILED_READS", "1")),
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


def _environment(value: str) -> str:
    value = value.strip().lower()
    if value not in ("development", "production"):
        raise ValueError(f"SHOPGRAPH_ENV must be development or production, not {value!r}")
    return value


_PRODUCTION_NEEDS = {
    "STRIPE_SECRET_KEY": "without it the server would take test payments on a local Stripe emulator",
    "STRIPE_WEBHOOK_SECRET": "without it every Stripe event is refused, so orders settled by 3-D Secure, "
                             "refunds and disputes made at Stripe never reach the shop (Stripe's dashboard, "
                             "Developers > Webhooks, or `stripe listen` give one)",
}


def check_production(settings: Settings) -> None:
    """Refuses (ValueError) to serve in production without what real payments need."""
    if not settings.production:
        return
    values = {"STRIPE_SECRET_KEY": settings.stripe_secret_key, "STRIPE_WEBHOOK_SECRET": settings.stripe_webhook_secret}
    missing = [f"{name} ({why})" for name, why in _PRODUCTION_NEEDS.items() if not values[name]]
    if missing:
        raise ValueError(f"SHOPGRAPH_ENV=production needs {'; and '.join(missing)}. "
                         "Set it, or use SHOPGRAPH_ENV=development on your own machine.")


def _capture_method(value: str) -> str:
    value = value.strip().lower()
    if value not in ("automatic", "manual"):
        raise ValueError(f"SHOPGRAPH_CAPTURE_METHOD must be automatic or manual, not {value!r}")
    return value


def _language(value: str) -> str:
    from commerce.languages import LANGUAGES

    value = value.strip().upper()
    if value not in LANGUAGES:
        raise ValueError(f"SHOPGRAPH_LANGUAGE must be an ISO 639-1 code such as EN or DE, not {value!r}")
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


# Only the database: a mistake in another setting is reported by the command that reads it, not at import.
TORTOISE_ORM = tortoise_config(_environment_values().get("DATABASE_URL") or DEFAULT_DATABASE_URL)
