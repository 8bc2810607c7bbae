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
    )


def tortoise_config(database_url: str) -> dict:
    """The Tortoise configuration for one database: one app, `shop`."""
    return {
        "connections": {"default": database_url},
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
