"""Fixtures: a fresh, migrated database per test module on SQLite and PostgreSQL,
and an HTTP client for the app's public GraphQL API."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from commerce import throttle
from payments.stripe_gateway import StripeGateway
from shopgraph import db
from shopgraph.app import create_app
from shopgraph.settings import Settings
from tests.finance_sweep import SESSION_LOCALSTRIPE, sweep_orders
from tests.databases import POSTGRES_SERVER, PostgresUnavailable, drop_templates, migrated_database
from tests.stripe_emulator import TEST_SECRET_KEY

pytest_plugins = ["tests.fixtures_stripe"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SQL_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


def unreachable_postgres(error: Exception) -> None:
    message = (
        f"\n{'!' * 78}\n PostgreSQL is unreachable ({error}).\n"
        f" The PostgreSQL half of the suite is {'FAILING (CI=true)' if IN_CI else 'SKIPPED'}.\n"
        f" Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
        f"{'!' * 78}"
    )
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A migrated, empty database of its own for this module; yields its URL."""
    # Tortoise caches compiled statements per connection *name*; one process
    # switching between SQLite and PostgreSQL must start each database afresh.
    EXECUTOR_CACHE.clear()
    try:
        async with migrated_database(request.param, tmp_path_factory.mktemp("db")) as url:
            await db.init_db(url)
            try:
                yield url
                await _within(TEARDOWN_SECONDS, _finance_sweep(request), request, "the finance sweep")
            finally:
                await _within(TEARDOWN_SECONDS, db.close_db(), request, "closing the database")
    except PostgresUnavailable as error:
        unreachable_postgres(error)


TEARDOWN_SECONDS = 120.0  # a stalled teardown fails its module instead of holding the whole run


async def _within(seconds: float, step, request: pytest.FixtureRequest, what: str) -> None:
    try:
        await asyncio.wait_for(step, seconds)
    except TimeoutError:
        pytest.fail(f"{request.node.nodeid}: {what} did not end within {seconds:.0f} s", pytrace=False)


async def _finance_sweep(request: pytest.FixtureRequest) -> None:
    """What Stripe holds equals each order's netPayment (tests/finance_sweep.py); a teardown error otherwise."""
    marker = request.node.get_closest_marker("finance_sweep")
    unknown = marker.kwargs.get("unknown_intents") if marker else None
    result = await sweep_orders(SESSION_LOCALSTRIPE[0] if SESSION_LOCALSTRIPE else None, unknown)
    for line in result.accepted:
        logging.getLogger("tests.finance_sweep").warning("accepted: %s", line)
    if result.mismatches:
        pytest.fail(f"finance sweep of {result.swept} orders: Stripe and netPayment disagree:\n  "
                    + "\n  ".join(result.mismatches), pytrace=False)


@pytest.fixture(scope="module")
def settings(database: str) -> Settings:
    # Tests change the catalog behind the API's back; the response cache has tests of its own.
    return Settings(database_url=database, currency="USD", response_cache=False)


@dataclass
class GraphQLClient:
    """Posts GraphQL documents to the app, as a storefront would."""

    http: httpx.AsyncClient
    headers: dict[str, str] = field(default_factory=dict)

    async def post(self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        return await self.http.post("/graphql", json=body, headers=self.headers, **kwargs)

    async def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The response body of a request that must have succeeded as HTTP."""
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a response that must have no errors."""
        body = await self(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture(scope="module")
async def gateway(localstripe_url: str) -> AsyncIterator[StripeGateway]:
    """The real Stripe gateway, on this session's localstripe."""
    gateway = StripeGateway(TEST_SECRET_KEY, api_base=localstripe_url)
    yield gateway
    await gateway.aclose()


@pytest.fixture(scope="module")
async def http(settings: Settings, gateway: StripeGateway) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, gateway=gateway, manage_db=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shopgraph.test") as client:
        yield client


@pytest.fixture
def gql(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    """Every test client comes from one address; each test starts with its allowance."""
    throttle.LOGINS.reset()
    throttle.BAD_CREDENTIALS.reset()


class _SQLCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().lstrip()
        if message.upper().startswith(SQL_VERBS):
            self.statements.append(message)


@pytest.fixture
def sql_statements() -> Iterator[list[str]]:
    """The SQL statements the ORM sends while the test runs (read it after the call)."""
    logger = logging.getLogger("tortoise.db_client")
    handler = _SQLCounter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler.statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


# The longest modules start first, so that under pytest-xdist (`make test`) no worker is left alone
# with one of them at the end.
LONGEST_FIRST = (
    "tests/fuzz/test_schema_fuzz.py", "tests/commerce/orders/test_money_model.py",
    "tests/e2e/test_installed_package.py", "tests/fuzz/test_wallet_fuzz.py",
)
_DATABASE_PARAM = re.compile(r"\[(?:.*-)?(sqlite|postgres)(?:-.*)?\]$")


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {path: place for place, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))  # stable: the rest keep their order


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """pytest-xdist hands out a module's tests on one database as one unit: a module's SQLite and
    PostgreSQL halves may run on two workers at once, and its module-scoped fixtures stay whole."""
    from xdist.scheduler import LoadScopeScheduling

    class ByModuleAndDatabase(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            database = _DATABASE_PARAM.search(nodeid)
            return f"{module}::{database.group(1)}" if database else module

    config.option.loadscopereorder = False  # collection order: LONGEST_FIRST first
    return ByModuleAndDatabase(config, log)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    try:
        asyncio.run(drop_templates())
    except PostgresUnavailable:
        pass


def pytest_report_header(config: pytest.Config) -> str:
    return f"shopgraph databases: SQLite (a file per module) and PostgreSQL ({POSTGRES_SERVER}, a database per module)"


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """How many tests ran on each database, so a run shows both were exercised."""
    counts: dict[str, dict[str, int]] = {"sqlite": {}, "postgres": {}}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            for database in counts:
                if f"[{database}" in report.nodeid or f"-{database}" in report.nodeid:
                    counts[database][outcome] = counts[database].get(outcome, 0) + 1
                    break
    for database, outcomes in counts.items():
        summary = ", ".join(f"{n} {o}" for o, n in outcomes.items()) or "none"
        terminalreporter.write_line(f"{database}: {summary}")
    for line in _summary_lines(terminalreporter):
        terminalreporter.write_line(line)


def _summary_lines(terminalreporter) -> list[str]:
    """The lines tests recorded with `record_property("summary", line)` (the fuzzer's and the money
    model's tallies): user properties travel with the reports, from pytest-xdist's workers too."""
    lines = []
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", None) == "call":
                lines += [value for key, value in getattr(report, "user_properties", ()) if key == "summary"]
    return sorted(lines)
