"""The schema fuzzer (tests/fuzz/test_schema_fuzz.py) on the wallet's operations, sent by a
signed-in customer with a saved address, so the arguments get past the access check:
whatever the customer sends, the answer is never a 5xx or a masked internal error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
import schemathesis

from tests.e2e.server import running_server, server_env, shopgraph
from tests.fuzz.test_schema_fuzz import Tally, _database, fuzz

WALLET = re.compile(r"customerAddress|customerDefaultAddress|customerPaymentMethod|checkout$")
_REGISTER = 'mutation { customerRegister(email: "fuzz@example.com", password: "fuzz fuzz fuzz") { userErrors { code } } }'
_LOGIN = 'mutation { customerLogin(email: "fuzz@example.com", password: "fuzz fuzz fuzz") { sessionToken } }'
_ADDRESS = """mutation { customerAddressCreate(address: {address1: "1 Market St", city: "San Francisco",
  provinceCode: "CA", zip: "94105", countryCode: "US"}) { userErrors { code } } }"""


def _customer_headers(base: str) -> dict[str, str]:
    with httpx.Client(base_url=base, timeout=30) as http:
        http.post("/graphql", json={"query": _REGISTER}).raise_for_status()
        token = http.post("/graphql", json={"query": _LOGIN}).json()["data"]["customerLogin"]["sessionToken"]
        headers = {"Authorization": f"Bearer {token}"}
        http.post("/graphql", json={"query": _ADDRESS}, headers=headers).raise_for_status()
    return headers


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def customer_schema(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    directory = tmp_path_factory.mktemp("wallet-fuzz")
    with _database(request.param, directory) as url:
        env = server_env(url, SHOPGRAPH_RECONCILE_INTERVAL="0")
        shopgraph("migrate", env=env)
        shopgraph("seed", env=env)
        with running_server(env, directory / "server.log") as base:
            yield request.param, schemathesis.graphql.from_url(f"{base}/graphql"), _customer_headers(base)


def test_no_generated_wallet_request_breaks_the_server(customer_schema, record_property):
    database, schema, headers = customer_schema
    operations = [op for op in (result.ok() for result in schema.get_all_operations())
                  if WALLET.search(op.definition.field_name)]
    assert len(operations) == 9  # the wallet's seven mutations, its query, and checkout
    tally = Tally()
    try:
        fuzz(operations, headers, tally)
    finally:
        line = tally.line(database).replace("schema fuzz", "wallet fuzz")
        record_property("summary", line)
