"""The container recipe (Dockerfile, compose.yaml) sets only variables that
shopgraph reads, ships every package, and starts the way docs/operations.md says."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

from shopgraph.settings import check_production, load_settings

ROOT = Path(__file__).resolve().parents[1]
PYTHON_ITSELF = {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}


def _read_by_settings() -> set[str]:
    return set(re.findall(r'get\("([A-Z][A-Z0-9_]+)"', (ROOT / "shopgraph" / "settings.py").read_text()))


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text().replace("\\\n", " ")


def _dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for line in _dockerfile().splitlines():
        if line.startswith("ENV "):
            env.update(part.split("=", 1) for part in shlex.split(line[4:]))
    return env


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _substituted(value: str) -> str:
    """compose's `${NAME:-default}` / `${NAME:?message}` with a stand-in value."""
    return re.sub(r"\$\{([A-Z_]+)[^}]*\}", lambda m: f"{m.group(1).lower()}-value", str(value))


def test_the_recipe_sets_only_variables_that_settings_read():
    known = _read_by_settings()
    assert {"DATABASE_URL", "STRIPE_SECRET_KEY", "SHOPGRAPH_LOG_FORMAT", "SHOPGRAPH_METRICS_TOKEN",
            "SHOPGRAPH_SHUTDOWN_SECONDS"} <= known
    docker_env = _dockerfile_env()
    assert set(docker_env) - PYTHON_ITSELF <= known, set(docker_env) - PYTHON_ITSELF - known
    shop_env = _compose()["services"]["shop"]["environment"]
    assert set(shop_env) <= known, set(shop_env) - known


def test_the_recipe_values_make_valid_settings():
    image = load_settings(environ=_dockerfile_env(), dotenv=Path("/nonexistent"))
    assert image.host == "0.0.0.0" and image.log_format == "json" and image.database_url.startswith("sqlite:///data/")
    composed = {k: _substituted(v) for k, v in _compose()["services"]["shop"]["environment"].items()}
    settings = load_settings(environ={**_dockerfile_env(), **composed}, dotenv=Path("/nonexistent"))
    assert settings.database_url.startswith("postgres://") and "@db:5432/" in settings.database_url
    assert settings.stripe_secret_key == "stripe_secret_key-value"
    assert settings.shutdown_seconds == 30


def test_the_image_is_built_from_a_wheel_and_runs_unprivileged():
    dockerfile = _dockerfile()
    assert re.findall(r"^FROM (\S+)", dockerfile, re.M) == ["python:3.11-slim", "python:3.11-slim"]
    assert "pip wheel" in dockerfile and "--from=build /wheels" in dockerfile
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in {"root", "0"}
    cmd = re.search(r"^CMD (.+)$", dockerfile, re.M).group(1)
    assert "shopgraph migrate" in cmd and "shopgraph serve --host 0.0.0.0" in cmd
    # Every package the wheel is built from is copied into the build stage.
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    copied = set(re.findall(r"^COPY (?!--)(\S+)", dockerfile, re.M))
    assert {p.rstrip("*") for p in packages} <= copied


def test_compose_runs_the_shop_on_postgres_with_time_to_drain():
    services = _compose()["services"]
    assert services["db"]["image"].startswith("postgres:")
    shop = services["shop"]
    assert shop["depends_on"]["db"]["condition"] == "service_healthy"
    assert "shopgraph migrate" in " ".join(shop["command"])
    grace = int(shop["stop_grace_period"].rstrip("s"))
    assert grace > float(shop["environment"]["SHOPGRAPH_SHUTDOWN_SECONDS"])


def test_the_recipe_runs_in_production_mode_and_needs_the_stripe_secrets():
    image = load_settings(environ=_dockerfile_env(), dotenv=Path("/nonexistent"))
    assert image.production and not image.graphiql and not image.introspection
    with pytest.raises(ValueError, match="STRIPE_WEBHOOK_SECRET"):
        check_production(image)  # `shopgraph serve` stops here when the secrets are not given
    shop_env = _compose()["services"]["shop"]["environment"]
    assert shop_env["SHOPGRAPH_ENV"] == "production"
    assert ":?" in shop_env["STRIPE_WEBHOOK_SECRET"] and ":?" in shop_env["STRIPE_SECRET_KEY"]  # compose refuses to start without them
    composed = {k: _substituted(v) for k, v in shop_env.items()}
    check_production(load_settings(environ={**_dockerfile_env(), **composed}, dotenv=Path("/nonexistent")))
