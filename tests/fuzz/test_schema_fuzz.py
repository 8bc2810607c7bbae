"""schemathesis against a live server's GraphQL schema, on SQLite and on PostgreSQL: whatever a client
sends for any query or mutation, the answer is never a 5xx or a masked internal error, and is a GraphQL
response (an object with data or errors).

`Decimal`, `DateTime` and `ID` get strategies that include what an attacker sends: huge exponents, NaN,
Infinity, other scripts' digits, NUL, 100 KB strings, ids of real objects (the seeded catalog) next to
malformed ones. Requests carry a staff API key with every scope, so mutations get past the access
check to the arguments. Bounded for CI: EXAMPLES_PER_OPERATION generated requests per operation and
database (`SHOPGRAPH_FUZZ_EXAMPLES`, default 50), the same examples every run (derandomized) so a failure
can be replayed. Each run ends with a
one-line summary (operations, cases, 5xx, internal errors), shown in pytest's terminal summary.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies as st

from graph.core.ids import to_global_id
from tests.conftest import unreachable_postgres
from tests.databases import PostgresUnavailable, throwaway_database
from tests.e2e.server import running_server, server_env, shopgraph

EXAMPLES_PER_OPERATION = int(os.environ.get("SHOPGRAPH_FUZZ_EXAMPLES", "50"))
BIG = "9" * 100_000  # over the 64 KiB body cap: a typed 413
LONG = "1" * 60_000  # under it: the scalar must refuse it quickly
String = schemathesis.graphql.nodes.String

HOSTILE_DECIMALS = ["1e600000", "-1e600000", "1E+999999999", "1e30", "1e-600000", "NaN", "-NaN", "sNaN", "Infinity",
                    "-Infinity", "١٢٫٥", "²", "１９.９９", "19.99\x00", " 19.99", "1_000", "0x1F", "99999999999999.99",
                    "123456789012345678901234567890", LONG, BIG]
HOSTILE_TIMES = ["0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00",
                 "9999-12-31T23:59:59-05:00", "2026-02-30T00:00:00Z", "1e600000", "２０２６-01-01T00:00:00Z",
                 "2026-01-01T00:00:00\x00", "2026-01-01T" + "0" * 1000, "NaN", LONG, BIG]
TYPES = ["Product", "ProductVariant", "Collection", "Cart", "CartLine", "Order", "OrderLine", "ShippingZone",
         "WebhookSubscription", "WebhookDelivery", "CustomerAddress", "CustomerPaymentMethod", "Nope"]
HOSTILE_KEYS = ["²", "١٢", "１", "9" * 20, str(2**31), str(2**63), "-1", "+1", " 1", "01", "", "1\x00", "A" * 32,
                "²" * 32, "0" * 32]

decimals = (st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**6, max_value=10**6).map(str)
            | st.decimals().map(str) | st.sampled_from(HOSTILE_DECIMALS) | st.text(max_size=12))
date_times = (st.datetimes().map(lambda moment: moment.isoformat() + "Z") | st.sampled_from(HOSTILE_TIMES)
              | st.text(max_size=30))
keys = st.integers(min_value=0, max_value=80).map(str) | st.sampled_from(HOSTILE_KEYS) | st.text(max_size=12)
ids = (st.builds(to_global_id, st.sampled_from(TYPES), keys)
       | st.sampled_from(["", "%%not base64%%", "QQ" * 30_000, BIG]) | st.text(max_size=20))

schemathesis.graphql.scalar("Decimal", decimals.map(String))
schemathesis.graphql.scalar("DateTime", date_times.map(String))
schemathesis.graphql.scalar("ID", ids.map(String))


@dataclass
class Tally:
    operations: int = 0
    cases: int = 0
    server_errors: int = 0
    internal_errors: int = 0

    def line(self, database: str) -> str:
        return (f"schema fuzz on {database}: {self.operations} operations, {self.cases} cases, "
                f"{self.server_errors} 5xx, {self.internal_errors} INTERNAL_SERVER_ERROR")


@contextmanager
def _database(kind: str, directory: Path) -> Iterator[str]:
    """An empty database of `kind` for a server process (the fixture itself is synchronous)."""
    manager = throwaway_database(kind, directory)
    loop = asyncio.new_event_loop()
    try:
        try:
            url = loop.run_until_complete(manager.__aenter__())
        except PostgresUnavailable as error:
            unreachable_postgres(error)
        try:
            yield url
        finally:
            loop.run_until_complete(manager.__aexit__(None, None, None))
    finally:
        loop.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live_schema(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    directory = tmp_path_factory.mktemp("fuzz")
    with _database(request.param, directory) as url:
        env = server_env(url, SHOPGRAPH_RECONCILE_INTERVAL="0")
        shopgraph("migrate", env=env)
        shopgraph("seed", env=env)
        created = shopgraph("apikey", "create", "--name", "fuzz", *[f"--scope={s}" for s in (
            "orders:read", "orders:write", "catalog:write", "shop:write", "webhooks:write")], env=env).stdout
        key = re.findall(r"^(\S+)$", created, re.MULTILINE)[-1]
        with running_server(env, directory / "server.log") as base:
            yield request.param, schemathesis.graphql.from_url(f"{base}/graphql"), {"Authorization": f"Bearer {key}"}


def _check(case, headers: dict[str, str], tally: Tally) -> None:
    tally.cases += 1
    response = case.call(timeout=30, headers=headers)
    if response.status_code >= 500:
        tally.server_errors += 1
    assert response.status_code < 500, response.text[:2000]
    body = response.json()
    assert isinstance(body, dict) and ("data" in body or "errors" in body), body
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code == "INTERNAL_SERVER_ERROR":
            tally.internal_errors += 1
        assert code and code != "INTERNAL_SERVER_ERROR", (case.body, error)


def test_no_generated_request_breaks_the_server(live_schema, record_property):
    database, schema, headers = live_schema
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20  # every query and mutation root field
    tally = Tally()
    try:
        fuzz(operations, headers, tally)
    finally:
        record_property("summary", tally.line(database))  # printed at the end of the run (tests/conftest.py)


def fuzz(operations, headers: dict[str, str], tally: Tally) -> None:
    """Sends EXAMPLES_PER_OPERATION generated requests of each operation, counting answers in `tally`."""
    for operation in operations:
        tally.operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def run(case) -> None:
            _check(case, headers, tally)

        run()
