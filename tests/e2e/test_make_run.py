"""The `make run` path on a fresh SQLite database, over real HTTP."""

from __future__ import annotations

import httpx

from tests.e2e.server import running_server, server_env, shopgraph

FIRST_PAGE = (
    "{ products(first: 3, sortKey: PRICE) { totalCount nodes { title price { amount currencyCode minorUnits } }"
    " pageInfo { hasNextPage endCursor } } }"
)
NEXT_PAGE = (
    "query($after: String) { products(first: 25, sortKey: PRICE, after: $after) {"
    " nodes { title price { minorUnits } } pageInfo { hasNextPage endCursor } } }"
)


def test_migrate_seed_serve_and_page_through_the_demo_catalog(tmp_path):
    env = server_env(f"sqlite://{tmp_path / 'shop.db'}")
    shopgraph("migrate", env=env)
    assert "60 products created" in shopgraph("seed", "--if-empty", env=env).stdout
    # A second start neither duplicates nor re-seeds the catalog.
    shopgraph("migrate", env=env)
    assert "0 products created" in shopgraph("seed", "--if-empty", env=env).stdout

    with running_server(env, tmp_path / "server.log") as base:
        first = httpx.post(f"{base}/graphql", json={"query": FIRST_PAGE}).json()["data"]["products"]
        assert first["totalCount"] == 60
        prices = [n["price"]["minorUnits"] for n in first["nodes"]]
        assert prices == sorted(prices) and len(prices) == 3

        titles = [n["title"] for n in first["nodes"]]
        all_prices = list(prices)
        cursor, more = first["pageInfo"]["endCursor"], first["pageInfo"]["hasNextPage"]
        while more:
            page = httpx.post(f"{base}/graphql", json={"query": NEXT_PAGE, "variables": {"after": cursor}}).json()
            page = page["data"]["products"]
            titles += [n["title"] for n in page["nodes"]]
            all_prices += [n["price"]["minorUnits"] for n in page["nodes"]]
            cursor, more = page["pageInfo"]["endCursor"], page["pageInfo"]["hasNextPage"]
        assert len(titles) == len(set(titles)) == 60
        assert all_prices == sorted(all_prices)

        assert httpx.get(f"{base}/healthz").status_code == 200
        graphiql = httpx.get(f"{base}/graphql", headers={"accept": "text/html"})
        assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path):
    env = server_env("postgres://postgres@127.0.0.1:9/nowhere")  # nothing listens on port 9
    with running_server(env, tmp_path / "server.log") as base:
        response = httpx.get(f"{base}/healthz", timeout=10)
        assert response.status_code == 503
        assert response.json()["database"] == "unreachable"
        # A query that needs the database fails cleanly, masked, without a stack trace.
        body = httpx.post(f"{base}/graphql", json={"query": "{ products { totalCount } }"}, timeout=10)
        assert body.status_code == 200
        error = body.json()["errors"][0]
        assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        assert "requestId" in error["extensions"]
        assert "Traceback" not in body.text and "postgres" not in body.text
