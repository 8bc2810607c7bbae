"""`shopgraph serve | migrate | seed | reconcile | purge-carts | purge-events | backup | restore | export-schema`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.config
import math
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from shopgraph import db
from shopgraph.logs import logging_config
from shopgraph.settings import Settings, check_production, load_settings

__all__ = ["main"]


def _with_db(settings: Settings, work: Callable[[], Awaitable[None]]) -> None:
    async def run() -> None:
        await db.init_db(settings.database_url)
        try:
            await work()
        finally:
            await db.close_db()

    asyncio.run(run())


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    asyncio.run(db.migrate(settings.database_url))
    print("migrations applied")


def cmd_seed(settings: Settings, args: argparse.Namespace) -> None:
    from commerce.catalog.seed import seed_demo_catalog
    from commerce.markets.seed import seed_demo_markets
    from commerce.shop_rules.seed import seed_shop_rules

    async def work() -> None:
        created = await seed_demo_catalog(settings.currency, only_if_empty=args.if_empty)
        print(f"demo catalog: {created} products created")
        print(f"shop rules: {await seed_shop_rules(settings.currency)} zones and discount codes created, tax rates set")
        if args.demo_markets:
            print(f"markets: {await seed_demo_markets(settings.currency)} demo markets created")

    _with_db(settings, work)


def duration(text: str) -> timedelta:
    """`30d`, `12h`, `45m` -> a timedelta (for argparse)."""
    match = re.fullmatch(r"(\d+)([dhm])", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 30d, 12h or 45m")
    unit = {"d": "days", "h": "hours", "m": "minutes"}[match.group(2)]
    return timedelta(**{unit: int(match.group(1))})


def cmd_purge_carts(settings: Settings, args: argparse.Namespace) -> None:
    from commerce.checkout.carts import purge_carts

    async def work() -> None:
        purged = await purge_carts(args.older_than)
        print(f"purged {purged} empty carts untouched for {args.older_than}")

    _with_db(settings, work)


def cmd_purge_events(settings: Settings, args: argparse.Namespace) -> None:
    from commerce.outbound.retention import purge_events

    async def work() -> None:
        purged = await purge_events(args.older_than)
        print(f"purged {purged} order events older than {args.older_than} that nothing still needs")

    _with_db(settings, work)


def cmd_reconcile(settings: Settings, args: argparse.Namespace) -> None:
    from commerce.orders.reconcile import AUDIT_WINDOW, PENDING_GRACE, reconcile
    from payments.stripe_gateway import StripeGateway

    async def work() -> None:
        gateway = StripeGateway(settings.stripe_secret_key, api_base=settings.stripe_api_base or None)
        try:
            grace = args.grace if args.grace is not None else PENDING_GRACE
            window = args.since if args.since is not None else AUDIT_WINDOW
            report = await reconcile(gateway, grace=grace, audit_window=window,
                                     authorization_days=settings.authorization_days)
        finally:
            await gateway.aclose()
        print(f"examined {report.examined} stalled orders")
        for number, status in report.settled.items():
            print(f"  order {number} -> {status}")
        for number in report.unresolved:
            print(f"  order {number} left as it is (Stripe has no final answer yet)")
        repaired = sum(1 for d in report.discrepancies if d.repaired)
        print(f"compared {report.audited} paid orders made since {window} ago with Stripe: "
              f"{len(report.discrepancies)} disagreed, {repaired} repaired")
        if args.report:
            for discrepancy in report.discrepancies:
                print(f"  {discrepancy}")
        print(f"{report.needing_attention} orders need attention ({len(report.newly_marked)} new in this pass)")
        for number, reason in report.attention.items():
            print(f"  order {number} needs attention: {reason}")

    _with_db(settings, work)


def _utc_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def cmd_apikey(settings: Settings, args: argparse.Namespace) -> None:
    from commerce import api_keys
    from commerce.errors import DomainError

    async def work() -> None:
        if args.action == "create":
            try:
                made = await api_keys.create_api_key(args.name, args.scope, args.expires_at)
            except DomainError as error:
                raise SystemExit(f"shopgraph apikey create: {error.message}") from None
            ends = f", expires {made.record.expires_at:%Y-%m-%d %H:%M} UTC" if made.record.expires_at else ""
            print(f"API key {made.record.id} ({made.record.name}, scopes: {made.record.scopes}{ends})")
            print("Keep it now; it is shown once and stored only as a hash:")
            print(made.key)
        elif args.action == "list":
            for key in await api_keys.list_api_keys():
                state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else (
                    f"expires {key.expires_at:%Y-%m-%d %H:%M}" if key.expires_at else "active")
                used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
                print(f"{key.id}\t{key.prefix}…\t{key.name}\t{key.scopes}\t{state}\tlast used {used}")
        elif not await api_keys.revoke_api_key(args.id):
            raise SystemExit(f"shopgraph apikey revoke: no active key {args.id}")
        else:
            print(f"API key {args.id} revoked; its webhook subscriptions are disabled")

    _with_db(settings, work)


def cmd_export_schema(settings: Settings, args: argparse.Namespace) -> None:
    from graph.schema import schema

    sys.stdout.write(schema.as_str() + "\n")


def cmd_backup(settings: Settings, args: argparse.Namespace) -> None:
    from shopgraph.backup import BackupError, backup_sqlite, sqlite_path

    try:
        source = sqlite_path(settings.database_url)
        if source is None:
            raise SystemExit(
                "shopgraph backup: DATABASE_URL is PostgreSQL; back it up with its own tools:\n"
                "  pg_dump --format=custom --file=shop.dump \"$DATABASE_URL\"   and later   "
                "pg_restore --clean --dbname=\"$DATABASE_URL\" shop.dump")
        size = backup_sqlite(source, args.path)
    except BackupError as error:
        raise SystemExit(f"shopgraph backup: {error}") from None
    print(f"backed up {source} to {args.path} ({size} bytes)")


def cmd_restore(settings: Settings, args: argparse.Namespace) -> None:
    from shopgraph.backup import BackupError, restore_sqlite, sqlite_path

    try:
        target = sqlite_path(settings.database_url)
        if target is None:
            raise SystemExit("shopgraph restore: DATABASE_URL is PostgreSQL; restore a pg_dump file with "
                             "pg_restore --clean --dbname=\"$DATABASE_URL\" shop.dump")
        restore_sqlite(args.path, target, force=args.force)
    except BackupError as error:
        raise SystemExit(f"shopgraph restore: {error}") from None
    print(f"restored {target} from {args.path}")


def _serve(settings: Settings, host: str, port: int, log_level: str, workers: int) -> None:
    import uvicorn

    from graph.core.limits import Limits

    metrics_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its metrics here; whichever answers /metrics reads them all.
        metrics_dir = tempfile.mkdtemp(prefix="shopgraph-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    level = "DEBUG" if log_level.lower() in {"debug", "trace"} else log_level.upper()
    logging.getLogger("shopgraph").info(
        "storefront at http://%s:%s/ and GraphQL at http://%s:%s/graphql", host, port, host, port)
    try:
        uvicorn.run(
            "shopgraph.app:create_app", factory=True, host=host, port=port, log_level=log_level, access_log=False,
            workers=workers, log_config=logging_config(settings.log_format, level),
            ws_max_size=Limits().max_body_bytes,  # a websocket message is capped like a /graphql body
            # The client is the TCP peer unless SHOPGRAPH_TRUSTED_PROXIES says otherwise (graph.core.forwarded):
            # uvicorn's own X-Forwarded-For handling would believe any peer on 127.0.0.1.
            proxy_headers=False,
            # On SIGTERM: stop accepting, let requests in flight finish for this long, then shut down.
            timeout_graceful_shutdown=math.ceil(settings.shutdown_seconds),
        )
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    try:
        check_production(settings)
    except ValueError as error:
        raise SystemExit(f"shopgraph serve: {error}") from None
    host = args.host or settings.host
    port = args.port or settings.port
    if args.workers < 1:
        raise SystemExit("shopgraph serve: --workers must be 1 or more")
    if args.workers > 1 and settings.database_url.startswith("sqlite"):
        raise SystemExit("shopgraph serve: SQLite serves one process; use PostgreSQL (DATABASE_URL) for --workers")
    if settings.stripe_secret_key:
        _serve(settings, host, port, args.log_level, args.workers)
        return

    from shopgraph.emulator import TEST_PUBLISHABLE_KEY, TEST_SECRET_KEY, running_localstripe

    # uvicorn re-raises SIGTERM after its shutdown: exit cleanly so the emulator is stopped too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    with running_localstripe() as stripe_url:
        os.environ.update(
            STRIPE_SECRET_KEY=TEST_SECRET_KEY,
            STRIPE_PUBLISHABLE_KEY=TEST_PUBLISHABLE_KEY,
            STRIPE_API_BASE=stripe_url,
            STRIPE_JS_URL=f"{stripe_url}/js.stripe.com/v3/",
        )
        banner = "!" * 72
        print(
            f"{banner}\n  LOCAL TEST MODE: no STRIPE_SECRET_KEY is set, so payments go to a local\n"
            f"  Stripe emulator at {stripe_url}. No real money moves.\n{banner}",
            flush=True,
        )
        _serve(settings, host, port, args.log_level, args.workers)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shopgraph", description="A GraphQL commerce API.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--workers", type=int, default=1, help="server processes (PostgreSQL only)")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    seed = sub.add_parser("seed", help="create the demo catalog (idempotent)")
    seed.add_argument("--if-empty", action="store_true", help="only when the catalog is empty")
    seed.add_argument("--demo-markets", action="store_true",
                      help="also Europe (EUR), Japan (JPY) and Canada (CAD), with example rates (a shop in USD)")
    seed.set_defaults(func=cmd_seed)

    purge = sub.add_parser("purge-carts", help="delete old empty carts")
    purge.add_argument("--older-than", type=duration, default=timedelta(days=30), help="such as 30d (default)")
    purge.set_defaults(func=cmd_purge_carts)

    events = sub.add_parser("purge-events", help="delete old order events nothing still needs")
    events.add_argument("--older-than", type=duration, default=timedelta(days=90), help="such as 90d (default)")
    events.set_defaults(func=cmd_purge_events)

    rec = sub.add_parser("reconcile", help="settle checkouts that stopped half-way, from Stripe")
    rec.add_argument("--grace", type=duration, help="leave orders younger than this (default 10m)")
    rec.add_argument("--since", type=duration, help="compare paid orders this recent with Stripe (default 3d)")
    rec.add_argument("--report", action="store_true", help="list every order that disagreed with Stripe")
    rec.set_defaults(func=cmd_reconcile)

    apikey = sub.add_parser("apikey", help="API keys for staff and partners")
    keys = apikey.add_subparsers(dest="action", required=True)
    create = keys.add_parser("create", help="make a key and print it once")
    create.add_argument("--name", required=True)
    create.add_argument("--scope", action="append", required=True,
                        choices=["orders:read", "orders:write", "catalog:write", "shop:write", "webhooks:write",
                                 "keys:write"])
    create.add_argument("--expires-at", type=_utc_time, default=None,
                        help="ISO 8601 time after which the key no longer works (UTC unless an offset is given)")
    keys.add_parser("list", help="list keys (never the keys themselves)")
    revoke = keys.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("id", type=int)
    apikey.set_defaults(func=cmd_apikey)

    backup = sub.add_parser("backup", help="copy the SQLite database to PATH, safely while serving")
    backup.add_argument("path", type=Path)
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="copy a backup over the SQLite database (stop the server first)")
    restore.add_argument("path", type=Path)
    restore.add_argument("--force", action="store_true", help="replace a database that already holds data")
    restore.set_defaults(func=cmd_restore)

    sub.add_parser("export-schema", help="print the GraphQL SDL").set_defaults(func=cmd_export_schema)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        logging.config.dictConfig(logging_config(settings.log_format))
    except ValueError as error:
        raise SystemExit(f"shopgraph: {error}") from None
    args.func(settings, args)


if __name__ == "__main__":
    main()
