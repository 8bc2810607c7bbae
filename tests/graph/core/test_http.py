"""HTTP behaviour of /graphql for malformed requests (GraphQL-over-HTTP)."""

from __future__ import annotations

import pytest

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def test_syntax_error_is_parse_failed_and_not_a_500(gql):
    response = await gql.post("{ products( }")
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_unknown_field_is_validation_failed(gql):
    response = await gql.post("{ nope }")
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_wrong_variable_type_is_bad_user_input(gql):
    response = await gql.post("query($n: Int) { products(first: $n) { totalCount } }", {"n": "ten"})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "body, content_type",
    [(b"", "application/json"), (b"not json", "application/json"), (b"[1,", "application/json"), (b"{}", "application/json")],
)
async def test_unreadable_bodies_get_a_json_400(http, body, content_type):
    response = await http.post("/graphql", content=body, headers={"content-type": content_type})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["message"]


async def test_graphql_response_media_type_gets_4xx_for_requests_that_cannot_run(gql):
    gql.headers = {"accept": GRAPHQL_RESPONSE}
    bad = await gql.post("{ nope }")
    assert bad.status_code == 400
    assert bad.headers["content-type"] == GRAPHQL_RESPONSE
    good = await gql.post("{ products(first: 1) { totalCount } }")
    assert good.status_code == 200
    assert good.headers["content-type"] == GRAPHQL_RESPONSE
    assert "errors" not in good.json()


async def test_graphiql_is_served_to_browsers(http):
    response = await http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_queries_over_get_work(http):
    response = await http.get("/graphql", params={"query": "{ products(first: 1) { totalCount } }"})
    assert response.status_code == 200
    assert response.json()["data"]["products"]["totalCount"] >= 0


async def test_healthz_answers_when_the_database_does(http):
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


async def test_demo_product_images_are_svg(http):
    response = await http.get("/images/oak-lamp.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "Oak Lamp" in response.text
    assert (await http.get("/images/..%2Fsecret.svg")).status_code == 404
