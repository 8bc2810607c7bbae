"""`make bench`: load shopgraph on SQLite and PostgreSQL with wrk and print a table.

For each database: a fresh migrated database with the demo catalog (plus one
product with a large stock for carts and checkouts), one localstripe for the
whole run, and the bench server (bench/server.py: shopgraph's app under
uvicorn, one process, as `shopgraph serve` runs it). Each scenario: a short
warm-up, the SQL statements of one request counted (not under load, through
the server's `/_bench/sql` counter), then wrk at 16 connections for
`--seconds` (default 10) while the server's RSS is sampled.

Scenarios (one row each): the ceiling (a plain Starlette route answering the
recorded bytes of the products response), products(first: 20) with every
field, with the response cache and without it (a second server started with
SHOPGRAPH_RESPONSE_CACHE=0), product(slug), the products query as an APQ
persisted-query GET, a cart flow (three addToCart then cart; wrk keeps the
flow per connection), and checkout (pm_card_visa on localstripe, a new cart
each time, carts prepared before the load).

    python -m bench.run [--seconds 10] [--databases sqlite,postgres] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
LUA = BENCH / "graphql.lua"
POSTGRES_SERVER = os.environ.get("SHOPGRAPH_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
CONNECTIONS = 16
ACCEPT_JSON = {"accept": "application/json"}  # what wrk sends too (a browser GET would get GraphiQL)

PRODUCT_FIELDS = ("id slug title description price { amount currencyCode minorUnits } imageUrl "
                  "availableForSale quantityAvailable createdAt updatedAt")
PRODUCTS = ("query { products(first: 20) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
            "edges { cursor node { %s } } } }" % PRODUCT_FIELDS)
PRODUCT_BY_SLUG = 'query { product(slug: "walnut-mug") { %s } }' % PRODUCT_FIELDS
ADD_NEW = ("mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { cart { id } "
           "userErrors { field message code } } }")
CHECKOUT = ("mutation($input: CheckoutInput!) { checkout(input: $input) { "
            "order { id number status total { amount currencyCode } payment { status cardBrand cardLast4 } } "
            "paymentAction { type clientSecret } userErrors { field message code } } }")
VARIANT_PAGE = ("query { products(first: 20) { totalCount pageInfo { hasNextPage endCursor } nodes { %s "
                "priceRange { minVariantPrice { amount } maxVariantPrice { amount } } featuredImage { url altText } "
                "variants(first: 5) { nodes { id sku title price { amount } availableForSale } } } } }" % PRODUCT_FIELDS)
SEARCH_FACETS = ('query { products(first: 20, query: "tee", filters: {available: true, variantOption: '
                 '[{name: "Size", value: "M"}]}) { totalCount nodes { id title priceRange { minVariantPrice { amount } } } '
                 'facets { available { value count } tag { value count } options { name values { value count } } '
                 'price { min { amount } max { amount } } } } }')
BENCH_PRODUCT_SLUG = "bench-widget"

TARGETS = """Targets (issue 8), one server process on this machine:
  products(first: 20) >= 35% of the ceiling without the response cache, >= 80% with it;
  p99 < 25 ms at 16 connections; zero errors; our own code's share of a checkout
  (server time minus time inside Stripe calls) < 10 ms at p50."""


# --------------------------------------------------------------------------- results


@dataclass
class Row:
    scenario: str
    database: str
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int | None = None
    sql_per_request: str = "-"
    peak_mb: float | None = None
    share: float | None = None
    note: str = ""
    requests: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def table(rows: list[Row]) -> str:
    header = ("| scenario | database | req/s | p50 ms | p99 ms | errors | SQL/req | peak MB | share of ceiling |\n"
              "|---|---|---:|---:|---:|---:|---:|---:|---:|")
    lines = [header]
    for row in rows:
        share = "n/a" if row.share is None else f"{row.share:.0%}"
        errors = "n/a" if row.errors is None else str(row.errors)
        lines.append(f"| {row.scenario} | {row.database} | {_fmt(row.rps, 0)} | {_fmt(row.p50_ms, 2)} | "
                     f"{_fmt(row.p99_ms, 2)} | {errors} | {row.sql_per_request} | {_fmt(row.peak_mb, 0)} | {share} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- databases


async def _prepare(url: str) -> None:
    from commerce.catalog.seed import seed_demo_catalog
    from models import Product, ProductVariant
    from shopgraph import db

    await db.migrate(url)
    await db.init_db(url)
    try:
        await seed_demo_catalog("USD")
        # One variant with a large stock and nothing to deliver, so checkouts need no address.
        widget = await Product.create(slug=BENCH_PRODUCT_SLUG, title="Bench Widget", description="Bought by make bench.",
                                      price=1250, currency="USD")
        await ProductVariant.create(product_id=widget.id, price=1250, stock=1_000_000_000, requires_shipping=False)
    finally:
        await db.close_db()


@contextlib.contextmanager
def database(kind: str, directory: Path) -> Iterator[str]:
    """A fresh database of `kind`, migrated and seeded; dropped (PostgreSQL) afterwards."""
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    EXECUTOR_CACHE.clear()  # one process switching databases: start each afresh
    name = f"shopgraph_bench_{uuid.uuid4().hex[:10]}"
    if kind == "sqlite":
        url = f"sqlite://{directory / (name + '.db')}"
        asyncio.run(_prepare(url))
        yield url
        return
    import asyncpg

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(f"{POSTGRES_SERVER}/postgres", timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        url = f"{POSTGRES_SERVER}/{name}"
        asyncio.run(_prepare(url))
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def postgres_reachable() -> str | None:
    import asyncpg

    async def probe() -> None:
        conn = await asyncpg.connect(f"{POSTGRES_SERVER}/postgres", timeout=5)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as error:  # any failure: say why and skip its half
        return str(error)
    return None


# --------------------------------------------------------------------------- the server


@dataclass
class Server:
    base: str
    pid: int
    process: subprocess.Popen[bytes]
    info: dict[str, Any]

    def status(self, key: str) -> float:
        """A /proc/<pid>/status memory figure (VmRSS, VmHWM) in MB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
        raise KeyError(key)


@contextlib.contextmanager
def running_server(database_url: str, stripe_url: str, log: Path, **env: str) -> Iterator[Server]:
    from shopgraph.emulator import TEST_SECRET_KEY, free_port, stop_process

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "SHOPGRAPH_"))}
    server_env.update(
        DATABASE_URL=database_url,
        STRIPE_SECRET_KEY=TEST_SECRET_KEY,
        STRIPE_API_BASE=stripe_url,
        SHOPGRAPH_RECONCILE_INTERVAL="0",  # no reconciler pass in the middle of a measurement
        **env,
    )
    # The settings of `shopgraph serve` (shopgraph/cli.py _serve): factory, one process,
    # access log off, uvicorn's default loop and HTTP implementation.
    command = [sys.executable, "-m", "uvicorn", "bench.server:create_bench_app", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=server_env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                info = httpx.get(f"{base}/_bench/info", timeout=2).json()
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"bench server did not start:\n{log.read_text()}") from None
                time.sleep(0.1)
        if info["pid"] != process.pid:
            raise RuntimeError(f"the server answering is pid {info['pid']}, not the one started ({process.pid})")
        yield Server(base, process.pid, process, info)
    finally:
        stop_process(process, timeout=15)


class RSSSampler:
    """The largest VmRSS of the server seen while the block runs (sampled every 50 ms)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError, KeyError):
                self.peak = max(self.peak, self.server.status("VmRSS"))
            self._stop.wait(0.05)

    def __enter__(self) -> "RSSSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        with contextlib.suppress(OSError, KeyError):
            self.peak = max(self.peak, self.server.status("VmRSS"))


# --------------------------------------------------------------------------- wrk


def wrk(base: str, seconds: float, threads: int, env: dict[str, str], path: str = "/") -> dict[str, Any]:
    command = ["wrk", f"-t{threads}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--timeout", "5s",
               "--latency", "-s", str(LUA), base + path]
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=seconds + 60)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise RuntimeError(f"wrk gave no figures (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


def row_from_wrk(row: Row, figures: dict[str, Any]) -> Row:
    seconds = figures["duration_us"] / 1e6
    row.requests = figures["requests"]
    row.rps = figures["requests"] / seconds if seconds else None
    row.p50_ms = figures["p50_us"] / 1000
    row.p99_ms = figures["p99_us"] / 1000
    socket_errors = sum(figures[k] for k in ("connect", "read", "write", "timeout"))
    # `bad` counts every response that was not a 200 with clean data (it includes
    # wrk's `status` count of non-2xx answers); socket errors had no response.
    row.errors = figures["bad"] + socket_errors
    row.extra["wrk"] = figures
    return row


# --------------------------------------------------------------------------- requests


def gql(client: httpx.Client, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    response = client.post("/graphql", json=body)
    response.raise_for_status()
    return response.json()


def count_sql(client: httpx.Client, action: Any, per: int = 1) -> float:
    """SQL statements the server sends for `action()`, divided by `per` requests."""
    client.post("/_bench/sql/start").raise_for_status()
    try:
        action()
    finally:
        counted = client.post("/_bench/sql/stop").json()["statements"]
    return counted / per


def _fmt_sql(value: float) -> str:
    return f"{value:g}"


def apq_url(query: str, with_query: bool) -> str:
    digest = hashlib.sha256(query.encode()).hexdigest()
    params = {"extensions": json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}},
                                       separators=(",", ":"))}
    if with_query:
        params["query"] = query
    return "/graphql?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def _codes(body: dict[str, Any]) -> set[str]:
    return {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}


# --------------------------------------------------------------------------- scenarios


class Bench:
    def __init__(self, seconds: float, work: Path, profile: bool) -> None:
        self.seconds = seconds
        self.work = work
        self.profile = profile
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.body_file = work / "products.json"
        self.body_file.write_text(json.dumps({"query": PRODUCTS}))
        self.slug_file = work / "product.json"
        self.slug_file.write_text(json.dumps({"query": PRODUCT_BY_SLUG}))
        self.variants_file = work / "variants.json"
        self.variants_file.write_text(json.dumps({"query": VARIANT_PAGE}))
        self.search_file = work / "search.json"
        self.search_file.write_text(json.dumps({"query": SEARCH_FACETS}))

    def say(self, text: str) -> None:
        print(f"bench: {text}", flush=True)

    def load(self, server: Server, row: Row, threads: int, env: dict[str, str], path: str = "/",
             warmup: float = 1) -> Row:
        if warmup:
            wrk(server.base, warmup, threads, env, path)
        with RSSSampler(server) as rss:
            figures = wrk(server.base, self.seconds, threads, env, path)
        row_from_wrk(row, figures)
        row.peak_mb = rss.peak
        self.rows.append(row)
        self.say(f"{row.scenario} on {row.database}: {row.rps:,.0f} req/s, p50 {row.p50_ms:.2f} ms, "
                 f"p99 {row.p99_ms:.2f} ms, errors {row.errors}, SQL/req {row.sql_per_request}, "
                 f"peak {row.peak_mb:.0f} MB")
        return row

    def static(self, server: Server, client: httpx.Client, scenario: str, database: str,
               path: str, method: str = "POST", body_file: Path | None = None,
               sql: Any = None) -> Row:
        row = Row(scenario, database)
        if sql is not None:
            sql()  # warm (parser caches, a response cache) before counting one request
            row.sql_per_request = _fmt_sql(count_sql(client, sql))
        env = {"BENCH_MODE": "static", "BENCH_METHOD": method, "BENCH_PATH": path}
        if body_file is not None:
            env["BENCH_BODY_FILE"] = str(body_file)
        return self.load(server, row, 2, env, path=path)

    def products(self, server: Server, client: httpx.Client, database: str, label: str) -> Row:
        return self.static(server, client, f"products(first: 20), {label}", database, "/graphql",
                           body_file=self.body_file, sql=lambda: gql(client, PRODUCTS))

    def run_database(self, kind: str, stripe_url: str) -> None:
        database_label = "SQLite" if kind == "sqlite" else "PostgreSQL"
        with database(kind, self.work) as url:
            log = self.work / f"server-{kind}.log"
            with running_server(url, stripe_url, log) as server:
                self.say(f"{database_label}: server pid {server.pid}, loop {server.info['loop']}, "
                         f"HTTP {server.info['http']}, Python {server.info['python']}")
                self.server_info = server.info
                with httpx.Client(base_url=server.base, timeout=30, headers=ACCEPT_JSON) as client:
                    ceiling = self.scenarios_main(server, client, database_label)
            with running_server(url, stripe_url, log, SHOPGRAPH_RESPONSE_CACHE="0") as server:
                with httpx.Client(base_url=server.base, timeout=30, headers=ACCEPT_JSON) as client:
                    row = self.products(server, client, database_label, "response cache off")
                    uncached = [
                        self.static(server, client, "products(first: 20) + variants(first: 5), priceRange, "
                                    "featuredImage, cache off", database_label, "/graphql",
                                    body_file=self.variants_file, sql=lambda: gql(client, VARIANT_PAGE)),
                        self.static(server, client, 'search "tee" + 2 filters + facets, cache off', database_label,
                                    "/graphql", body_file=self.search_file, sql=lambda: gql(client, SEARCH_FACETS)),
                    ]
                    if self.profile:
                        self.profile_scenario(server, f"products-nocache-{kind}",
                                              {"BENCH_MODE": "static", "BENCH_METHOD": "POST",
                                               "BENCH_PATH": "/graphql", "BENCH_BODY_FILE": str(self.body_file)},
                                              threads=2, path="/graphql")
            # keep the table's order: the uncached row right after the cached one
            for moved in (row, *uncached):
                self.rows.remove(moved)
            index = next(i for i, r in enumerate(self.rows)
                         if r.database == database_label and r.scenario.startswith("products(first: 20), response cache on"))
            self.rows[index + 1:index + 1] = [row, *uncached]
            for r in self.rows:
                if r.database == database_label and r.rps is not None and ceiling:
                    r.share = r.rps / ceiling

    def scenarios_main(self, server: Server, client: httpx.Client, database: str) -> float | None:
        # The ceiling's bytes: one real products(first: 20) response, as it is served.
        real = client.post("/graphql", json={"query": PRODUCTS})
        real.raise_for_status()
        assert "errors" not in real.json(), real.text
        recorded = client.put("/_bench/ceiling", content=real.content,
                              headers={"content-type": real.headers["content-type"]}).json()
        self.say(f"ceiling records {recorded['bytes']} bytes of {recorded['media_type']}")
        ceiling = self.static(server, client, "ceiling: plain Starlette route, same bytes", database,
                              "/ceiling", body_file=self.body_file)

        self.products(server, client, database, "response cache on (default)")
        self.static(server, client, 'product(slug: "walnut-mug")', database, "/graphql",
                    body_file=self.slug_file, sql=lambda: gql(client, PRODUCT_BY_SLUG))
        self.persisted_get(server, client, database, real.json())
        self.cart_flow(server, client, database)
        self.checkout(server, client, database)
        if self.profile:
            self.profile_scenario(server, f"products-cache-{self.kind}",
                                  {"BENCH_MODE": "static", "BENCH_METHOD": "POST", "BENCH_PATH": "/graphql",
                                   "BENCH_BODY_FILE": str(self.body_file)}, threads=2, path="/graphql")
        return ceiling.rps

    def persisted_get(self, server: Server, client: httpx.Client, database: str, expected: dict[str, Any]) -> None:
        scenario = "products(first: 20) as APQ GET"
        def get(url: str) -> dict[str, Any]:
            response = client.get(url)
            try:
                return response.json()
            except ValueError:
                return {"status": response.status_code, "body": response.text[:120]}

        before = get(apq_url(PRODUCTS, with_query=False))
        registered = get(apq_url(PRODUCTS, with_query=True))
        after = get(apq_url(PRODUCTS, with_query=False))
        if "PERSISTED_QUERY_NOT_FOUND" not in _codes(before) or after.get("data") != expected.get("data"):
            note = (f"APQ unavailable: a hash-only GET answered {json.dumps(before)[:160]}; "
                    f"after registering, {json.dumps(after)[:160]}")
            self.say(f"{scenario} on {database}: {note}")
            self.rows.append(Row(scenario + " (APQ unavailable)", database, note=note))
            self.notes.append(f"{database}: {note}")
            return
        assert "errors" not in registered, registered
        path = apq_url(PRODUCTS, with_query=False)
        self.static(server, client, scenario, database, path, method="GET",
                    sql=lambda: client.get(path).raise_for_status())

    def bench_products(self, client: httpx.Client) -> tuple[list[str], str]:
        """Three in-stock demo products (by id) for the cart flow, and the bench product."""
        nodes = [e["node"] for e in gql(client, PRODUCTS)["data"]["products"]["edges"]]
        in_stock = [n["id"] for n in nodes if n["quantityAvailable"] > 0][:3]
        bench = gql(client, 'query { product(slug: "%s") { id } }' % BENCH_PRODUCT_SLUG)["data"]["product"]["id"]
        return in_stock, bench

    def cart_flow(self, server: Server, client: httpx.Client, database: str) -> None:
        products, _ = self.bench_products(client)

        def flow() -> None:  # the documents bench/graphql.lua sends
            cart = gql(client, "mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { cart { id totalQuantity "
                       "subtotal { amount currencyCode } lines { id quantity product { title } unitPrice { amount } } } "
                       "userErrors { field message code } } }", {"p": products[0]})["data"]["addToCart"]["cart"]["id"]
            for product in products[1:]:
                gql(client, "mutation($c: ID!, $p: ID!) { addToCart(cartId: $c, productId: $p, quantity: 1) "
                    "{ cart { id totalQuantity subtotal { amount currencyCode } lines { id quantity "
                    "product { title } unitPrice { amount } } } userErrors { field message code } } }",
                    {"c": cart, "p": product})
            gql(client, "query($c: ID!) { cart(id: $c) { id totalQuantity subtotal { amount currencyCode } "
                "total { amount currencyCode } lines { id quantity product { id title } unitPrice { amount } "
                "total { amount } } } }", {"c": cart})

        flow()
        per_flow = count_sql(client, flow)
        row = Row("cart flow: 3 addToCart + cart (per request)", database,
                  sql_per_request=f"{per_flow / 4:g} ({per_flow:g}/flow)")
        self.load(server, row, CONNECTIONS, {"BENCH_MODE": "cart", "BENCH_PRODUCTS": ",".join(products)},
                  path="/graphql")
        flows = row.extra["wrk"]["flows"]
        row.extra["flows_per_s"] = flows / (row.extra["wrk"]["duration_us"] / 1e6)
        self.notes.append(f"{database}: cart flow completed {flows} flows "
                          f"({row.extra['flows_per_s']:.0f} flows/s; each flow is 4 requests)")

    def make_carts(self, base: str, product: str, count: int) -> list[str]:
        async def work() -> list[str]:
            carts: list[str] = []
            queue = iter(range(count))
            async with httpx.AsyncClient(base_url=base, timeout=30, headers=ACCEPT_JSON) as http:
                async def worker() -> None:
                    for _ in queue:
                        response = await http.post("/graphql", json={"query": ADD_NEW, "variables": {"p": product}})
                        carts.append(response.json()["data"]["addToCart"]["cart"]["id"])

                await asyncio.gather(*(worker() for _ in range(8)))
            return carts

        return asyncio.run(work())

    def checkout(self, server: Server, client: httpx.Client, database: str) -> None:
        _, product = self.bench_products(client)
        run = uuid.uuid4().hex[:8]

        def checkout_once(cart: str) -> dict[str, Any]:
            body = gql(client, CHECKOUT, {"input": {"cartId": cart, "email": "bench@example.com",
                                                    "paymentToken": "pm_card_visa",
                                                    "idempotencyKey": f"{run}-seq-{uuid.uuid4().hex}"}})
            assert "errors" not in body and body["data"]["checkout"]["order"]["status"] == "PAID", body
            return body

        # One at a time first: warm-up, the SQL count, and our own time with no queue in front.
        sequential = self.make_carts(server.base, product, 40)
        checkout_once(sequential.pop())
        sql = count_sql(client, lambda: checkout_once(sequential.pop()))
        client.get("/_bench/timings", params={"reset": 1})
        for cart in sequential:
            checkout_once(cart)
        alone = [t for t in client.get("/_bench/timings", params={"reset": 1}).json()["timings"] if t[2] > 0]

        # Enough carts for the load: a short probe says how fast checkouts go here.
        probe = self.make_carts(server.base, product, 48)
        started = time.perf_counter()
        wrk_probe_file = self.work / f"carts-probe-{database}.txt"
        wrk_probe_file.write_text("\n".join(probe) + "\n")
        wrk(server.base, 2, CONNECTIONS, {"BENCH_MODE": "checkout", "BENCH_CARTS_FILE": str(wrk_probe_file),
                                           "BENCH_RUN": run + "-probe", "BENCH_THREADS": str(CONNECTIONS)},
            path="/graphql")
        rate = len(probe) / max(time.perf_counter() - started, 0.1)
        needed = int(rate * self.seconds * 2.0) + 200
        carts = self.make_carts(server.base, product, needed)
        carts_file = self.work / f"carts-{database}.txt"
        carts_file.write_text("\n".join(carts) + "\n")
        self.say(f"checkout on {database}: {len(carts)} carts prepared (probe: ~{rate:.0f} checkouts/s)")
        client.get("/_bench/timings", params={"reset": 1})
        row = Row("checkout (pm_card_visa on localstripe)", database, sql_per_request=_fmt_sql(sql))
        self.load(server, row, CONNECTIONS, {"BENCH_MODE": "checkout", "BENCH_CARTS_FILE": str(carts_file),
                                             "BENCH_RUN": run, "BENCH_THREADS": str(CONNECTIONS)},
                  path="/graphql", warmup=0)
        loaded = [t for t in client.get("/_bench/timings", params={"reset": 1}).json()["timings"] if t[2] > 0]
        if row.extra["wrk"]["flows"] >= len(carts) - CONNECTIONS:
            self.notes.append(f"{database}: checkout ran out of prepared carts before {self.seconds} s")

        def summary(timings: list[list[float]], label: str) -> str:
            if not timings:
                return f"{label}: no checkouts timed"
            total = [t[0] * 1000 for t in timings]
            stripe = [t[1] * 1000 for t in timings]
            own = [a - b for a, b in zip(total, stripe)]
            q = statistics.quantiles(own, n=100) if len(own) > 1 else own * 99
            return (f"{label} ({len(timings)} checkouts, {timings[0][2]} gateway calls each): server time p50 "
                    f"{statistics.median(total):.1f} ms, inside Stripe calls p50 {statistics.median(stripe):.1f} ms, "
                    f"our own code p50 {statistics.median(own):.1f} ms (p99 {q[98]:.1f} ms)")

        row.extra["own_alone_p50"] = statistics.median([t[0] - t[1] for t in alone]) * 1000 if alone else None
        row.extra["own_loaded_p50"] = statistics.median([t[0] - t[1] for t in loaded]) * 1000 if loaded else None
        self.notes.append(f"{database}: checkout, " + summary(alone, "one at a time"))
        self.notes.append(f"{database}: checkout, " + summary(loaded, f"under load at {CONNECTIONS} connections"))
        self.say(self.notes[-2])
        self.say(self.notes[-1])
        if self.profile:  # our own code in a checkout, one at a time (no queue in front of it)
            carts = self.make_carts(server.base, product, 60)
            with self.spying(server, f"checkout-sequential-{self.kind}"):
                for cart in carts:
                    checkout_once(cart)

    @contextlib.contextmanager
    def spying(self, server: Server, name: str) -> Iterator[None]:
        """py-spy records the server while the block runs (not a measured run); then a summary."""
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if not Path(py_spy).exists():
            self.say("py-spy not found (pip install py-spy): no profile")
            yield
            return
        out = BENCH / "profiles"
        out.mkdir(exist_ok=True)
        raw = out / f"{name}.txt"
        spy = subprocess.Popen([py_spy, "record", "--pid", str(server.pid), "--rate", "250", "--nonblocking",
                                "--format", "raw", "--output", str(raw)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        try:
            yield
        finally:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
        with (out / f"{name}.summary.txt").open("w") as summary:
            subprocess.run([sys.executable, str(BENCH / "profile_summary.py"), str(raw)], stdout=summary, check=False)
        self.say(f"profile of {name}: {raw} and {out / (name + '.summary.txt')}")

    def profile_scenario(self, server: Server, name: str, env: dict[str, str], threads: int, path: str) -> None:
        with self.spying(server, name):
            wrk(server.base, self.seconds, threads, env, path)


def check_targets(rows: list[Row]) -> list[str]:
    lines = []
    for database in ("SQLite", "PostgreSQL"):
        mine = [r for r in rows if r.database == database and r.rps is not None]
        if not mine:
            continue
        for row in mine:
            if row.scenario.startswith("products(first: 20), response cache off"):
                ok = row.share is not None and row.share >= 0.35
                lines.append(f"{database}: products without the response cache at {row.share:.0%} of the ceiling "
                             f"(target >= 35%): {'met' if ok else 'MISSED'}")
            if row.scenario.startswith("products(first: 20), response cache on"):
                ok = row.share is not None and row.share >= 0.80
                lines.append(f"{database}: products with the response cache at {row.share:.0%} of the ceiling "
                             f"(target >= 80%): {'met' if ok else 'MISSED'}")
        slow = [f"{r.scenario} {r.p99_ms:.1f} ms" for r in mine if r.p99_ms is not None and r.p99_ms >= 25
                and not r.scenario.startswith("ceiling")]
        lines.append(f"{database}: p99 < 25 ms at 16 connections: "
                     + ("met by every row" if not slow else "MISSED by " + "; ".join(slow)))
        failing = [f"{r.scenario} {r.errors}" for r in mine if r.errors]
        lines.append(f"{database}: zero errors: " + ("met" if not failing else "MISSED: " + "; ".join(failing)))
        checkout = next((r for r in mine if r.scenario.startswith("checkout")), None)
        if checkout is not None and checkout.extra.get("own_alone_p50") is not None:
            alone, loaded = checkout.extra["own_alone_p50"], checkout.extra.get("own_loaded_p50")
            lines.append(f"{database}: our own code per checkout p50 {alone:.1f} ms one at a time, "
                         f"{loaded:.1f} ms under load at 16 connections (target < 10 ms): "
                         f"{'met' if alone < 10 else 'MISSED'} alone, "
                         f"{'met' if loaded is not None and loaded < 10 else 'MISSED'} under load")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="wrk duration per scenario (issue: >= 10)")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--profile", action="store_true",
                        help="also record py-spy profiles of the products scenarios into bench/profiles/")
    parser.add_argument("--output", default=str(BENCH / "results.md"))
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench: wrk is missing (apt-get install wrk; `make bench` installs it)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    from shopgraph.emulator import running_localstripe

    started = time.monotonic()
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    with tempfile.TemporaryDirectory(prefix="shopgraph-bench-") as tmp:
        bench = Bench(args.seconds, Path(tmp), args.profile)
        if "postgres" in kinds and (why := postgres_reachable()):
            banner = "!" * 78
            print(f"{banner}\n PostgreSQL at {POSTGRES_SERVER} is unreachable ({why}):\n"
                  f" its rows are SKIPPED.\n{banner}", flush=True)
            bench.notes.append(f"PostgreSQL unreachable ({why}): no PostgreSQL rows")
            kinds.remove("postgres")
        with running_localstripe(Path(tmp) / "localstripe.log") as stripe_url:
            for kind in kinds:
                bench.kind = kind
                bench.run_database(kind, stripe_url)
        info = getattr(bench, "server_info", {})
    elapsed = time.monotonic() - started
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = (f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), Linux {platform.release()}, "
               f"Python {info.get('python', platform.python_version())}, one uvicorn process "
               f"(loop {info.get('loop', '?')}, HTTP {info.get('http', '?')}), wrk {CONNECTIONS} connections, "
               f"{args.seconds:g} s per row")
    report = "\n".join([
        f"# shopgraph benchmark, {when}",
        "",
        f"Machine: {machine}. The whole run took {elapsed:.0f} s.",
        "",
        table(bench.rows),
        "",
        "Share of ceiling = req/s divided by the ceiling row's req/s on the same database. SQL/req counted once "
        "per scenario, not under load, after one warm-up request. Peak MB = the server's largest RSS during the "
        "row's load. Errors = socket errors + non-200 answers + answers with `errors`, non-empty `userErrors`, "
        "or (checkout) an order that did not end PAID.",
        "",
        "Notes:",
        *[f"- {note}" for note in bench.notes],
        "",
        TARGETS,
        "",
        "Against the targets:",
        *[f"- {line}" for line in check_targets(bench.rows)],
        "",
    ])
    Path(args.output).write_text(report)
    print("\n" + report)
    print(f"bench: written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
