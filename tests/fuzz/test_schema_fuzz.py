"""schemathesis against the live server's GraphQL schema: whatever a client
sends for any query or mutation, the answer is never a 5xx or a masked
internal error, and is a GraphQL response (an object with data or errors).

Bounded for CI: 100 generated requests per operation, one SQLite server, the
same examples every run (derandomized) so a failure can be replayed.
The strategies come from schemathesis; hypothesis runs them here directly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.e2e.server import running_server, server_env, shopgraph

EXAMPLES_PER_OPERATION = 100
# `Decimal` is ours (money and percentages as strings): any text, numbers mostly.
schemathesis.graphql.scalar("Decimal", (st.decimals(allow_nan=False).map(str) | st.text(max_size=12))
                            .map(schemathesis.graphql.nodes.String))


@pytest.fixture(scope="module")
def live_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    directory = tmp_path_factory.mktemp("fuzz")
    env = server_env(f"sqlite://{directory / 'shop.db'}", SHOPGRAPH_RECONCILE_INTERVAL="0")
    shopgraph("migrate", env=env)
    shopgraph("seed", env=env)
    with running_server(env, directory / "server.log") as base:
        yield schemathesis.graphql.from_url(f"{base}/graphql")


def _check(case) -> None:
    response = case.call(timeout=30)
    assert response.status_code < 500, response.text
    body = response.json()
    assert isinstance(body, dict) and ("data" in body or "errors" in body), body
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code and code != "INTERNAL_SERVER_ERROR", (case.body, error)


def test_no_generated_request_breaks_the_server(live_schema):
    operations = [result.ok() for result in live_schema.get_all_operations()]
    assert len(operations) >= 20  # every query and mutation root field
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def run(case) -> None:
            _check(case)

        run()
