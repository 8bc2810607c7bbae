"""`make bench`: load shopgraph on SQLite and PostgreSQL with wrk and print a table.

For each database: a fresh migrated database with the demo catalog and the
demo shop rules (shipping zones, tax rates, the WELCOME10 code), plus one
shipping product with a large stock for checkouts; one localstripe for the
whole run; and the bench server (bench/server.py: shopgraph's app under
uvicorn, one process, as `shopgraph serve` runs it). Each row: a 1 s wrk
warm-up (`--warmup`; none before checkout under load, which the checkouts
one at a time warm), the SQL statements of one request counted (not under
load, through the server's `/_bench/sql` counter), then wrk for `--seconds`
(default 10) while the runner reads, before and after, the server's CPU time
(utime + stime in /proc/<pid>/stat) and the whole machine's busy time
(/proc/stat), and samples the server's RSS every 50 ms. Static rows use
`wrk -t1 -c16`; the cart flow and checkout keep their state per connection
and use `wrk -t16 -c16`.

Rows, per database:

- the ceiling: a plain Starlette route in the same server answering the
  recorded bytes of the products(first: 20) response;
- products(first: 20) with every scalar Product field, with the response
  cache (default) and without it (a second server, SHOPGRAPH_RESPONSE_CACHE=0);
- product(slug) and the products query as an APQ persisted-query GET;
- the variant catalog without the cache: products(first: 20) with every
  scalar field, priceRange, featuredImage and variants(first: 5);
- search "tee" with two filters and the facets, without the cache;
- the cart flow on shipping variants of the demo catalog, per connection,
  forever: addToCart (new cart), addToCart x2 on it, cartShippingAddressUpdate
  (a US address), cart(id) with lines, deliveryOptions, taxLines and cost; the
  storefront's own documents (storefront/js/api.js). Its SQL is counted per
  request kind (add-new/add/address/read), and each kind's server CPU is
  measured one request at a time (process CPU time around the request);
- checkout one at a time (our own code: server time minus the time inside
  Stripe calls, p50 and p99) and under load at 16 connections: pm_card_visa on
  localstripe, carts prepared before the load with a shipping variant, a US
  address, the cheapest delivery option, tax and WELCOME10;
- PostgreSQL only: products(first: 20) without the cache under
  `uvicorn --workers 2` (CPU summed over the two worker processes; wrk shares
  the machine's cores with them), against the one-process row.

After each server's last row the runner records every server process's
VmRSS. The table goes to bench/results.md (`--output`) and stdout, with the
targets of issue 15 and whether each was met.

    python -m bench.run [--seconds 10] [--warmup 1] [--databases sqlite,postgres] [--profile]
                        [--profile-dir bench/profiles] [--output bench/results.md]

`--profile` also records py-spy profiles (bench/profiles/<name>-<database>.txt,
with summaries by bench/profile_summary.py beside them) of products with and
without the cache, the variant catalog (variant-catalog-*), the cart read
(cart-read-*: the flow's cart(id) document on a cart with three lines and an
address) and checkouts one at a time; those runs come after the measured rows
of their server and are not rows themselves.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import math
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
LUA = BENCH / "graphql.lua"
POSTGRES_SERVER = os.environ.get("SHOPGRAPH_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
CONNECTIONS = 16
STATIC_THREADS = 1  # issue 15: wrk -t1 at 16 connections for the rows that send one request again and again
ACCEPT_JSON = {"accept": "application/json"}  # what wrk sends too (a browser GET would get GraphiQL)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CPUS = os.cpu_count() or 1

# Every scalar field of `type Product` in schema.graphql (price is the deprecated Money of the lowest variant).
PRODUCT_FIELDS = ("id slug title description price { amount currencyCode minorUnits } imageUrl "
                  "availableForSale quantityAvailable tags createdAt updatedAt")
PRODUCTS = ("query { products(first: 20) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
            "edges { cursor node { %s } } } }" % PRODUCT_FIELDS)
PRODUCT_BY_SLUG = 'query { product(slug: "walnut-mug") { %s } }' % PRODUCT_FIELDS
# Every scalar field of `type ProductVariant`, and its price.
VARIANT_FIELDS = "id sku title price { amount currencyCode } availableForSale quantityAvailable weightGrams requiresShipping"
VARIANT_PAGE = ("query { products(first: 20) { totalCount pageInfo { hasNextPage endCursor } nodes { %s "
                "priceRange { minVariantPrice { amount currencyCode } maxVariantPrice { amount currencyCode } } "
                "featuredImage { url altText width height } "
                "variants(first: 5) { nodes { %s } } } } }" % (PRODUCT_FIELDS, VARIANT_FIELDS))
SEARCH_FACETS = ('query { products(first: 20, query: "tee", filters: {available: true, variantOption: '
                 '[{name: "Size", value: "M"}]}) { totalCount nodes { id title priceRange { minVariantPrice { amount } } } '
                 'facets { available { value count } tag { value count } options { name values { value count } } '
                 'price { min { amount } max { amount } } } } }')

# The storefront's documents (storefront/js/api.js: CART_FIELDS, CHECKOUT_CART_FIELDS, addToCart, shipTo, checkoutCart).
MONEY = "amount currencyCode"
IMAGE = "url altText"
CART_FIELDS = (f"id status totalQuantity subtotal {{ {MONEY} }} total {{ {MONEY} }} "
               f"lines {{ id quantity unitPrice {{ {MONEY} }} total {{ {MONEY} }} "
               f"variant {{ id title quantityAvailable selectedOptions {{ name value }} image {{ {IMAGE} }} }} "
               f"product {{ id slug title featuredImage {{ {IMAGE} }} }} }}")
COST = (f"subtotal {{ {MONEY} }} discount {{ {MONEY} }} shipping {{ {MONEY} }} tax {{ {MONEY} }} "
        f"total {{ {MONEY} }} taxesIncluded")
ADDRESS = "firstName lastName company address1 address2 city provinceCode zip countryCode"
CHECKOUT_CART_FIELDS = (f"{CART_FIELDS} email requiresShipping shippingAddress {{ {ADDRESS} }} "
                        f"deliveryOptions {{ handle title estimatedCost {{ {MONEY} }} minDeliveryDays maxDeliveryDays }} "
                        f"selectedDeliveryOption {{ handle title }} discountCodes {{ code applicable }} "
                        f"taxLines {{ title ratePercentage amount {{ {MONEY} }} }} cost {{ {COST} }}")
USER_ERRORS = "userErrors { field message code }"
ADD_TO_CART = ("mutation AddToCart($cartId: ID, $variantId: ID!, $quantity: Int!) { addToCart(cartId: $cartId, "
               f"variantId: $variantId, quantity: $quantity) {{ cart {{ {CART_FIELDS} }} {USER_ERRORS} }} }}")
SHIP_TO = ("mutation ShipTo($cartId: ID!, $address: MailingAddressInput!) { cartShippingAddressUpdate(cartId: $cartId, "
           f"address: $address) {{ cart {{ {CHECKOUT_CART_FIELDS} }} {USER_ERRORS} }} }}")
READ_CART = f"query CheckoutCart($id: ID!) {{ cart(id: $id) {{ {CHECKOUT_CART_FIELDS} }} }}"
# tests/shop.py US_ADDRESS: California, in the US zone, with a state sales tax.
US_ADDRESS = {"firstName": "Ada", "lastName": "Lovelace", "address1": "1 Market St", "city": "San Francisco",
              "provinceCode": "CA", "zip": "94105", "countryCode": "US"}
CART_KINDS = ("add-new", "add", "add", "address", "read")  # the flow's five requests, as bench/graphql.lua sends them
DISCOUNT_CODE = "WELCOME10"

CHECKOUT = ("mutation($input: CheckoutInput!) { checkout(input: $input) { "
            "order { id number status total { amount currencyCode } payment { status cardBrand cardLast4 } } "
            "paymentAction { type clientSecret } userErrors { field message code } } }")
BENCH_PRODUCT_SLUG = "bench-widget"
CART_BATCH = 8  # carts prepared per request: 3 aliased mutations each, under the 30-alias limit

TARGETS = """Targets (issue 15), wrk at 16 connections on this machine:
  variant catalog without the cache >= 12% of the ceiling; search + filters + facets >= 6%;
  each cart flow request >= 12% of the ceiling, <= 4 SQL per mutation;
  checkout: our own code (server time minus time inside Stripe calls) p50 < 8 ms one at a time, <= 12 SQL;
  p99 < 50 ms for every uncached row except checkout; RSS < 150 MB per server process after the whole bench;
  PostgreSQL under --workers 2: server CPU per request not above one worker's."""


# --------------------------------------------------------------------------- results


@dataclass
class Row:
    scenario: str
    database: str
    order: int = 0
    short: str = ""  # the row's name in the targets' lines
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int | None = None
    sql_per_request: str = "-"
    cpu_ms: float | None = None
    busy_cores: float | None = None
    peak_mb: float | None = None
    share: float | None = None
    uncached: bool = False  # for the p99 target
    note: str = ""
    requests: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def table(rows: list[Row]) -> str:
    header = ("| scenario | database | req/s | p50 ms | p99 ms | errors | SQL/req | server CPU ms/req | "
              f"busy cores (of {CPUS}) | peak RSS MB | share of ceiling |\n"
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    lines = [header]
    for row in rows:
        share = "n/a" if row.share is None else f"{row.share:.1%}"
        errors = "n/a" if row.errors is None else str(row.errors)
        lines.append(f"| {row.scenario} | {row.database} | {_fmt(row.rps, 0)} | {_fmt(row.p50_ms, 2)} | "
                     f"{_fmt(row.p99_ms, 2)} | {errors} | {row.sql_per_request} | {_fmt(row.cpu_ms, 2)} | "
                     f"{_fmt(row.busy_cores, 2)} | {_fmt(row.peak_mb, 0)} | {share} |")
    return "\n".join(lines)


def _pct(values: list[float], q: int) -> float:
    """The q-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))]


# --------------------------------------------------------------------------- /proc


def cpu_ticks(pids: list[int]) -> int:
    """utime + stime of the processes (all their threads), in clock ticks."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5), counted from `state` (3)
    return total


def machine_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine from /proc/stat; busy = total - idle - iowait."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    # user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
    total = sum(values[:8])
    return total - values[3] - values[4], total


def busy_cores(before: tuple[int, int], after: tuple[int, int]) -> float | None:
    busy, total = after[0] - before[0], after[1] - before[1]
    return busy / total * CPUS if total > 0 else None


def vm_status(pid: int, key: str) -> float:
    """A /proc/<pid>/status memory figure (VmRSS, VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(key)


def worker_pids(master: int) -> list[int]:
    """The uvicorn workers of a `--workers N` master: its children running multiprocessing's spawn_main
    (not the resource tracker)."""
    children: list[int] = []
    for task in Path(f"/proc/{master}/task").iterdir():
        with contextlib.suppress(OSError):
            children += [int(p) for p in (task / "children").read_text().split()]
    workers = []
    for pid in children:
        with contextlib.suppress(OSError):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
                workers.append(pid)
    return sorted(workers)


# --------------------------------------------------------------------------- databases


async def _prepare(url: str) -> None:
    from commerce.catalog.seed import seed_demo_catalog
    from commerce.shop_rules.seed import seed_shop_rules
    from models import Product, ProductVariant
    from shopgraph import db

    await db.migrate(url)
    await db.init_db(url)
    try:
        await seed_demo_catalog("USD")
        await seed_shop_rules("USD")  # zones, tax rates, WELCOME10: carts get delivery options and taxes
        # One shipping variant with a large stock, so checkouts under load never run out.
        widget = await Product.create(slug=BENCH_PRODUCT_SLUG, title="Bench Widget", description="Bought by make bench.",
                                      price=1250, currency="USD")
        await ProductVariant.create(product_id=widget.id, price=1250, stock=1_000_000_000, requires_shipping=True,
                                    weight_grams=500)
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
    pid: int  # the uvicorn process (the master under --workers)
    process: subprocess.Popen[bytes]
    info: dict[str, Any]
    label: str
    workers: list[int] = field(default_factory=list)  # under --workers: the worker processes

    @property
    def pids(self) -> list[int]:
        """The processes that serve requests: the workers, or the one uvicorn process."""
        return self.workers or [self.pid]


@contextlib.contextmanager
def running_server(database_url: str, stripe_url: str, log: Path, label: str, workers: int = 1,
                   **env: str) -> Iterator[Server]:
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
    if workers > 1:
        command += ["--workers", str(workers)]
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=server_env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        found: list[int] = []
        while True:
            try:
                info = httpx.get(f"{base}/_bench/info", timeout=2).json()
                if workers == 1:
                    break
                found = worker_pids(process.pid)
                if len(found) == workers:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"bench server did not start:\n{log.read_text()}")
            time.sleep(0.1)
        if workers == 1 and info["pid"] != process.pid:
            raise RuntimeError(f"the server answering is pid {info['pid']}, not the one started ({process.pid})")
        if workers > 1 and info["pid"] not in found:
            raise RuntimeError(f"the server answering is pid {info['pid']}, not a worker of {process.pid} ({found})")
        yield Server(base, process.pid, process, info, label, found)
    finally:
        stop_process(process, timeout=15)


class RSSSampler:
    """The largest VmRSS of any of the processes seen while the block runs (sampled every 50 ms)."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for pid in self.pids:
            with contextlib.suppress(OSError, KeyError):
                self.peak = max(self.peak, vm_status(pid, "VmRSS"))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(0.05)

    def __enter__(self) -> "RSSSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


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


def gql(client: httpx.Client, query: str, variables: dict[str, Any] | None = None,
        kind: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    response = client.post("/graphql", json=body, headers={"x-bench-kind": kind} if kind else None)
    response.raise_for_status()
    return response.json()


def data(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The payload `name` of a clean answer (no errors, no userErrors); AssertionError otherwise."""
    assert "errors" not in body, body
    payload = body["data"][name]
    assert not (isinstance(payload, dict) and payload.get("userErrors")), payload
    return payload


def count_sql_split(client: httpx.Client, action: Callable[[], Any]) -> tuple[int, int]:
    """SQL statements the server sends while `action()` runs: (on behalf of the requests, by background tasks
    such as the outbox consumers, which are not counted as the requests')."""
    client.post("/_bench/sql/start").raise_for_status()
    try:
        action()
    finally:
        counted = client.post("/_bench/sql/stop").json()
    return counted["statements"], counted["background"]


def count_sql(client: httpx.Client, action: Callable[[], Any], per: int = 1) -> float:
    """SQL statements the server sends on behalf of the requests of `action()`, divided by `per` requests."""
    return count_sql_split(client, action)[0] / per


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


def timings(client: httpx.Client, reset: bool = True) -> list[list[Any]]:
    """The server's request timings: [seconds, Stripe seconds, Stripe calls, CPU seconds, kind]."""
    return client.get("/_bench/timings", params={"reset": 1} if reset else None).json()["timings"]


# --------------------------------------------------------------------------- scenarios

# The table's order within a database.
ORDER = {name: i for i, name in enumerate([
    "ceiling", "products-cache", "products-nocache", "slug", "apq", "variants", "search", "cart",
    "checkout-alone", "checkout-load", "workers-2"])}


SHORT = {"ceiling": "ceiling", "products-cache": "products cached", "products-nocache": "products cache off",
         "slug": "product(slug)", "apq": "APQ GET", "variants": "variant catalog", "search": "search + facets"}


class Bench:
    def __init__(self, seconds: float, warmup: float, work: Path, profile: bool,
                 profile_dir: Path = BENCH / "profiles") -> None:
        self.seconds = seconds
        self.warmup = warmup
        self.work = work
        self.profile = profile
        self.profile_dir = profile_dir
        self.kind = ""
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.final_rss: list[tuple[str, str, int, float]] = []  # database, server, pid, MB
        self.server_info: dict[str, Any] = {}
        self.body_file = self._body("products", PRODUCTS)
        self.slug_file = self._body("product", PRODUCT_BY_SLUG)
        self.variants_file = self._body("variants", VARIANT_PAGE)
        self.search_file = self._body("search", SEARCH_FACETS)

    def _body(self, name: str, query: str, variables: dict[str, Any] | None = None) -> Path:
        path = self.work / f"{name}.json"
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        path.write_text(json.dumps(body))
        return path

    def say(self, text: str) -> None:
        print(f"bench: {text}", flush=True)

    @contextlib.contextmanager
    def server(self, url: str, stripe_url: str, database: str, label: str, workers: int = 1,
               **env: str) -> Iterator[Server]:
        """A bench server; when the block ends, each of its processes' VmRSS is recorded, then it stops."""
        log = self.work / f"server-{self.kind}.log"
        with running_server(url, stripe_url, log, label, workers, **env) as server:
            self.say(f"{database}: {label}: pid {server.pid}"
                     + (f", workers {server.workers}" if server.workers else "")
                     + f", loop {server.info['loop']}, HTTP {server.info['http']}, Python {server.info['python']}")
            yield server
            processes = [(pid, label + (", worker" if server.workers else "")) for pid in server.pids]
            if server.workers:
                processes.append((server.pid, label + ", master (supervises the workers, serves nothing)"))
            for pid, name in processes:
                with contextlib.suppress(OSError, KeyError):
                    self.final_rss.append((database, name, pid, vm_status(pid, "VmRSS")))

    def settle(self, server: Server, row: Row) -> None:
        """Waits (at most 60 s) until the server is idle: the outbox consumers' work for earlier
        rows' orders (emails, webhooks, live updates) is theirs, not this row's."""
        started = time.monotonic()
        while time.monotonic() - started < 60:
            before = cpu_ticks(server.pids)
            time.sleep(0.5)
            if (cpu_ticks(server.pids) - before) / CLOCK_TICKS < 0.5 * 0.05:  # under 5% of a core
                break
        waited = time.monotonic() - started
        if waited > 2:
            self.notes.append(f"{row.database}: before {row.scenario.split(':')[0]!r} the server was busy with "
                              f"earlier rows' background work for {waited:.0f} s; the row started once it was idle")

    def load(self, server: Server, row: Row, threads: int, env: dict[str, str], path: str = "/",
             warmup: float | None = None) -> Row:
        warmup = self.warmup if warmup is None else warmup
        self.settle(server, row)
        if warmup:
            wrk(server.base, warmup, threads, env, path)
        pids = server.pids
        cpu_before, machine_before = cpu_ticks(pids), machine_times()
        with RSSSampler(pids) as rss:
            figures = wrk(server.base, self.seconds, threads, env, path)
        cpu_after, machine_after = cpu_ticks(pids), machine_times()
        row_from_wrk(row, figures)
        if row.requests:
            row.cpu_ms = (cpu_after - cpu_before) / CLOCK_TICKS * 1000 / row.requests
        row.busy_cores = busy_cores(machine_before, machine_after)
        row.peak_mb = rss.peak
        self.rows.append(row)
        self.say(f"{row.scenario} on {row.database}: {row.rps:,.0f} req/s, p50 {row.p50_ms:.2f} ms, "
                 f"p99 {row.p99_ms:.2f} ms, errors {row.errors}, SQL/req {row.sql_per_request}, "
                 f"CPU {_fmt(row.cpu_ms, 2)} ms/req, busy cores {_fmt(row.busy_cores, 2)}, peak {row.peak_mb:.0f} MB")
        return row

    def static(self, server: Server, client: httpx.Client, scenario: str, database: str, order: str,
               path: str, method: str = "POST", body_file: Path | None = None,
               sql: Callable[[], Any] | None = None, uncached: bool = False, kind: str | None = None) -> Row:
        row = Row(scenario, database, ORDER[order], order, uncached=uncached)
        if sql is not None:
            sql()  # warm (parser caches, a response cache) before counting one request
            row.sql_per_request = _fmt_sql(count_sql(client, sql))
        return self.load(server, row, STATIC_THREADS, self.static_env(path, method, body_file, kind), path=path)

    @staticmethod
    def static_env(path: str, method: str = "POST", body_file: Path | None = None,
                   kind: str | None = None) -> dict[str, str]:
        env = {"BENCH_MODE": "static", "BENCH_METHOD": method, "BENCH_PATH": path}
        if body_file is not None:
            env["BENCH_BODY_FILE"] = str(body_file)
        if kind:
            env["BENCH_KIND"] = kind
        return env

    def products(self, server: Server, client: httpx.Client, database: str, label: str, order: str,
                 uncached: bool = False) -> Row:
        return self.static(server, client, f"products(first: 20), every scalar field, {label}", database, order,
                           "/graphql", body_file=self.body_file, sql=lambda: gql(client, PRODUCTS),
                           uncached=uncached)

    # ------------------------------------------------------------------ one database

    def run_database(self, kind: str, stripe_url: str) -> None:
        database_label = "SQLite" if kind == "sqlite" else "PostgreSQL"
        started = time.monotonic()
        with database(kind, self.work) as url:
            self.say(f"{database_label}: database ready in {time.monotonic() - started:.1f} s")
            with self.server(url, stripe_url, database_label, "server with the response cache (default)") as server:
                self.server_info = server.info
                with httpx.Client(base_url=server.base, timeout=30, headers=ACCEPT_JSON) as client:
                    ceiling = self.scenarios_main(server, client, database_label)
            with self.server(url, stripe_url, database_label, "server with SHOPGRAPH_RESPONSE_CACHE=0",
                             SHOPGRAPH_RESPONSE_CACHE="0") as server:
                with httpx.Client(base_url=server.base, timeout=30, headers=ACCEPT_JSON) as client:
                    one_worker = self.scenarios_uncached(server, client, database_label)
            if kind == "postgres":
                with self.server(url, stripe_url, database_label, "server with SHOPGRAPH_RESPONSE_CACHE=0, "
                                 "uvicorn --workers 2", workers=2, SHOPGRAPH_RESPONSE_CACHE="0") as server:
                    with httpx.Client(base_url=server.base, timeout=30, headers=ACCEPT_JSON) as client:
                        self.workers_row(server, client, database_label, one_worker)
        for r in self.rows:
            if r.database == database_label and r.rps is not None and ceiling and not r.extra.get("no_share"):
                r.share = r.rps / ceiling
        self.say(f"{database_label}: done in {time.monotonic() - started:.0f} s")

    def scenarios_main(self, server: Server, client: httpx.Client, database: str) -> float | None:
        # The ceiling's bytes: one real products(first: 20) response, as it is served.
        real = client.post("/graphql", json={"query": PRODUCTS})
        real.raise_for_status()
        assert "errors" not in real.json(), real.text
        recorded = client.put("/_bench/ceiling", content=real.content,
                              headers={"content-type": real.headers["content-type"]}).json()
        self.say(f"ceiling records {recorded['bytes']} bytes of {recorded['media_type']}")
        ceiling = self.static(server, client, "ceiling: plain Starlette route, same bytes, no GraphQL", database,
                              "ceiling", "/ceiling", body_file=self.body_file)
        if ceiling.cpu_ms is not None and ceiling.rps:
            self.notes.append(f"{database}: at the ceiling the server process used {ceiling.cpu_ms * ceiling.rps / 1000:.2f} "
                              f"cores (CPU ms/req × req/s) of the {_fmt(ceiling.busy_cores, 2)} busy: the rest is wrk "
                              "(one thread) and whatever else runs on the machine")

        self.products(server, client, database, "response cache on (default)", "products-cache")
        self.static(server, client, 'product(slug: "walnut-mug"), every scalar field, response cache on', database,
                    "slug", "/graphql", body_file=self.slug_file, sql=lambda: gql(client, PRODUCT_BY_SLUG))
        self.persisted_get(server, client, database, real.json())
        self.cart_flow(server, client, database)
        self.checkout(server, client, database)
        if self.profile:
            self.profile_scenario(server, f"products-cache-{self.kind}", self.static_env("/graphql", body_file=self.body_file))
        return ceiling.rps

    def scenarios_uncached(self, server: Server, client: httpx.Client, database: str) -> Row:
        one_worker = self.products(server, client, database, "response cache off", "products-nocache",
                                   uncached=True)
        self.static(server, client, "variant catalog, response cache off: products(first: 20), every scalar field + "
                    "priceRange + featuredImage + variants(first: 5) with their scalar fields and price",
                    database, "variants", "/graphql", body_file=self.variants_file,
                    sql=lambda: gql(client, VARIANT_PAGE), uncached=True)
        self.static(server, client, 'search "tee" + 2 filters (available, Size M) + facets, response cache off', database,
                    "search", "/graphql", body_file=self.search_file, sql=lambda: gql(client, SEARCH_FACETS),
                    uncached=True)
        if self.profile:
            self.profile_scenario(server, f"products-nocache-{self.kind}", self.static_env("/graphql", body_file=self.body_file))
            self.profile_scenario(server, f"variant-catalog-{self.kind}",
                                  self.static_env("/graphql", body_file=self.variants_file))
        return one_worker

    def workers_row(self, server: Server, client: httpx.Client, database: str, one_worker: Row) -> None:
        before = client.get("/_bench/info").json()["pid"]  # one keep-alive connection: one worker counts
        gql(client, PRODUCTS)
        sql = count_sql(client, lambda: gql(client, PRODUCTS))
        after = client.get("/_bench/info").json()["pid"]
        row = Row(f"products(first: 20), every scalar field, response cache off, uvicorn --workers 2 "
                  f"(CPU summed over both workers; wrk shares the {CPUS} cores with them)", database,
                  ORDER["workers-2"], "products cache off --workers 2", uncached=True,
                  sql_per_request=_fmt_sql(sql) if before == after else "n/a")
        self.load(server, row, STATIC_THREADS, self.static_env("/graphql", body_file=self.body_file), path="/graphql")
        row.extra["one_worker"] = one_worker
        self.notes.append(
            f"{database}: --workers 2 against one process, products(first: 20) cache off: {row.rps:,.0f} against "
            f"{one_worker.rps:,.0f} req/s; server CPU {_fmt(row.cpu_ms, 2)} against {_fmt(one_worker.cpu_ms, 2)} ms "
            f"per request; busy cores {_fmt(row.busy_cores, 2)} against {_fmt(one_worker.busy_cores, 2)} of {CPUS}")

    def persisted_get(self, server: Server, client: httpx.Client, database: str, expected: dict[str, Any]) -> None:
        scenario = "products(first: 20), every scalar field, as an APQ GET (hash only), response cache on"

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
            self.rows.append(Row(scenario + " (APQ unavailable)", database, ORDER["apq"], "apq", note=note))
            self.notes.append(f"{database}: {note}")
            return
        assert "errors" not in registered, registered
        path = apq_url(PRODUCTS, with_query=False)
        self.static(server, client, scenario, database, "apq", path, method="GET",
                    sql=lambda: client.get(path).raise_for_status())

    # ------------------------------------------------------------------ cart flow

    def shipping_variants(self, client: httpx.Client) -> list[str]:
        """Three in-stock shipping variants of three demo products, for the cart flow."""
        body = gql(client, "query { products(first: 40) { nodes { slug variants(first: 20) { nodes { id "
                           "requiresShipping quantityAvailable } } } } }")
        chosen: list[str] = []
        for product in body["data"]["products"]["nodes"]:
            if product["slug"] == BENCH_PRODUCT_SLUG:
                continue
            variant = next((v for v in product["variants"]["nodes"]
                            if v["requiresShipping"] and v["quantityAvailable"] >= 2), None)
            if variant is not None:
                chosen.append(variant["id"])
            if len(chosen) == 3:
                return chosen
        raise RuntimeError(f"the demo catalog has fewer than three in-stock shipping variants: {body}")

    def cart_flow(self, server: Server, client: httpx.Client, database: str) -> None:
        variants = self.shipping_variants(client)
        # The five bodies bench/graphql.lua sends, with @CART@ for the flow's cart.
        bodies = [{"query": ADD_TO_CART, "variables": {"cartId": None, "variantId": variants[0], "quantity": 1}},
                  {"query": ADD_TO_CART, "variables": {"cartId": "@CART@", "variantId": variants[1], "quantity": 1}},
                  {"query": ADD_TO_CART, "variables": {"cartId": "@CART@", "variantId": variants[2], "quantity": 1}},
                  {"query": SHIP_TO, "variables": {"cartId": "@CART@", "address": US_ADDRESS}},
                  {"query": READ_CART, "variables": {"id": "@CART@"}}]
        cart_file = self.work / f"cart-flow-{self.kind}.txt"
        cart_file.write_text("".join(json.dumps(b, separators=(",", ":")) + "\n" for b in bodies))

        def step(index: int, cart: str | None) -> dict[str, Any]:
            body = json.loads(json.dumps(bodies[index]).replace("@CART@", cart or ""))
            answer = gql(client, body["query"], body["variables"], kind=CART_KINDS[index])
            name = "cart" if index == 4 else ("cartShippingAddressUpdate" if index == 3 else "addToCart")
            payload = data(answer, name)
            return payload if index == 4 else payload["cart"]

        def flow() -> str:
            cart = step(0, None)["id"]
            for index in range(1, 5):
                step(index, cart)
            return cart

        flow()  # warm
        # SQL of each request kind, counted once, not under load.
        counts: list[float] = []
        cart: str | None = None
        for index in range(5):
            holder: dict[str, Any] = {}
            counts.append(count_sql(client, lambda: holder.setdefault("r", step(index, cart))))
            if index == 0:
                cart = holder["r"]["id"]
            if index == 4:
                read = holder["r"]
        assert read["deliveryOptions"] and read["taxLines"] and read["cost"]["tax"] is not None, read
        adds = sorted({counts[1], counts[2]})
        kinds_sql = {"add-new": counts[0], "add": max(adds), "address": counts[3], "read": counts[4]}
        sql_text = (f"{_fmt_sql(counts[0])}/{'–'.join(_fmt_sql(a) for a in adds)}/{_fmt_sql(counts[3])}/"
                    f"{_fmt_sql(counts[4])}")
        read_file = self._body(f"cart-read-{self.kind}", READ_CART, {"id": cart})

        # Each kind's server CPU and time, one request at a time (20 flows).
        timings(client)
        for _ in range(20):
            flow()
        alone = timings(client)

        row = Row("cart flow on shipping variants, the storefront's documents, per request: addToCart (new cart), "
                  "addToCart x2, cartShippingAddressUpdate (US), cart(id) with lines, deliveryOptions, taxLines, cost",
                  database, ORDER["cart"], "cart flow", uncached=True, sql_per_request=sql_text)
        self.load(server, row, CONNECTIONS, {"BENCH_MODE": "cart", "BENCH_CART_FILE": str(cart_file)},
                  path="/graphql")
        loaded = timings(client)
        flows = row.extra["wrk"]["flows"]
        row.extra["flows_per_s"] = flows / (row.extra["wrk"]["duration_us"] / 1e6)
        per_kind: dict[str, dict[str, float]] = {}
        for kind in ("add-new", "add", "address", "read"):
            cpu = [t[3] * 1000 for t in alone if t[4] == kind]
            own = [t[0] * 1000 for t in alone if t[4] == kind]
            busy = [t[0] * 1000 for t in loaded if t[4] == kind]
            per_kind[kind] = {"sql": kinds_sql[kind], "cpu_ms": statistics.median(cpu), "alone_ms": statistics.median(own),
                              "load_p50": statistics.median(busy) if busy else math.nan,
                              "load_p99": _pct(busy, 99) if busy else math.nan}
        row.extra["per_kind"] = per_kind
        self.notes.append(
            f"{database}: cart flow SQL/req is add-new/add/address/read counted once each, not under load "
            f"(the two adds: {'/'.join(_fmt_sql(c) for c in counts[1:3])}; a flow is "
            f"{_fmt_sql(sum(counts))} statements for 5 requests). It completed {flows} flows "
            f"({row.extra['flows_per_s']:.0f} flows/s, 5 requests each)")
        self.notes.append(f"{database}: cart flow per request kind: " + "; ".join(
            f"{kind}: server CPU {v['cpu_ms']:.2f} ms and server time {v['alone_ms']:.2f} ms one at a time "
            f"(p50 of 20), server time under the load p50 {v['load_p50']:.1f} / p99 {v['load_p99']:.1f} ms"
            for kind, v in per_kind.items()))
        self.say(self.notes[-1])
        if self.profile:
            self.profile_scenario(server, f"cart-read-{self.kind}",
                                  self.static_env("/graphql", body_file=read_file, kind="read"))

    # ------------------------------------------------------------------ checkout

    def checkout_cart_shape(self, client: httpx.Client, database: str, variant: str) -> str:
        """Builds one checkout cart step by step and checks its shape; returns the delivery option's handle."""
        cart = data(gql(client, ADD_TO_CART, {"cartId": None, "variantId": variant, "quantity": 1}), "addToCart")["cart"]["id"]
        shipped = data(gql(client, SHIP_TO, {"cartId": cart, "address": US_ADDRESS}), "cartShippingAddressUpdate")["cart"]
        assert shipped["deliveryOptions"], shipped
        handle = shipped["deliveryOptions"][0]["handle"]
        data(gql(client, "mutation($c: ID!, $h: String!) { cartSelectedDeliveryOptionUpdate(cartId: $c, handle: $h) "
                         f"{{ {USER_ERRORS} }} }}", {"c": cart, "h": handle}), "cartSelectedDeliveryOptionUpdate")
        data(gql(client, "mutation($c: ID!, $codes: [String!]!) { cartDiscountCodesUpdate(cartId: $c, codes: $codes) "
                         f"{{ {USER_ERRORS} }} }}", {"c": cart, "codes": [DISCOUNT_CODE]}), "cartDiscountCodesUpdate")
        read = data(gql(client, READ_CART, {"id": cart}), "cart")
        cost = read["cost"]
        assert read["selectedDeliveryOption"] and read["taxLines"] and cost["tax"] is not None, read
        assert [c["applicable"] for c in read["discountCodes"]] == [True], read
        assert float(cost["discount"]["amount"]) > 0 and float(cost["shipping"]["amount"]) > 0, read
        self.notes.append(
            f"{database}: each checkout cart holds 1 × Bench Widget and ships to San Francisco, CA: subtotal "
            f"{cost['subtotal']['amount']}, {DISCOUNT_CODE} −{cost['discount']['amount']}, "
            f"{read['selectedDeliveryOption']['title']} {cost['shipping']['amount']}, "
            f"tax {cost['tax']['amount']} ({', '.join(t['title'] for t in read['taxLines'])}), "
            f"total {cost['total']['amount']} {cost['total']['currencyCode']}")
        return handle

    def make_carts(self, base: str, variant: str, handle: str, count: int) -> list[str]:
        """`count` checkout carts, CART_BATCH a request: one request adds the variant to new carts, the
        next sets each one's address, delivery option and discount code (aliased mutations run in order)."""
        add = ("mutation($v: ID!) { " + " ".join(
            f"c{i}: addToCart(variantId: $v, quantity: 1) {{ cart {{ id }} {USER_ERRORS} }}" for i in range(CART_BATCH))
            + " }")

        def details(n: int) -> str:
            args = ", ".join(f"$c{i}: ID!" for i in range(n))
            fields = " ".join(
                f"s{i}: cartShippingAddressUpdate(cartId: $c{i}, address: $a) {{ {USER_ERRORS} }} "
                f"d{i}: cartSelectedDeliveryOptionUpdate(cartId: $c{i}, handle: $h) {{ {USER_ERRORS} }} "
                f"w{i}: cartDiscountCodesUpdate(cartId: $c{i}, codes: $codes) {{ cart {{ discountCodes {{ applicable }} }} "
                f"{USER_ERRORS} }}" for i in range(n))
            return f"mutation($a: MailingAddressInput!, $h: String!, $codes: [String!]!, {args}) {{ {fields} }}"

        async def work() -> list[str]:
            carts: list[str] = []
            batches = iter(range(math.ceil(count / CART_BATCH)))
            async with httpx.AsyncClient(base_url=base, timeout=60, headers=ACCEPT_JSON) as http:
                async def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
                    body = (await http.post("/graphql", json={"query": query, "variables": variables})).json()
                    assert "errors" not in body, body
                    for payload in body["data"].values():
                        assert not payload["userErrors"], payload
                    return body["data"]

                async def worker() -> None:
                    for _ in batches:
                        made = await post(add, {"v": variant})
                        ids = [made[f"c{i}"]["cart"]["id"] for i in range(CART_BATCH)]
                        done = await post(details(len(ids)), {"a": US_ADDRESS, "h": handle, "codes": [DISCOUNT_CODE],
                                                             **{f"c{i}": c for i, c in enumerate(ids)}})
                        assert all(done[f"w{i}"]["cart"]["discountCodes"] == [{"applicable": True}]
                                   for i in range(len(ids))), done
                        carts.extend(ids)

                await asyncio.gather(*(worker() for _ in range(4)))
            return carts[:count]

        return asyncio.run(work())

    def checkout(self, server: Server, client: httpx.Client, database: str) -> None:
        widget = gql(client, 'query { product(slug: "%s") { variants(first: 1) { nodes { id } } } }'
                     % BENCH_PRODUCT_SLUG)["data"]["product"]["variants"]["nodes"][0]["id"]
        handle = self.checkout_cart_shape(client, database, widget)
        run = uuid.uuid4().hex[:8]

        def checkout_once(cart: str) -> dict[str, Any]:
            body = gql(client, CHECKOUT, {"input": {"cartId": cart, "email": "bench@example.com",
                                                    "paymentToken": "pm_card_visa",
                                                    "idempotencyKey": f"{run}-seq-{uuid.uuid4().hex}"}},
                       kind="checkout")
            assert "errors" not in body and body["data"]["checkout"]["order"]["status"] == "PAID", body
            return body

        # One at a time: warm-up, the SQL count, and our own time with no queue in front.
        started = time.monotonic()
        sequential = self.make_carts(server.base, widget, handle, 42)
        self.say(f"checkout on {database}: {len(sequential)} carts prepared in {time.monotonic() - started:.1f} s")
        checkout_once(sequential.pop())
        sql, background = count_sql_split(client, lambda: checkout_once(sequential.pop()))
        timings(client)
        cpu_before, machine_before = cpu_ticks(server.pids), machine_times()
        started = time.perf_counter()
        with RSSSampler(server.pids) as rss:
            for cart in sequential:
                checkout_once(cart)
        wall = time.perf_counter() - started
        cpu_after, machine_after = cpu_ticks(server.pids), machine_times()
        alone = [t for t in timings(client) if t[4] == "checkout"]
        own = [(t[0] - t[1]) * 1000 for t in alone]
        row = Row("checkout one at a time: our own code = server time minus time inside Stripe calls "
                  "(p50/p99 of that; req/s = checkouts/s one after another)", database, ORDER["checkout-alone"],
                  "checkout one at a time",
                  rps=len(alone) / wall, p50_ms=statistics.median(own), p99_ms=_pct(own, 99), errors=0,
                  sql_per_request=_fmt_sql(sql), cpu_ms=(cpu_after - cpu_before) / CLOCK_TICKS * 1000 / len(alone),
                  busy_cores=busy_cores(machine_before, machine_after), peak_mb=rss.peak, requests=len(alone))
        row.extra["no_share"] = True
        row.extra["own_alone_p50"] = row.p50_ms
        self.rows.append(row)
        cpu_p50 = statistics.median([t[3] * 1000 for t in alone])
        self.notes.append(f"{database}: checkout, " + self._summary(alone, "one at a time")
                          + f"; server CPU p50 {cpu_p50:.1f} ms per checkout. SQL: {sql} statements on behalf of the "
                          f"request; {background} more by the app's background tasks (outbox consumers: mail, "
                          f"webhooks, live updates) in the same window, not counted in SQL/req")
        self.say(self.notes[-1])

        # Under load: enough carts for `seconds` at the rate one server core allows (CPU per checkout above).
        needed = int(self.seconds * 1000 / max(cpu_p50, 1.0) * 1.25) + 2 * CONNECTIONS
        started = time.monotonic()
        carts = self.make_carts(server.base, widget, handle, needed)
        carts_file = self.work / f"carts-{self.kind}.txt"
        carts_file.write_text("\n".join(carts) + "\n")
        self.say(f"checkout on {database}: {len(carts)} carts prepared in {time.monotonic() - started:.1f} s")
        timings(client)
        row = Row("checkout under load: pm_card_visa on localstripe, cart with a shipping variant, US address, "
                  f"delivery option, tax, {DISCOUNT_CODE}", database, ORDER["checkout-load"], "checkout under load",
                  sql_per_request=_fmt_sql(sql))
        self.load(server, row, CONNECTIONS, {"BENCH_MODE": "checkout", "BENCH_CARTS_FILE": str(carts_file),
                                             "BENCH_RUN": run, "BENCH_THREADS": str(CONNECTIONS)},
                  path="/graphql", warmup=0)
        loaded = [t for t in timings(client) if t[4] == "checkout"]
        if row.extra["wrk"]["flows"] >= len(carts) - CONNECTIONS:
            self.notes.append(f"{database}: checkout under load ran out of prepared carts before {self.seconds:g} s")
        row.extra["own_loaded_p50"] = statistics.median([t[0] - t[1] for t in loaded]) * 1000 if loaded else None
        self.notes.append(f"{database}: checkout, " + self._summary(loaded, f"under load at {CONNECTIONS} connections"))
        self.say(self.notes[-1])
        if self.profile:  # our own code in a checkout, one at a time (no queue in front of it)
            carts = self.make_carts(server.base, widget, handle, 60)
            with self.spying(server, f"checkout-sequential-{self.kind}"):
                for cart in carts:
                    checkout_once(cart)

    @staticmethod
    def _summary(timed: list[list[Any]], label: str) -> str:
        if not timed:
            return f"{label}: no checkouts timed"
        total = [t[0] * 1000 for t in timed]
        stripe = [t[1] * 1000 for t in timed]
        own = [a - b for a, b in zip(total, stripe)]
        return (f"{label} ({len(timed)} checkouts, {timed[0][2]} gateway calls each): server time p50 "
                f"{statistics.median(total):.1f} ms, inside Stripe calls p50 {statistics.median(stripe):.1f} ms, "
                f"our own code p50 {statistics.median(own):.1f} ms (p99 {_pct(own, 99):.1f} ms)")

    # ------------------------------------------------------------------ profiles

    @contextlib.contextmanager
    def spying(self, server: Server, name: str) -> Iterator[None]:
        """py-spy records the server while the block runs (not a measured run); then a summary."""
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if not Path(py_spy).exists():
            self.say("py-spy not found (pip install -e '.[bench]'): no profile")
            yield
            return
        out = self.profile_dir
        out.mkdir(parents=True, exist_ok=True)
        raw = out / f"{name}.txt"
        spy = subprocess.Popen([py_spy, "record", "--pid", str(server.pids[0]), "--rate", "250", "--nonblocking",
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

    def profile_scenario(self, server: Server, name: str, env: dict[str, str], threads: int = STATIC_THREADS,
                         path: str = "/graphql") -> None:
        with self.spying(server, name):
            wrk(server.base, self.seconds, threads, env, path)


# --------------------------------------------------------------------------- targets


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def check_targets(rows: list[Row], final_rss: list[tuple[str, str, int, float]]) -> list[str]:
    lines = []
    for database in ("SQLite", "PostgreSQL"):
        mine = [r for r in rows if r.database == database and r.rps is not None]
        if not mine:
            continue
        by = {r.order: r for r in mine}
        ceiling = by.get(ORDER["ceiling"])
        for key, label, goal in (("variants", "variant catalog without the cache", 0.12),
                                 ("search", "search + filters + facets without the cache", 0.06)):
            row = by.get(ORDER[key])
            if row is not None and row.share is not None:
                lines.append(f"{database}: {label} at {row.share:.1%} of the ceiling (target >= {goal:.0%}): "
                             f"{_verdict(row.share >= goal)}")
        cart = by.get(ORDER["cart"])
        if cart is not None and cart.share is not None:
            per_kind = cart.extra["per_kind"]
            lines.append(f"{database}: cart flow requests together at {cart.share:.1%} of the ceiling "
                         f"(every request of the flow counted; target >= 12%): {_verdict(cart.share >= 0.12)}")
            if ceiling is not None and ceiling.rps:
                # What a kind alone could reach with the server's one core busy: 1000 / its CPU ms per request.
                estimates = {k: 1000 / v["cpu_ms"] / ceiling.rps for k, v in per_kind.items() if v["cpu_ms"] > 0}
                lines.append(f"{database}: each cart flow request kind, estimated (1000 ÷ the kind's server CPU ms "
                             f"one at a time = req/s with the server's core busy, ÷ the ceiling's "
                             f"{ceiling.rps:,.0f} req/s; target >= 12%): "
                             + ", ".join(f"{k} {s:.1%} {_verdict(s >= 0.12)}" for k, s in estimates.items()))
            mutations = {k: v["sql"] for k, v in per_kind.items() if k != "read"}
            lines.append(f"{database}: SQL per cart mutation " + ", ".join(f"{k} {_fmt_sql(v)}" for k, v in mutations.items())
                         + f" (target <= 4): {_verdict(max(mutations.values()) <= 4)}")
        alone = by.get(ORDER["checkout-alone"])
        if alone is not None:
            sql = float(alone.sql_per_request)
            lines.append(f"{database}: checkout one at a time, our own code p50 {alone.p50_ms:.1f} ms (p99 "
                         f"{alone.p99_ms:.1f} ms), {_fmt_sql(sql)} SQL (target p50 < 8 ms, <= 12 SQL): "
                         f"{_verdict(alone.p50_ms < 8)} time, {_verdict(sql <= 12)} SQL")
        loaded = by.get(ORDER["checkout-load"])
        if loaded is not None and loaded.extra.get("own_loaded_p50") is not None:
            lines.append(f"{database}: (no target) checkout under load at 16 connections, our own code p50 "
                         f"{loaded.extra['own_loaded_p50']:.1f} ms")
        uncached = [r for r in mine if r.uncached]
        slow = [f"{SHORT.get(r.short, r.short)} {r.p99_ms:.1f} ms" for r in uncached if r.p99_ms >= 50]
        lines.append(f"{database}: p99 < 50 ms at 16 connections for the {len(uncached)} uncached rows (checkout "
                     "excepted): " + ("met by every one" if not slow else "MISSED by " + "; ".join(slow)))
        workers = by.get(ORDER["workers-2"])
        if workers is not None and workers.cpu_ms is not None:
            one = workers.extra["one_worker"]
            lines.append(f"{database}: server CPU per request under --workers 2 {workers.cpu_ms:.2f} ms against "
                         f"{_fmt(one.cpu_ms, 2)} ms with one process (target: not above): "
                         f"{_verdict(one.cpu_ms is not None and workers.cpu_ms <= one.cpu_ms)}")
        rss = [(label, mb) for db, label, _, mb in final_rss if db == database]
        if rss:
            big = [f"{label} {mb:.0f} MB" for label, mb in rss if mb >= 150]
            lines.append(f"{database}: RSS < 150 MB per server process after its last row ({len(rss)} processes, "
                         f"largest {max(mb for _, mb in rss):.0f} MB): " + ("met" if not big else "MISSED by " + "; ".join(big)))
        failing = [f"{SHORT.get(r.short, r.short)} {r.errors}" for r in mine if r.errors]
        lines.append(f"{database}: (no target, but a row with errors measures something else) zero errors: "
                     + ("yes" if not failing else "NO: " + "; ".join(failing)))
    return lines


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="wrk duration per row (issue: >= 10)")
    parser.add_argument("--warmup", type=float, default=1.0, help="wrk warm-up before each row, seconds (0: none)")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--profile", action="store_true",
                        help="also record py-spy profiles (products, variant catalog, cart read, checkout) "
                             "into bench/profiles/")
    parser.add_argument("--profile-dir", default=str(BENCH / "profiles"),
                        help="where --profile writes the raw profiles (<name>.txt) and their summaries")
    parser.add_argument("--output", default=str(BENCH / "results.md"))
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench: wrk is missing (apt-get install wrk; `make bench` installs it)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    from shopgraph.emulator import running_localstripe

    started = time.monotonic()
    before = machine_times()
    time.sleep(1.0)
    idle_check = busy_cores(before, machine_times())
    print(f"bench: before the bench, the machine's {CPUS} cores were {_fmt(idle_check, 2)} busy (1 s)", flush=True)
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    with tempfile.TemporaryDirectory(prefix="shopgraph-bench-") as tmp:
        bench = Bench(args.seconds, args.warmup, Path(tmp), args.profile, Path(args.profile_dir))
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
        info = bench.server_info
    elapsed = time.monotonic() - started
    databases = ["SQLite", "PostgreSQL"]
    rows = sorted(bench.rows, key=lambda r: (databases.index(r.database), r.order))
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = (f"{CPUS} cores ({platform.processor() or platform.machine()}), Linux {platform.release()}, "
               f"Python {info.get('python', platform.python_version())}, uvicorn one process unless a row says "
               f"otherwise (loop {info.get('loop', '?')}, HTTP {info.get('http', '?')}), wrk {CONNECTIONS} "
               f"connections (-t{STATIC_THREADS} for static rows, -t{CONNECTIONS} for the cart flow and checkout), "
               f"{args.seconds:g} s per row after a {args.warmup:g} s warm-up; before the bench the machine was "
               f"{_fmt(idle_check, 2)} cores busy")
    rss_lines = [f"- {db}, {label} (pid {pid}): {mb:.0f} MB" for db, label, pid, mb in bench.final_rss]
    report = "\n".join([
        f"# shopgraph benchmark, {when}",
        "",
        f"Machine: {machine}. The whole run took {elapsed:.0f} s.",
        "",
        table(rows),
        "",
        "Share of ceiling = req/s divided by the ceiling row's req/s on the same database (one process). "
        "SQL/req counted once per row, not under load, after one warm-up request. Server CPU ms/req = utime + stime "
        "of the server process(es) (/proc/<pid>/stat, every thread) over the measured wrk run, divided by its "
        "requests. Busy cores = the whole machine's (total − idle − iowait) ÷ total jiffies (/proc/stat) over the "
        f"row, times {CPUS}: wrk, PostgreSQL, localstripe and anything else running count too, so a row whose "
        "server CPU is low while the machine is busy was competing. Peak RSS MB = the largest VmRSS of a server "
        "process during the row. Errors = socket errors + non-200 answers + answers with `errors`, non-empty "
        "`userErrors`, or (checkout) an order that did not end PAID.",
        "",
        "Server processes' RSS (VmRSS) after their last row:",
        *rss_lines,
        "",
        "Notes:",
        *[f"- {note}" for note in bench.notes],
        "",
        TARGETS,
        "",
        "Against the targets:",
        *[f"- {line}" for line in check_targets(rows, bench.final_rss)],
        "",
    ])
    Path(args.output).write_text(report)
    print("\n" + report)
    print(f"bench: written to {args.output} (the whole run took {elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
