"""The response cache across server processes: a price changed through one
process is what the next read from another process shows."""

from __future__ import annotations

from contextlib import ExitStack

import httpx

from tests.e2e.server import running_server, server_env, shopgraph

READ = '{ product(slug: "oak-lamp") { id price { amount } } }'


def _post(base: str, query: str, token: str | None = None) -> dict:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body = httpx.post(f"{base}/graphql", json={"query": query}, headers=headers, timeout=30).json()
    assert "errors" not in body, body
    return body["data"]


def test_a_price_changed_through_one_process_is_read_fresh_from_another(postgres_url, tmp_path):
    env = server_env(postgres_url, SHOPGRAPH_RECONCILE_INTERVAL="0")
    shopgraph("migrate", env=env)
    shopgraph("seed", env=env)
    staff = shopgraph("apikey", "create", "--name", "staff", "--scope", "catalog:write", env=env).stdout.split()[-1]
    with ExitStack() as stack:
        reader = stack.enter_context(running_server(env, tmp_path / "reader.log"))
        writer = stack.enter_context(running_server(env, tmp_path / "writer.log"))
        before = _post(reader, READ)["product"]
        assert _post(reader, READ)["product"] == before  # now cached in the reader
        for price in ("123.45", "67.89"):
            changed = _post(writer, 'mutation { productUpdate(id: "%s", input: {price: "%s"}) { userErrors { code } } }'
                            % (before["id"], price), staff)
            assert changed["productUpdate"]["userErrors"] == []
            assert _post(reader, READ)["product"]["price"]["amount"] == price
