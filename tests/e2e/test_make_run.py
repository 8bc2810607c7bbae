"""The `make run` path on a fresh SQLite database, over real HTTP."""

from __future__ import annotations

import re

import httpx

from tests.e2e.server import running_server, server_env, shopgraph
from tests.e2e.shopping import ship_cart

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


def test_local_test_mode_takes_a_payment_end_to_end(tmp_path):
    """`make run` with no Stripe key: the emulator starts beside the server and
    addToCart -> an address and a delivery option -> checkout with a token made on it
    gives a PAID order of exactly the cart's `cost.total`."""
    env = server_env(f"sqlite://{tmp_path / 'shop.db'}")
    shopgraph("migrate", env=env)
    shopgraph("seed", "--if-empty", env=env)
    log = tmp_path / "server.log"
    with running_server(env, log) as base:
        banner = log.read_text()
        assert "LOCAL TEST MODE" in banner
        stripe_url = re.search(r"Stripe emulator at (http://\S+)\.", banner).group(1)

        def gql(query: str, variables: dict) -> dict:
            body = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables}, timeout=30).json()
            assert "errors" not in body, body
            return body["data"]

        product = gql('query($s: String!) { product(slug: $s) { id price { minorUnits } } }', {"s": "oak-lamp"})["product"]
        cart = gql(
            "mutation($p: ID!) { addToCart(productId: $p, quantity: 2) { cart { id } userErrors { code } } }",
            {"p": product["id"]},
        )["addToCart"]["cart"]
        with httpx.Client() as http:
            handle = ship_cart(http, base, cart["id"])  # the demo lamp ships: an address and a delivery option
        cost = gql("query($id: ID!) { cart(id: $id) { cost { subtotal { minorUnits } discount { minorUnits }"
                   " shipping { minorUnits } tax { minorUnits } total { amount minorUnits } } } }",
                   {"id": cart["id"]})["cart"]["cost"]
        cents = {k: v["minorUnits"] for k, v in cost.items()}
        assert cents["subtotal"] == 2 * product["price"]["minorUnits"]
        assert cents["shipping"] > 0 or handle.startswith("free")
        assert cents["tax"] > 0  # California sales tax on the lamps
        assert cents["total"] == cents["subtotal"] - cents["discount"] + cents["shipping"] + cents["tax"]
        token = httpx.post(
            f"{stripe_url}/v1/tokens",
            json={"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"}},
            headers={"Authorization": "Bearer sk_test_shopgraph"},
        ).json()["id"]
        paid = gql(
            "mutation($i: CheckoutInput!) { checkout(input: $i) { order { id status total { minorUnits } }"
            " userErrors { code message } } }",
            {"i": {"cartId": cart["id"], "email": "e2e@example.com", "paymentToken": token, "idempotencyKey": "e2e-1",
                   "expectedTotal": cost["total"]["amount"]}},
        )["checkout"]
        assert paid["userErrors"] == []
        assert paid["order"]["status"] == "PAID"
        assert paid["order"]["total"]["minorUnits"] == cents["total"]
        read = gql("query($id: ID!) { order(id: $id) { status payment { status cardLast4 } } }", {"id": paid["order"]["id"]})
        assert read["order"] == {"status": "PAID", "payment": {"status": "SUCCEEDED", "cardLast4": "4242"}}
        assert "sk_test" not in log.read_text()  # the secret key is never logged
