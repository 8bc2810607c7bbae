"""`/metrics` with `shopgraph serve --workers 2`: whichever process answers
the scrape, it counts the requests that every process served."""

from __future__ import annotations

import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.server import running_server, server_env, shopgraph
from tests.stripe_emulator import TEST_SECRET_KEY

TOKEN = "scrape-me"


def _scrape(base: str) -> dict[tuple[str, frozenset], float]:
    response = httpx.get(f"{base}/metrics", headers={"authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert response.status_code == 200, response.text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text) for s in family.samples
    }


def _requests(samples: dict) -> float:
    """Probe requests answered, by running them or from a process's response cache."""
    return sum(
        samples.get(("shopgraph_graphql_requests_total", frozenset({"operation": "Probe", "outcome": o}.items())), 0.0)
        for o in ("ok", "cached")
    )


def test_two_workers_report_the_requests_of_both(postgres_url, localstripe_url, tmp_path):
    env = server_env(postgres_url, STRIPE_SECRET_KEY=TEST_SECRET_KEY, STRIPE_API_BASE=localstripe_url,
                     SHOPGRAPH_METRICS_TOKEN=TOKEN, SHOPGRAPH_RECONCILE_INTERVAL="0.5")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    shopgraph("migrate", env=env)
    log = tmp_path / "server.log"
    with running_server(env, log, serve_args=("--workers", "2")) as base:
        assert httpx.get(f"{base}/metrics").status_code == 401
        sent = 40
        for _ in range(sent):  # a new connection each time, so both processes answer some
            with httpx.Client() as http:
                body = http.post(f"{base}/graphql", json={"query": "query Probe { products(first: 1) { totalCount } }"})
                assert body.status_code == 200 and "errors" not in body.json()
        scrapes = [_scrape(base) for _ in range(6)]
        assert all(_requests(s) == sent for s in scrapes), [_requests(s) for s in scrapes]

        deadline = time.monotonic() + 20
        while True:  # both processes run the periodic reconciler
            samples = _scrape(base)
            passes = samples.get(("shopgraph_reconciler_passes_total", frozenset({"outcome": "ok"}.items())), 0)
            if passes >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert passes >= 2
        pool = samples.get(("shopgraph_db_pool_connections", frozenset({"state": "open"}.items())))
        assert pool is not None and pool >= 1
    assert "Traceback" not in log.read_text()
