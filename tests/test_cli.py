"""The command line, run as a process on a fresh SQLite database."""

from __future__ import annotations

import argparse
import sqlite3
from datetime import timedelta

import pytest

from shopgraph.cli import duration
from tests.e2e.server import server_env, shopgraph


def test_durations_parse_and_nonsense_is_refused():
    assert duration("30d") == timedelta(days=30)
    assert duration("12h") == timedelta(hours=12)
    with pytest.raises(argparse.ArgumentTypeError):
        duration("soon")


def test_purge_carts_deletes_old_empty_carts_only(tmp_path):
    path = tmp_path / "shop.db"
    env = server_env(f"sqlite://{path}")
    shopgraph("migrate", env=env)
    shopgraph("seed", env=env)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO cart (id, status, currency, created_at, updated_at) VALUES"
                     " ('a' || hex(randomblob(15)), 'open', 'USD', '2020-01-01 00:00:00+00:00', '2020-01-01 00:00:00+00:00')")
        conn.execute("INSERT INTO cart (id, status, currency, created_at, updated_at) VALUES"
                     " ('b' || hex(randomblob(15)), 'open', 'USD', datetime('now'), datetime('now'))")
    out = shopgraph("purge-carts", "--older-than", "30d", env=env).stdout
    assert "purged 1 empty carts" in out
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM cart").fetchone() == (1,)


def test_api_keys_are_printed_once_stored_hashed_and_revocable(tmp_path):
    path = tmp_path / "shop.db"
    env = server_env(f"sqlite://{path}")
    shopgraph("migrate", env=env)
    out = shopgraph("apikey", "create", "--name", "partner", "--scope", "orders:read", env=env).stdout
    key = out.strip().splitlines()[-1]
    assert key.startswith("sgk_") and len(key) > 40
    with sqlite3.connect(path) as conn:
        stored = conn.execute("SELECT key_hash, scopes FROM api_key").fetchall()
    assert stored[0][1] == "orders:read" and key not in stored[0][0] and len(stored[0][0]) == 64
    listing = shopgraph("apikey", "list", env=env).stdout
    assert "partner" in listing and "active" in listing and key not in listing
    shopgraph("apikey", "revoke", "1", env=env)
    assert "revoked" in shopgraph("apikey", "list", env=env).stdout


def test_purge_events_runs_on_a_fresh_shop(tmp_path):
    env = server_env(f"sqlite://{tmp_path / 'shop.db'}")
    shopgraph("migrate", env=env)
    out = shopgraph("purge-events", "--older-than", "90d", env=env).stdout
    assert "purged 0 order events older than 90 days" in out


def test_revoking_a_key_from_the_command_line_disables_its_webhook_subscriptions(tmp_path):
    path = tmp_path / "shop.db"
    env = server_env(f"sqlite://{path}")
    shopgraph("migrate", env=env)
    shopgraph("apikey", "create", "--name", "partner", "--scope", "webhooks:write", "--scope", "orders:read",
              "--expires-at", "2099-01-01T00:00:00", env=env)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO webhook_subscription (url, topics, secret, status, api_key_id, start_after,"
                     " created_at) VALUES ('https://partner.example/hook', 'ORDER_PAID', 'whsec_x', 'active', 1, 0,"
                     " datetime('now'))")
    assert "expires 2099-01-01 00:00" in shopgraph("apikey", "list", env=env).stdout
    assert "webhook subscriptions are disabled" in shopgraph("apikey", "revoke", "1", env=env).stdout
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT status, disabled_reason FROM webhook_subscription").fetchall() == [
            ("disabled", "KEY_REVOKED")]


def test_demo_markets_are_seeded_once_and_only_for_a_shop_in_dollars(tmp_path):
    path = tmp_path / "shop.db"
    env = server_env(f"sqlite://{path}")
    shopgraph("migrate", env=env)
    assert "markets" not in shopgraph("seed", env=env).stdout  # only when asked (make run asks)
    assert "markets: 3 demo markets created" in shopgraph("seed", "--demo-markets", env=env).stdout
    assert "markets: 0 demo markets created" in shopgraph("seed", "--demo-markets", env=env).stdout
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT handle, currency FROM market ORDER BY id").fetchall() == [
            ("europe", "EUR"), ("japan", "JPY"), ("canada", "CAD")]
        assert conn.execute("SELECT count(*) FROM market_country WHERE country = 'DE'").fetchone() == (1,)
    euros = tmp_path / "euros.db"
    env = server_env(f"sqlite://{euros}", SHOPGRAPH_CURRENCY="EUR")
    shopgraph("migrate", env=env)
    assert "markets: 0 demo markets created" in shopgraph("seed", "--demo-markets", env=env).stdout
