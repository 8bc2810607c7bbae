"""`shopgraph serve` with SHOPGRAPH_ENV=production, as a real process: it will not
start without the webhook secret, and with every secret set, none of them ever
appears in its log, whatever requests it serves (debug level, JSON lines)."""

from __future__ import annotations

import subprocess
import sys
import uuid

import httpx

from shopgraph.emulator import free_port
from tests.e2e.server import ROOT, running_server, server_env, shopgraph
from tests.smtp_server import smtp_server
from tests.stripe_emulator import TEST_SECRET_KEY

CREATE_HOOK = """mutation($url: String!) { webhookSubscriptionCreate(url: $url, topics: [ORDER_PAID]) {
  secret userErrors { code } } }"""


def _serve(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shopgraph.cli", "serve", "--port", str(free_port())],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_production_refuses_to_start_without_the_webhook_secret(tmp_path):
    env = server_env(f"sqlite://{tmp_path / 'shop.db'}", SHOPGRAPH_ENV="production", STRIPE_SECRET_KEY="sk_test_x")
    done = _serve(env)
    assert done.returncode != 0
    assert "SHOPGRAPH_ENV=production needs STRIPE_WEBHOOK_SECRET" in done.stderr
    assert "Traceback" not in done.stderr


def test_development_starts_without_the_webhook_secret(tmp_path, localstripe_url):
    env = server_env(f"sqlite://{tmp_path / 'shop.db'}", STRIPE_SECRET_KEY=TEST_SECRET_KEY,
                     STRIPE_API_BASE=localstripe_url)
    with running_server(env, tmp_path / "server.log") as base:
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200


def test_no_secret_appears_in_the_production_log(postgres_url, localstripe_url, tmp_path):
    mark = uuid.uuid4().hex[:10]
    secrets = {
        "stripe key": f"sk_test_{mark}stripe", "webhook secret": f"whsec_{mark}hook", "metrics token": f"metrics{mark}",
        "smtp password": f"smtp{mark}pass", "database password": f"db{mark}pass", "redis password": f"redis{mark}pass",
    }
    with smtp_server() as (_, smtp_url):  # no STARTTLS: production refuses to send there
        env = server_env(
            postgres_url.replace("postgres://postgres@", f"postgres://postgres:{secrets['database password']}@"),
            SHOPGRAPH_ENV="production", STRIPE_SECRET_KEY=secrets["stripe key"], STRIPE_API_BASE=localstripe_url,
            STRIPE_WEBHOOK_SECRET=secrets["webhook secret"], SHOPGRAPH_METRICS_TOKEN=secrets["metrics token"],
            SMTP_URL=smtp_url.replace("s3cret%20pass", secrets["smtp password"]),
            REDIS_URL=f"redis://:{secrets['redis password']}@127.0.0.1:6379/0",  # Redis has none: AUTH fails
            SHOPGRAPH_LOG_FORMAT="json", SHOPGRAPH_WEBHOOKS_ALLOW_PRIVATE="1")
        assert env["DATABASE_URL"] != postgres_url  # the password is in the URL (trust auth ignores it)
        shopgraph("migrate", env=env)
        made = shopgraph("apikey", "create", "--name", "partner", "--scope", "webhooks:write", "--scope", "orders:read", env=env)
        api_key = made.stdout.strip().splitlines()[-1]
        secrets["api key"] = api_key
        log = tmp_path / "server.log"
        with running_server(env, log, serve_args=("--log-level", "debug")) as base:
            graphql = f"{base}/graphql"
            assert httpx.get(f"{base}/metrics", headers={"authorization": "Bearer wrong"}).status_code == 401
            assert httpx.get(f"{base}/metrics", headers={"authorization": f"Bearer {secrets['metrics token']}"}).status_code == 200
            hook = httpx.post(graphql, json={"query": CREATE_HOOK, "variables": {"url": "http://127.0.0.1:9/hook"}},
                              headers={"authorization": f"Bearer {api_key}"}, timeout=10).json()
            assert hook.get("data") and not hook["data"]["webhookSubscriptionCreate"]["userErrors"], hook
            secrets["partner signing secret"] = hook["data"]["webhookSubscriptionCreate"]["secret"]
            httpx.post(graphql, json={"query": "{ me { email } }"}, headers={"authorization": f"Bearer {api_key}x"})
            httpx.post(graphql, json={"query": "{ __schema { types { name } } }"})
            httpx.post(f"{base}/webhooks/stripe", content=b"{}", headers={"stripe-signature": "t=1,v1=00"})
    written = log.read_text()
    leaked = {name for name, value in secrets.items() if value in written}
    assert leaked == set(), f"secrets in the log: {leaked}"
    assert "emails go to smtp://shop@127.0.0.1" in written and "(TLS required)" in written


def test_a_mistyped_environment_or_proxy_list_stops_the_server_with_its_name(tmp_path):
    for name, value in (("SHOPGRAPH_ENV", "prod"), ("SHOPGRAPH_TRUSTED_PROXIES", "10.0.0.0/8, the-balancer")):
        done = _serve(server_env(f"sqlite://{tmp_path / 'shop.db'}", **{name: value}))
        assert done.returncode != 0 and name in done.stderr and "Traceback" not in done.stderr
