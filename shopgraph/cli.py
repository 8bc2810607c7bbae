"""`shopgraph serve | migrate | seed | export-schema | purge-carts`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta

from shopgraph import db
from shopgraph.settings import Settings, load_settings

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
    from commerce.seed import seed_demo_catalog

    async def work() -> None:
        created = await seed_demo_catalog(settings.currency, only_if_empty=args.if_empty)
        print(f"demo catalog: {created} products created")

    _with_db(settings, work)


def duration(text: str) -> timedelta:
    """`30d`, `12h`, `45m` -> a timedelta (for argparse)."""
    match = re.fullmatch(r"(\d+)([dhm])", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 30d, 12h or 45m")
    unit = {"d": "days", "h": "hours", "m": "minutes"}[match.group(2)]
    return timedelta(**{unit: int(match.group(1))})


def cmd_purge_carts(settings: Settings, args: argparse.Namespace) -> None:
    from commerce.carts import purge_carts

    async def work() -> None:
        purged = await purge_carts(args.older_than)
        print(f"purged {purged} empty carts untouched for {args.older_than}")

    _with_db(settings, work)


def cmd_export_schema(settings: Settings, args: argparse.Namespace) -> None:
    from graph.schema import schema

    sys.stdout.write(schema.as_str() + "\n")


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    host = args.host or settings.host
    port = args.port or settings.port
    print(f"shopgraph: GraphQL at http://{host}:{port}/graphql", flush=True)
    uvicorn.run(
        "shopgraph.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_level=args.log_level,
        access_log=False,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shopgraph", description="A GraphQL commerce API.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    seed = sub.add_parser("seed", help="create the demo catalog (idempotent)")
    seed.add_argument("--if-empty", action="store_true", help="only when the catalog is empty")
    seed.set_defaults(func=cmd_seed)

    purge = sub.add_parser("purge-carts", help="delete old empty carts")
    purge.add_argument("--older-than", type=duration, default=timedelta(days=30), help="such as 30d (default)")
    purge.set_defaults(func=cmd_purge_carts)

    sub.add_parser("export-schema", help="print the GraphQL SDL").set_defaults(func=cmd_export_schema)
    return parser


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    args.func(load_settings(), args)


if __name__ == "__main__":
    main()
