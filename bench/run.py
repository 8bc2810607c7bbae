"""`make bench`: load shopgraph on SQLite and PostgreSQL with wrk, before and after, and print a table.

Two builds are measured side by side (issue 25): `--before REV` checks REV
out into a throwaway `git worktree` under the system temp dir (removed
afterwards) and copies this harness (bench/) over its own, so both sides are
measured by the same bench code; the after side is this tree. Each side's
processes run with cwd and PYTHONPATH at its own tree, and its server checks
that shopgraph's packages were imported from there (not from the venv's
editable install of another checkout) and says where, in `/_bench/info`.
Each side migrates and seeds its own databases with its own code.
`--before same` measures this tree against itself, with `--before-env
NAME=VALUE` for the before side's servers (e.g. SHOPGRAPH_COMPILED_READS=0);
`--before none` (the default here; `make bench` passes BENCH_BEFORE) measures
this tree alone.

For each database and side: a fresh migrated database with the demo catalog
and the demo shop rules (shipping zones, tax rates, the WELCOME10 code), plus
one shipping product with a large stock for checkouts; one localstripe for the
whole run; and the bench server (bench/server.py: shopgraph's app under
uvicorn, one process, as `shopgraph serve` runs it), both sides' servers up at
once. Each row: the SQL statements of one request counted on each side (not
under load, through the server's `/_bench/sql` counter, once the servers are
idle), then `--rounds` (default 2) wrk runs per side of `--seconds` ÷ rounds
each (default 10 s in all per side), the sides alternating: before, after,
before, after, with the same wrk settings. The first run of each side follows
a 1 s wrk warm-up (`--warmup`; none before checkout under load, which the
checkouts one at a time warm), and every run starts once both sides' servers
are idle. Around each run the runner reads the server's CPU time (utime +
stime in /proc/<pid>/stat) and the whole machine's busy time (/proc/stat), and
samples the server's RSS every 50 ms; a row sums its runs (req/s, CPU per
request, busy cores) and takes the median of their p50s and p99s. Static rows
use `wrk -t1 -c16`; the cart flow and checkout keep their state per connection
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
  storefront's own documents (storefront/js/api.js). Then one row per request
  kind (add-new/add/address/read): its SQL, its server CPU one request at a
  time (process CPU time around the request, p50 of 20 flows per side, the
  sides alternating) and its server time under the flow's load;
- the cart read alone under load, without the cache: the flow's cart(id)
  document on a cart with three lines and a US address;
- checkout one at a time (our own code: server time minus the time inside
  Stripe calls, p50 and p99; 40 per side, alternating) and under load at 16
  connections: pm_card_visa on localstripe, carts prepared before the load
  with a shipping variant, a US address, the cheapest delivery option, tax and
  WELCOME10;
- PostgreSQL only: products(first: 20) without the cache under
  `uvicorn --workers 2` (CPU summed over the two worker processes; wrk shares
  the machine's cores with them), against the one-process row.

After each server's last row the runner records every server process's
VmRSS. The table goes to bench/results.md (`--output`) and stdout: per row,
`before → after` in each cell and CPU before ÷ after, then the targets of
issue 25 and whether the after side met each.

    python -m bench.run [--before REV|same|none] [--before-env NAME=VALUE ...] [--seconds 10] [--rounds 2]
                        [--warmup 1] [--databases sqlite,postgres] [--profile]
                        [--profile-dir bench/profiles] [--output bench/results.md]

`--profile` also records py-spy profiles of the after side
(bench/profiles/<name>-<database>.txt, with summaries by
bench/profile_summary.py beside them) of products with and without the cache,
the variant catalog (variant-catalog-*), the cart read (cart-read-*) and
checkouts one at a time; those runs come after the measured rows of their
server and are not rows themselves.
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
TARGETS = """Targets (issue 25), for the after side: server CPU per request on this machine, response cache off,
SQLite and PostgreSQL:
  products(first: 20) <= 2 ms; the variant catalog page <= 3 ms; search + 2 filters + facets <= 4 ms;
  each cart mutation (one at a time) and the cart read (under load) <= 3 ms and <= 4 SQL;
  checkout, our own code (server time minus time inside Stripe calls) p50 <= 10 ms one at a time, <= 15 SQL;
  RSS <= 150 MB per server process."""

# The packages whose files a side's server must import from that side's tree (pyproject's packages).
CODE_PACKAGES = ("shopgraph", "graph", "commerce", "models", "payments")
# The harness: copied over the before side's tree, so both sides are measured by the same bench code.
HARNESS = ("__init__.py", "run.py", "server.py", "graphql.lua", "profile_summary.py")


# --------------------------------------------------------------------------- results


@dataclass
class Row:
    scenario: str
    database: str
    order: int = 0
    short: str = ""  # the row's name in the targets' lines
    side: str = "after"
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int | None = None
    sql_per_request: str = "-"
    cpu_ms: float | None = None
    busy_cores: float | None = None
    peak_mb: float | None = None
    share: float | None = None
    uncached: bool = False
    note: str = ""
    requests: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.{digits}f}"


def _pair(before: str | None, after: str) -> str:
    return after if before is None else f"{before} → {after}"


def table(rows: list[Row], sides: list[str]) -> str:
    """One line per scenario and database; with two sides each cell reads `before → after`."""
    paired = len(sides) == 2
    header = ("| scenario | database | req/s | p50 ms | p99 ms | server CPU ms/req | "
              + ("CPU before ÷ after | " if paired else "")
              + f"SQL/req | peak RSS MB | errors | busy cores (of {CPUS}) |\n"
              + "|---|---|" + "---:|" * (9 if paired else 8))
    lines = [header]
    grouped: dict[tuple[str, int], dict[str, Row]] = {}
    for row in rows:
        grouped.setdefault((row.database, row.order), {})[row.side] = row
    databases = ["SQLite", "PostgreSQL"]
    for key in sorted(grouped, key=lambda k: (databases.index(k[0]), k[1])):
        by_side = grouped[key]
        after = by_side.get("after") or next(iter(by_side.values()))
        before = by_side.get("before") if paired else None

        def cell(get: Callable[[Row], str]) -> str:
            if not paired:
                return get(after)
            return _pair(get(before) if before is not None else "n/a",
                         get(by_side["after"]) if "after" in by_side else "n/a")

        ratio = ""
        if paired:
            b, a = (before.cpu_ms if before else None), by_side["after"].cpu_ms if "after" in by_side else None
            ratio = (f"×{b / a:.2f}" if b and a else "n/a") + " | "
        lines.append(
            f"| {after.scenario} | {after.database} | {cell(lambda r: _fmt(r.rps, 0))} | "
            f"{cell(lambda r: _fmt(r.p50_ms, 2))} | {cell(lambda r: _fmt(r.p99_ms, 2))} | "
            f"{cell(lambda r: _fmt(r.cpu_ms, 2))} | {ratio}{cell(lambda r: r.sql_per_request)} | "
            f"{cell(lambda r: _fmt(r.peak_mb, 0))} | {cell(lambda r: 'n/a' if r.errors is None else str(r.errors))} | "
            f"{cell(lambda r: _fmt(r.busy_cores, 2))} |")
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


# --------------------------------------------------------------------------- the two sides


@dataclass
class Side:
    """One build under measurement: its tree (the code its servers and its database preparation import),
    the commit, and environment variables for its servers."""

    name: str  # "before" | "after"
    root: Path
    rev: str
    describe: str
    env: dict[str, str] = field(default_factory=dict)

    def python_env(self, base: dict[str, str]) -> dict[str, str]:
        """`base` with this tree first on sys.path (cwd is the tree too): its packages, not the venv's
        editable install of another checkout."""
        env = dict(base)
        env["PYTHONPATH"] = os.pathsep.join([str(self.root)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        env["BENCH_CODE_ROOT"] = str(self.root)  # bench/server.py refuses to start on code from elsewhere
        return env


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True).stdout.strip()


def describe(rev: str) -> str:
    return git("log", "-1", "--format=%h %s", rev)


def current_side() -> Side:
    dirty = git("status", "--porcelain", "--untracked-files=no")
    head = git("rev-parse", "HEAD")
    return Side("after", ROOT, head, describe(head) + (" (with uncommitted changes)" if dirty else ""))


@contextlib.contextmanager
def before_side(rev: str, env: dict[str, str], directory: Path) -> Iterator[Side]:
    """`same`: this tree again (with `env`, e.g. SHOPGRAPH_COMPILED_READS=0). Otherwise `rev` checked out in a
    throwaway `git worktree` under `directory`, the current harness (bench/) copied over its own, removed after."""
    if rev == "same":
        side = current_side()
        yield Side("before", ROOT, side.rev, side.describe, env)
        return
    commit = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    tree = directory / f"before-{commit[:12]}"
    git("worktree", "add", "--detach", str(tree), commit)
    try:
        (tree / "bench").mkdir(exist_ok=True)
        for name in HARNESS:
            shutil.copy2(BENCH / name, tree / "bench" / name)
        yield Side("before", tree, commit, describe(commit), env)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)


# --------------------------------------------------------------------------- databases


async def _prepare(url: str) -> None:
    """Migrates and seeds `url` with the code of the tree this process imports (run by `--prepare-database`)."""
    from commerce.catalog.seed import seed_demo_catalog

    try:
        from commerce.shop_rules.seed import seed_shop_rules
    except ImportError:  # builds before the shop rules had their own package
        from commerce.checkout.seed import seed_shop_rules  # type: ignore[no-redef]
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


def prepare_with(side: Side, url: str) -> None:
    """The side's own code migrates and seeds its database (its migrations may differ from the other's)."""
    env = side.python_env({k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "SHOPGRAPH_"))})
    done = subprocess.run([sys.executable, "-m", "bench.run", "--prepare-database", url], cwd=side.root, env=env,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"preparing the {side.name} database failed:\n{done.stdout}\n{done.stderr}")


@contextlib.contextmanager
def database(kind: str, directory: Path, side: Side) -> Iterator[str]:
    """A fresh database of `kind`, migrated and seeded by `side`'s code; dropped (PostgreSQL) afterwards."""
    name = f"shopgraph_bench_{side.name}_{uuid.uuid4().hex[:10]}"
    if kind == "sqlite":
        url = f"sqlite://{directory / (name + '.db')}"
        prepare_with(side, url)
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
        prepare_with(side, url)
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
def running_server(side: Side, database_url: str, stripe_url: str, log: Path, label: str, workers: int = 1,
                   **env: str) -> Iterator[Server]:
    from shopgraph.emulator import TEST_SECRET_KEY, free_port, stop_process

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_env = side.python_env({k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "SHOPGRAPH_"))})
    server_env.update(
        DATABASE_URL=database_url,
        STRIPE_SECRET_KEY=TEST_SECRET_KEY,
        STRIPE_API_BASE=stripe_url,
        SHOPGRAPH_RECONCILE_INTERVAL="0",  # no reconciler pass in the middle of a measurement
        **side.env,
        **env,
    )
    # The settings of `shopgraph serve` (shopgraph/cli.py _serve): factory, one process,
    # access log off, uvicorn's default loop and HTTP implementation.
    command = [sys.executable, "-m", "uvicorn", "bench.server:create_bench_app", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    if workers > 1:
        command += ["--workers", str(workers)]
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=server_env, cwd=side.root, stdout=out, stderr=subprocess.STDOUT)
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
        elsewhere = {name: path for name, path in (info.get("code") or {}).items()
                     if not Path(path).resolve().is_relative_to(side.root.resolve())}
        if not info.get("code") or elsewhere:
            raise RuntimeError(f"the {side.name} server imports code from outside {side.root}: {info.get('code')}")
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



def wrk(base: str, seconds: float, threads: int, env: dict[str, str], path: str = "/") -> dict[str, Any]:
    command = ["wrk", f"-t{threads}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--timeout", "5s",
               "--latency", "-s", str(LUA), base + path]
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=seconds + 60)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise RuntimeError(f"wrk gave no figures (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


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
    "cart-add-new", "cart-add", "cart-address", "cart-read-flow", "cart-read", "checkout-alone", "checkout-load",
    "workers-2"])}


SHORT = {"ceiling": "ceiling", "products-cache": "products cached", "products-nocache": "products cache off",
         "slug": "product(slug)", "apq": "APQ GET", "variants": "variant catalog", "search": "search + facets",
         "cart": "cart flow", "cart-read": "cart read"}

KIND_ROWS = {  # the cart flow's request kinds, each its own row
    "add-new": ("cart-add-new", "addToCart, a new cart"),
    "add": ("cart-add", "addToCart on the cart (the larger of the two adds' SQL)"),
    "address": ("cart-address", "cartShippingAddressUpdate (US)"),
    "read": ("cart-read-flow", "cart(id) with lines, deliveryOptions, taxLines, cost"),
}


@dataclass
class End:
    """One side's server on one database, and a client of it."""

    side: Side
    server: Server
    client: httpx.Client

    @property
    def name(self) -> str:
        return self.side.name


@dataclass
class Run:
    """One row of one side, measured in `rounds` wrk runs alternating with the other side's."""

    end: End
    row: Row
    threads: int
    envs: list[dict[str, str]]  # wrk's environment per round (the last one repeats)
    path: str = "/graphql"
    warmup: float | None = None


class Bench:
    def __init__(self, seconds: float, warmup: float, rounds: int, work: Path, sides: list[Side], profile: bool,
                 profile_dir: Path = BENCH / "profiles") -> None:
        self.seconds = seconds
        self.warmup = warmup
        self.rounds = rounds
        self.work = work
        self.sides = sides
        self.profile = profile
        self.profile_dir = profile_dir
        self.kind = ""
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.final_rss: list[tuple[str, str, str, int, float]] = []  # database, side, server, pid, MB
        self.server_info: dict[str, Any] = {}
        self.read_carts: dict[str, str] = {}  # side: a cart with three lines and an address, for the cart read row
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

    def note(self, database: str, end: End, text: str) -> None:
        prefix = f"{database}, {end.name}" if len(self.sides) > 1 else database
        self.notes.append(f"{prefix}: {text}")

    @contextlib.contextmanager
    def servers(self, urls: dict[str, str], stripe_url: str, database: str, label: str, workers: int = 1,
                **env: str) -> Iterator[list[End]]:
        """One bench server per side, each on its own database; when the block ends, each of their processes'
        VmRSS is recorded, then they stop."""
        with contextlib.ExitStack() as stack:
            ends = []
            for side in self.sides:
                log = self.work / f"server-{side.name}-{self.kind}.log"
                server = stack.enter_context(running_server(side, urls[side.name], stripe_url, log, label,
                                                            workers, **env))
                client = stack.enter_context(httpx.Client(base_url=server.base, timeout=30, headers=ACCEPT_JSON))
                self.say(f"{database}, {side.name} ({side.describe}{', ' if side.env else ''}"
                         f"{' '.join(f'{k}={v}' for k, v in side.env.items())}): {label}: pid {server.pid}"
                         + (f", workers {server.workers}" if server.workers else "")
                         + f", loop {server.info['loop']}, HTTP {server.info['http']}, "
                           f"compiled reads {server.info.get('compiled_reads')}, "
                           f"graph from {server.info['code']['graph']}")
                ends.append(End(side, server, client))
            yield ends
            for end in ends:
                server = end.server
                processes = [(pid, label + (", worker" if server.workers else "")) for pid in server.pids]
                if server.workers:
                    processes.append((server.pid, label + ", master (supervises the workers, serves nothing)"))
                for pid, name in processes:
                    with contextlib.suppress(OSError, KeyError):
                        self.final_rss.append((database, end.name, name, pid, vm_status(pid, "VmRSS")))

    def settle(self, servers: list[Server], row: Row) -> None:
        """Waits (at most 60 s) until every server in play is idle: the outbox consumers' work for earlier
        rows' orders (emails, webhooks, live updates) is theirs, not this row's, on either side."""
        pids = [pid for server in servers for pid in server.pids]
        started = time.monotonic()
        while time.monotonic() - started < 60:
            before = cpu_ticks(pids)
            time.sleep(0.5)
            if (cpu_ticks(pids) - before) / CLOCK_TICKS < 0.5 * 0.05:  # under 5% of a core
                break
        waited = time.monotonic() - started
        if waited > 2:
            self.notes.append(f"{row.database}: before {row.scenario.split(':')[0]!r} ({row.side}) the servers were "
                              f"busy with earlier rows' background work for {waited:.0f} s; the row started once "
                              "they were idle")

    def measure(self, runs: list[Run]) -> None:
        """Each run's row in `rounds` wrk runs of seconds/rounds, the sides alternating (before, after, before,
        after, ...), the same wrk settings for both; the figures summed (req/s, CPU/req, busy cores) or, for the
        latency percentiles, the median of the rounds'."""
        seconds = self.seconds / self.rounds
        servers = [run.end.server for run in runs]
        totals = [{"requests": 0, "duration_us": 0, "ticks": 0, "busy": 0, "jiffies": 0, "p50": [], "p99": [],
                   "errors": 0, "peak": 0.0, "flows": [], "figures": []} for _ in runs]
        for index in range(self.rounds):
            for run, total in zip(runs, totals):
                server = run.end.server
                env = run.envs[min(index, len(run.envs) - 1)]
                self.settle(servers, run.row)
                warmup = self.warmup if run.warmup is None else run.warmup
                if index == 0 and warmup:
                    wrk(server.base, warmup, run.threads, env, run.path)
                    timings(run.end.client)  # the warm-up's requests are not the row's
                cpu_before, machine_before = cpu_ticks(server.pids), machine_times()
                with RSSSampler(server.pids) as rss:
                    figures = wrk(server.base, seconds, run.threads, env, run.path)
                cpu_after, machine_after = cpu_ticks(server.pids), machine_times()
                total["requests"] += figures["requests"]
                total["duration_us"] += figures["duration_us"]
                total["ticks"] += cpu_after - cpu_before
                total["busy"] += machine_after[0] - machine_before[0]
                total["jiffies"] += machine_after[1] - machine_before[1]
                if figures["requests"]:  # a run that finished no request has no latency
                    total["p50"].append(figures["p50_us"] / 1000)
                    total["p99"].append(figures["p99_us"] / 1000)
                # `bad` counts every response that was not a 200 with clean data (it includes wrk's `status`
                # count of non-2xx answers); socket errors had no response.
                total["errors"] += figures["bad"] + sum(figures[k] for k in ("connect", "read", "write", "timeout"))
                total["peak"] = max(total["peak"], rss.peak)
                total["flows"].append(figures.get("flows", 0))
                self.say(f"  {run.row.database}, {run.end.name}, round {index + 1}/{self.rounds}: "
                         f"{SHORT.get(run.row.short, run.row.short)}: {figures['requests']} requests, "
                         f"CPU {(cpu_after - cpu_before) / CLOCK_TICKS * 1000 / max(figures['requests'], 1):.2f} ms/req")
        for run, total in zip(runs, totals):
            row = run.row
            row.requests = total["requests"]
            row.rps = total["requests"] / (total["duration_us"] / 1e6) if total["duration_us"] else None
            row.p50_ms = statistics.median(total["p50"]) if total["p50"] else None
            row.p99_ms = statistics.median(total["p99"]) if total["p99"] else None
            row.errors = total["errors"]
            if row.requests:
                row.cpu_ms = total["ticks"] / CLOCK_TICKS * 1000 / row.requests
            row.busy_cores = total["busy"] / total["jiffies"] * CPUS if total["jiffies"] else None
            row.peak_mb = total["peak"]
            row.extra["wrk"] = {"flows": sum(total["flows"]), "flows_per_round": total["flows"],
                                "duration_us": total["duration_us"]}
            self.rows.append(row)
            self.say(f"{row.scenario} on {row.database}, {run.end.name}: {_fmt(row.rps, 0)} req/s, p50 "
                     f"{_fmt(row.p50_ms, 2)} ms, p99 {_fmt(row.p99_ms, 2)} ms, errors {row.errors}, SQL/req "
                     f"{row.sql_per_request}, CPU {_fmt(row.cpu_ms, 2)} ms/req, busy cores {_fmt(row.busy_cores, 2)}, "
                     f"peak {row.peak_mb:.0f} MB")

    def static(self, ends: list[End], scenario: str, database: str, order: str, path: str, method: str = "POST",
               body_file: Path | Callable[[End], Path] | None = None, sql: Callable[[End], Any] | None = None,
               uncached: bool = False, kind: str | None = None) -> dict[str, Row]:
        """The same request again and again (wrk -t1 -c16), on each side alternately."""
        runs = []
        for end in ends:
            row = Row(scenario, database, ORDER[order], order, side=end.name, uncached=uncached)
            if sql is not None:
                self.settle([e.server for e in ends], row)  # no outbox backlog from earlier rows in the count
                sql(end)  # warm (parser caches, a response cache) before counting one request
                row.sql_per_request = _fmt_sql(count_sql(end.client, lambda: sql(end)))
            body = body_file(end) if callable(body_file) else body_file
            runs.append(Run(end, row, STATIC_THREADS, [self.static_env(path, method, body, kind)], path))
        self.measure(runs)
        return {run.end.name: run.row for run in runs}

    @staticmethod
    def static_env(path: str, method: str = "POST", body_file: Path | None = None,
                   kind: str | None = None) -> dict[str, str]:
        env = {"BENCH_MODE": "static", "BENCH_METHOD": method, "BENCH_PATH": path}
        if body_file is not None:
            env["BENCH_BODY_FILE"] = str(body_file)
        if kind:
            env["BENCH_KIND"] = kind
        return env

    def products(self, ends: list[End], database: str, label: str, order: str, uncached: bool = False) -> dict[str, Row]:
        return self.static(ends, f"products(first: 20), every scalar field, {label}", database, order, "/graphql",
                           body_file=self.body_file, sql=lambda end: gql(end.client, PRODUCTS), uncached=uncached)

    @staticmethod
    def after(ends: list[End]) -> End:
        return next(end for end in ends if end.name == "after")

    # ------------------------------------------------------------------ one database

    def run_database(self, kind: str, stripe_url: str) -> None:
        database_label = "SQLite" if kind == "sqlite" else "PostgreSQL"
        started = time.monotonic()
        with contextlib.ExitStack() as stack:
            urls = {side.name: stack.enter_context(database(kind, self.work, side)) for side in self.sides}
            self.say(f"{database_label}: {len(urls)} database(s) ready in {time.monotonic() - started:.1f} s")
            with self.servers(urls, stripe_url, database_label, "server with the response cache (default)") as ends:
                self.server_info = self.after(ends).server.info
                self.scenarios_main(ends, database_label)
            with self.servers(urls, stripe_url, database_label, "server with SHOPGRAPH_RESPONSE_CACHE=0",
                              SHOPGRAPH_RESPONSE_CACHE="0") as ends:
                one_worker = self.scenarios_uncached(ends, database_label)
            if kind == "postgres":
                with self.servers(urls, stripe_url, database_label, "server with SHOPGRAPH_RESPONSE_CACHE=0, "
                                  "uvicorn --workers 2", workers=2, SHOPGRAPH_RESPONSE_CACHE="0") as ends:
                    self.workers_row(ends, database_label, one_worker)
        self.say(f"{database_label}: done in {time.monotonic() - started:.0f} s")

    def scenarios_main(self, ends: list[End], database: str) -> None:
        reals: dict[str, dict[str, Any]] = {}
        for end in ends:
            # The ceiling's bytes: one real products(first: 20) response, as this side serves it.
            real = end.client.post("/graphql", json={"query": PRODUCTS})
            real.raise_for_status()
            assert "errors" not in real.json(), real.text
            reals[end.name] = real.json()
            recorded = end.client.put("/_bench/ceiling", content=real.content,
                                      headers={"content-type": real.headers["content-type"]}).json()
            self.say(f"{end.name}: ceiling records {recorded['bytes']} bytes of {recorded['media_type']}")
        ceilings = self.static(ends, "ceiling: plain Starlette route, same bytes, no GraphQL", database, "ceiling",
                               "/ceiling", body_file=self.body_file)
        for end in ends:
            ceiling = ceilings[end.name]
            if ceiling.cpu_ms is not None and ceiling.rps:
                self.note(database, end, f"at the ceiling the server process used "
                          f"{ceiling.cpu_ms * ceiling.rps / 1000:.2f} cores (CPU ms/req × req/s) of the "
                          f"{_fmt(ceiling.busy_cores, 2)} busy: the rest is wrk (one thread) and whatever else runs")

        self.products(ends, database, "response cache on (default)", "products-cache")
        self.static(ends, 'product(slug: "walnut-mug"), every scalar field, response cache on', database,
                    "slug", "/graphql", body_file=self.slug_file, sql=lambda end: gql(end.client, PRODUCT_BY_SLUG))
        self.persisted_get(ends, database, reals)
        self.cart_flow(ends, database)
        self.checkout(ends, database)
        if self.profile:
            self.profile_scenario(self.after(ends).server, f"products-cache-{self.kind}",
                                  self.static_env("/graphql", body_file=self.body_file))

    def scenarios_uncached(self, ends: list[End], database: str) -> dict[str, Row]:
        one_worker = self.products(ends, database, "response cache off", "products-nocache", uncached=True)
        self.static(ends, "variant catalog, response cache off: products(first: 20), every scalar field + "
                    "priceRange + featuredImage + variants(first: 5) with their scalar fields and price",
                    database, "variants", "/graphql", body_file=self.variants_file,
                    sql=lambda end: gql(end.client, VARIANT_PAGE), uncached=True)
        self.static(ends, 'search "tee" + 2 filters (available, Size M) + facets, response cache off', database,
                    "search", "/graphql", body_file=self.search_file, sql=lambda end: gql(end.client, SEARCH_FACETS),
                    uncached=True)
        # The cart read alone under load, on the cart flow's last cart (three lines, a US address).
        self.static(ends, "cart read under load: the storefront's cart(id) with lines, deliveryOptions, taxLines, "
                    "cost, on a cart with three lines and a US address, response cache off", database, "cart-read",
                    "/graphql", body_file=lambda end: self._body(f"cart-read-{end.name}-{self.kind}", READ_CART,
                                                                 {"id": self.read_carts[end.name]}),
                    sql=lambda end: gql(end.client, READ_CART, {"id": self.read_carts[end.name]}), uncached=True,
                    kind="read")
        if self.profile:
            after = self.after(ends)
            self.profile_scenario(after.server, f"products-nocache-{self.kind}",
                                  self.static_env("/graphql", body_file=self.body_file))
            self.profile_scenario(after.server, f"variant-catalog-{self.kind}",
                                  self.static_env("/graphql", body_file=self.variants_file))
            self.profile_scenario(after.server, f"cart-read-{self.kind}",
                                  self.static_env("/graphql", body_file=self._body(
                                      f"cart-read-after-{self.kind}", READ_CART, {"id": self.read_carts["after"]}),
                                      kind="read"))
        return one_worker

    def workers_row(self, ends: list[End], database: str, one_worker: dict[str, Row]) -> None:
        runs = []
        for end in ends:
            client = end.client
            before = client.get("/_bench/info").json()["pid"]  # one keep-alive connection: one worker counts
            gql(client, PRODUCTS)
            sql = count_sql(client, lambda: gql(client, PRODUCTS))
            after = client.get("/_bench/info").json()["pid"]
            row = Row(f"products(first: 20), every scalar field, response cache off, uvicorn --workers 2 "
                      f"(CPU summed over both workers; wrk shares the {CPUS} cores with them)", database,
                      ORDER["workers-2"], "products cache off --workers 2", side=end.name, uncached=True,
                      sql_per_request=_fmt_sql(sql) if before == after else "n/a")
            runs.append(Run(end, row, STATIC_THREADS, [self.static_env("/graphql", body_file=self.body_file)]))
        self.measure(runs)
        for run in runs:
            row, one = run.row, one_worker[run.end.name]
            row.extra["one_worker"] = one
            self.note(database, run.end, f"--workers 2 against one process, products(first: 20) cache off: "
                      f"{_fmt(row.rps, 0)} against {_fmt(one.rps, 0)} req/s; server CPU {_fmt(row.cpu_ms, 2)} against "
                      f"{_fmt(one.cpu_ms, 2)} ms per request; busy cores {_fmt(row.busy_cores, 2)} against "
                      f"{_fmt(one.busy_cores, 2)} of {CPUS}")

    def persisted_get(self, ends: list[End], database: str, expected: dict[str, dict[str, Any]]) -> None:
        scenario = "products(first: 20), every scalar field, as an APQ GET (hash only), response cache on"
        working = []
        for end in ends:
            client = end.client

            def get(url: str) -> dict[str, Any]:
                response = client.get(url)
                try:
                    return response.json()
                except ValueError:
                    return {"status": response.status_code, "body": response.text[:120]}

            before = get(apq_url(PRODUCTS, with_query=False))
            registered = get(apq_url(PRODUCTS, with_query=True))
            after = get(apq_url(PRODUCTS, with_query=False))
            if "PERSISTED_QUERY_NOT_FOUND" not in _codes(before) or after.get("data") != expected[end.name].get("data"):
                note = (f"APQ unavailable: a hash-only GET answered {json.dumps(before)[:160]}; "
                        f"after registering, {json.dumps(after)[:160]}")
                self.say(f"{scenario} on {database}, {end.name}: {note}")
                self.rows.append(Row(scenario + " (APQ unavailable)", database, ORDER["apq"], "apq", side=end.name,
                                     note=note))
                self.note(database, end, note)
                continue
            assert "errors" not in registered, registered
            working.append(end)
        if working:
            path = apq_url(PRODUCTS, with_query=False)
            self.static(working, scenario, database, "apq", path, method="GET",
                        sql=lambda end: end.client.get(path).raise_for_status())

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

    def cart_flow(self, ends: list[End], database: str) -> None:
        flows_alone = 20
        state: dict[str, dict[str, Any]] = {}
        runs = []
        for end in ends:
            client = end.client
            variants = self.shipping_variants(client)
            # The five bodies bench/graphql.lua sends, with @CART@ for the flow's cart.
            bodies = [{"query": ADD_TO_CART, "variables": {"cartId": None, "variantId": variants[0], "quantity": 1}},
                      {"query": ADD_TO_CART, "variables": {"cartId": "@CART@", "variantId": variants[1], "quantity": 1}},
                      {"query": ADD_TO_CART, "variables": {"cartId": "@CART@", "variantId": variants[2], "quantity": 1}},
                      {"query": SHIP_TO, "variables": {"cartId": "@CART@", "address": US_ADDRESS}},
                      {"query": READ_CART, "variables": {"id": "@CART@"}}]
            cart_file = self.work / f"cart-flow-{end.name}-{self.kind}.txt"
            cart_file.write_text("".join(json.dumps(b, separators=(",", ":")) + "\n" for b in bodies))

            def step(index: int, cart: str | None, client: httpx.Client = client,
                     bodies: list[dict[str, Any]] = bodies) -> dict[str, Any]:
                body = json.loads(json.dumps(bodies[index]).replace("@CART@", cart or ""))
                answer = gql(client, body["query"], body["variables"], kind=CART_KINDS[index])
                name = "cart" if index == 4 else ("cartShippingAddressUpdate" if index == 3 else "addToCart")
                payload = data(answer, name)
                return payload if index == 4 else payload["cart"]

            def flow(step: Callable[[int, str | None], dict[str, Any]] = step) -> str:
                cart = step(0, None)["id"]
                for index in range(1, 5):
                    step(index, cart)
                return cart

            flow()  # warm
            self.settle([e.server for e in ends], Row("cart flow", database, side=end.name))
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
            assert cart is not None
            self.read_carts[end.name] = cart
            adds = sorted({counts[1], counts[2]})
            state[end.name] = {"flow": flow, "counts": counts,
                               "kinds_sql": {"add-new": counts[0], "add": max(adds), "address": counts[3],
                                             "read": counts[4]}}
            timings(client)
            sql_text = (f"{_fmt_sql(counts[0])}/{'–'.join(_fmt_sql(a) for a in adds)}/{_fmt_sql(counts[3])}/"
                        f"{_fmt_sql(counts[4])}")
            row = Row("cart flow on shipping variants, the storefront's documents, per request: addToCart (new cart), "
                      "addToCart x2, cartShippingAddressUpdate (US), cart(id) with lines, deliveryOptions, taxLines, "
                      "cost (SQL: add-new/add/address/read)", database, ORDER["cart"], "cart flow", side=end.name,
                      uncached=True, sql_per_request=sql_text)
            runs.append(Run(end, row, CONNECTIONS, [{"BENCH_MODE": "cart", "BENCH_CART_FILE": str(cart_file)}]))

        # Each kind's server CPU and time, one request at a time: 20 flows per side, the sides alternating.
        per_round = math.ceil(flows_alone / self.rounds)
        for _ in range(self.rounds):
            for end in ends:
                for _ in range(per_round):
                    state[end.name]["flow"]()
        for end in ends:
            state[end.name]["alone"] = timings(end.client)

        self.measure(runs)
        for run in runs:
            end, row = run.end, run.row
            loaded = timings(end.client)
            alone = state[end.name]["alone"]
            counts = state[end.name]["counts"]
            flows = row.extra["wrk"]["flows"]
            row.extra["flows_per_s"] = flows / (row.extra["wrk"]["duration_us"] / 1e6)
            per_kind: dict[str, dict[str, float]] = {}
            for kind, (order, label) in KIND_ROWS.items():
                cpu = [t[3] * 1000 for t in alone if t[4] == kind]
                own = [t[0] * 1000 for t in alone if t[4] == kind]
                busy = [t[0] * 1000 for t in loaded if t[4] == kind]
                sql = state[end.name]["kinds_sql"][kind]
                per_kind[kind] = {"sql": sql, "cpu_ms": statistics.median(cpu), "alone_ms": statistics.median(own),
                                  "load_p50": statistics.median(busy) if busy else math.nan,
                                  "load_p99": _pct(busy, 99) if busy else math.nan}
                self.rows.append(Row(
                    f"cart flow, {label}: server CPU ms/req one at a time (p50 of {len(cpu)}); p50/p99 = its server "
                    "time under the flow's load", database, ORDER[order], kind, side=end.name, uncached=True,
                    p50_ms=per_kind[kind]["load_p50"], p99_ms=per_kind[kind]["load_p99"],
                    sql_per_request=_fmt_sql(sql), cpu_ms=per_kind[kind]["cpu_ms"], requests=len(cpu)))
            row.extra["per_kind"] = per_kind
            self.note(database, end,
                      f"cart flow SQL/req is add-new/add/address/read counted once each, not under load "
                      f"(the two adds: {'/'.join(_fmt_sql(c) for c in counts[1:3])}; a flow is "
                      f"{_fmt_sql(sum(counts))} statements for 5 requests). It completed {flows} flows "
                      f"({row.extra['flows_per_s']:.0f} flows/s, 5 requests each)")
            self.note(database, end, "cart flow per request kind: " + "; ".join(
                f"{kind}: server CPU {v['cpu_ms']:.2f} ms and server time {v['alone_ms']:.2f} ms one at a time "
                f"(p50), server time under the load p50 {v['load_p50']:.1f} / p99 {v['load_p99']:.1f} ms"
                for kind, v in per_kind.items()))
            self.say(self.notes[-1])

    # ------------------------------------------------------------------ checkout

    def checkout_cart_shape(self, end: End, database: str, variant: str) -> str:
        """Builds one checkout cart step by step and checks its shape; returns the delivery option's handle."""
        client = end.client
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
        self.note(
            database, end, f"each checkout cart holds 1 × Bench Widget and ships to San Francisco, CA: subtotal "
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

    def checkout(self, ends: list[End], database: str) -> None:
        run = uuid.uuid4().hex[:8]

        def checkout_once(end: End, cart: str) -> dict[str, Any]:
            body = gql(end.client, CHECKOUT, {"input": {"cartId": cart, "email": "bench@example.com",
                                                        "paymentToken": "pm_card_visa",
                                                        "idempotencyKey": f"{run}-seq-{uuid.uuid4().hex}"}},
                       kind="checkout")
            assert "errors" not in body and body["data"]["checkout"]["order"]["status"] == "PAID", body
            return body

        # One at a time: warm-up, the SQL count, and our own time with no queue in front; 40 checkouts per
        # side, the sides alternating in rounds.
        state: dict[str, dict[str, Any]] = {}
        for end in ends:
            widget = gql(end.client, 'query { product(slug: "%s") { variants(first: 1) { nodes { id } } } }'
                         % BENCH_PRODUCT_SLUG)["data"]["product"]["variants"]["nodes"][0]["id"]
            handle = self.checkout_cart_shape(end, database, widget)
            started = time.monotonic()
            sequential = self.make_carts(end.server.base, widget, handle, 42)
            self.say(f"checkout on {database}, {end.name}: {len(sequential)} carts prepared in "
                     f"{time.monotonic() - started:.1f} s")
            checkout_once(end, sequential.pop())
            self.settle([e.server for e in ends], Row("checkout one at a time", database, side=end.name))
            sql, background = count_sql_split(end.client, lambda: checkout_once(end, sequential.pop()))
            timings(end.client)
            size = math.ceil(len(sequential) / self.rounds)
            state[end.name] = {"widget": widget, "handle": handle, "sql": sql, "background": background,
                               "chunks": [sequential[i:i + size] for i in range(0, len(sequential), size)],
                               "wall": 0.0, "ticks": 0, "busy": 0, "jiffies": 0, "peak": 0.0}
        for index in range(self.rounds):
            for end in ends:
                s = state[end.name]
                if index >= len(s["chunks"]):
                    continue
                self.settle([e.server for e in ends], Row("checkout one at a time", database, side=end.name))
                cpu_before, machine_before = cpu_ticks(end.server.pids), machine_times()
                started = time.perf_counter()
                with RSSSampler(end.server.pids) as rss:
                    for cart in s["chunks"][index]:
                        checkout_once(end, cart)
                s["wall"] += time.perf_counter() - started
                cpu_after, machine_after = cpu_ticks(end.server.pids), machine_times()
                s["ticks"] += cpu_after - cpu_before
                s["busy"] += machine_after[0] - machine_before[0]
                s["jiffies"] += machine_after[1] - machine_before[1]
                s["peak"] = max(s["peak"], rss.peak)
        for end in ends:
            s = state[end.name]
            alone = [t for t in timings(end.client) if t[4] == "checkout"]
            own = [(t[0] - t[1]) * 1000 for t in alone]
            row = Row("checkout one at a time: our own code = server time minus time inside Stripe calls "
                      "(p50/p99 of that; req/s = checkouts/s one after another)", database, ORDER["checkout-alone"],
                      "checkout one at a time", side=end.name,
                      rps=len(alone) / s["wall"], p50_ms=statistics.median(own), p99_ms=_pct(own, 99), errors=0,
                      sql_per_request=_fmt_sql(s["sql"]), cpu_ms=s["ticks"] / CLOCK_TICKS * 1000 / len(alone),
                      busy_cores=s["busy"] / s["jiffies"] * CPUS if s["jiffies"] else None, peak_mb=s["peak"],
                      requests=len(alone))
            self.rows.append(row)
            s["cpu_p50"] = statistics.median([t[3] * 1000 for t in alone])
            self.note(database, end, "checkout, " + self._summary(alone, "one at a time")
                      + f"; server CPU p50 {s['cpu_p50']:.1f} ms per checkout. SQL: {_fmt_sql(s['sql'])} statements on "
                      f"behalf of the request; {s['background']} more by the app's background tasks (outbox "
                      "consumers: mail, webhooks, live updates) in the same window, not counted in SQL/req")
            self.say(self.notes[-1])

        # Under load: per side and round, enough carts for seconds/rounds at the rate one server core allows
        # (CPU per checkout above), prepared before any of the rows' runs.
        runs = []
        for end in ends:
            s = state[end.name]
            needed = int(self.seconds / self.rounds * 1000 / max(s["cpu_p50"], 1.0) * 1.25) + 2 * CONNECTIONS
            started = time.monotonic()
            envs, s["prepared"] = [], []
            for index in range(self.rounds):
                carts = self.make_carts(end.server.base, s["widget"], s["handle"], needed)
                carts_file = self.work / f"carts-{end.name}-{self.kind}-{index}.txt"
                carts_file.write_text("\n".join(carts) + "\n")
                envs.append({"BENCH_MODE": "checkout", "BENCH_CARTS_FILE": str(carts_file),
                             "BENCH_RUN": f"{run}-{end.name}-{index}", "BENCH_THREADS": str(CONNECTIONS)})
                s["prepared"].append(len(carts))
            self.say(f"checkout on {database}, {end.name}: {self.rounds} × {needed} carts prepared in "
                     f"{time.monotonic() - started:.1f} s")
            timings(end.client)
            row = Row("checkout under load: pm_card_visa on localstripe, cart with a shipping variant, US address, "
                      f"delivery option, tax, {DISCOUNT_CODE}", database, ORDER["checkout-load"], "checkout under load",
                      side=end.name, sql_per_request=_fmt_sql(s["sql"]))
            runs.append(Run(end, row, CONNECTIONS, envs, warmup=0))
        self.measure(runs)
        for run_ in runs:
            end, row = run_.end, run_.row
            s = state[end.name]
            loaded = [t for t in timings(end.client) if t[4] == "checkout"]
            if any(f >= p - CONNECTIONS for f, p in zip(row.extra["wrk"]["flows_per_round"], s["prepared"])):
                self.note(database, end, f"checkout under load ran out of prepared carts before "
                          f"{self.seconds / self.rounds:g} s in a round")
            row.extra["own_loaded_p50"] = statistics.median([t[0] - t[1] for t in loaded]) * 1000 if loaded else None
            self.note(database, end, "checkout, " + self._summary(loaded, f"under load at {CONNECTIONS} connections"))
            self.say(self.notes[-1])
        if self.profile:  # our own code in a checkout, one at a time (no queue in front of it)
            after = self.after(ends)
            s = state["after"]
            carts = self.make_carts(after.server.base, s["widget"], s["handle"], 60)
            with self.spying(after.server, f"checkout-sequential-{self.kind}"):
                for cart in carts:
                    checkout_once(after, cart)

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


def check_targets(rows: list[Row], final_rss: list[tuple[str, str, str, int, float]]) -> list[str]:
    """Issue 25's targets against the after side's rows (the before side's figure in brackets, when measured)."""
    lines = []
    for database in ("SQLite", "PostgreSQL"):
        after = {r.short: r for r in rows if r.database == database and r.side == "after"}
        before = {r.short: r for r in rows if r.database == database and r.side == "before"}
        if not after:
            continue

        def was(short: str, get: Callable[[Row], str]) -> str:
            row = before.get(short)
            return f" (before: {get(row)})" if row is not None else ""

        def cpu(row: Row) -> str:
            return f"{_fmt(row.cpu_ms, 2)} ms"

        for short, label, goal in (("products-nocache", "products(first: 20)", 2.0),
                                   ("variants", "variant catalog", 3.0), ("search", "search + 2 filters + facets", 4.0)):
            row = after.get(short)
            if row is not None and row.cpu_ms is not None:
                lines.append(f"{database}: {label}, response cache off, server CPU {cpu(row)}/req{was(short, cpu)} "
                             f"(target <= {goal:g} ms): {_verdict(row.cpu_ms <= goal)}")
        for short, label in (("add-new", "addToCart, new cart (one at a time)"), ("add", "addToCart (one at a time)"),
                             ("address", "cartShippingAddressUpdate (one at a time)"),
                             ("cart-read", "cart read (under load)")):
            row = after.get(short)
            if row is None or row.cpu_ms is None:
                continue
            sql = float(row.sql_per_request)
            lines.append(f"{database}: {label}: server CPU {cpu(row)}/req{was(short, cpu)}, {row.sql_per_request} SQL"
                         f"{was(short, lambda r: r.sql_per_request + ' SQL')} (target <= 3 ms, <= 4 SQL): "
                         f"{_verdict(row.cpu_ms <= 3)} time, {_verdict(sql <= 4)} SQL")
        alone = after.get("checkout one at a time")
        if alone is not None:
            sql = float(alone.sql_per_request)
            lines.append(f"{database}: checkout one at a time, our own code p50 {alone.p50_ms:.1f} ms (p99 "
                         f"{alone.p99_ms:.1f} ms), {alone.sql_per_request} SQL"
                         + was("checkout one at a time", lambda r: f"p50 {r.p50_ms:.1f} ms, {r.sql_per_request} SQL")
                         + f" (target p50 <= 10 ms, <= 15 SQL): {_verdict(alone.p50_ms <= 10)} time, "
                         f"{_verdict(sql <= 15)} SQL")
        loaded = after.get("checkout under load")
        if loaded is not None and loaded.extra.get("own_loaded_p50") is not None:
            lines.append(f"{database}: (no target) checkout under load at {CONNECTIONS} connections, our own code p50 "
                         f"{loaded.extra['own_loaded_p50']:.1f} ms")
        peaks = [r.peak_mb for r in after.values() if r.peak_mb]
        peaks += [mb for db, side, _, _, mb in final_rss if db == database and side == "after"]
        if peaks:
            lines.append(f"{database}: RSS <= 150 MB per server process (largest seen during the rows or after them: "
                         f"{max(peaks):.0f} MB): {_verdict(max(peaks) <= 150)}")
        for side, mine in (("after", after), ("before", before)):
            if mine:
                failing = [f"{SHORT.get(r.short, r.short)} {r.errors}" for r in mine.values() if r.errors]
                lines.append(f"{database}: (no target, but a row with errors measures something else) zero errors "
                             f"on the {side} side: " + ("yes" if not failing else "NO: " + "; ".join(failing)))
    return lines


# --------------------------------------------------------------------------- main


def _env_pairs(values: list[str]) -> dict[str, str]:
    pairs = {}
    for value in values:
        name, sep, setting = value.partition("=")
        if not sep or not name:
            raise SystemExit(f"bench: --before-env wants NAME=VALUE, not {value!r}")
        pairs[name] = setting
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default="none",
                        help="the build to measure against this tree: a git rev (checked out in a throwaway "
                             "worktree), `same` (this tree again, with --before-env), or `none` (this tree only)")
    parser.add_argument("--before-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the before side's servers (repeatable), e.g. "
                             "SHOPGRAPH_COMPILED_READS=0")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="wrk time per row and side, split over --rounds (issue 15: >= 10)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="wrk runs per row and side, the sides alternating: before, after, before, after, ...")
    parser.add_argument("--warmup", type=float, default=1.0, help="wrk warm-up before each row, seconds (0: none)")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--profile", action="store_true",
                        help="also record py-spy profiles of the after side (products, variant catalog, cart read, "
                             "checkout) into bench/profiles/")
    parser.add_argument("--profile-dir", default=str(BENCH / "profiles"),
                        help="where --profile writes the raw profiles (<name>.txt) and their summaries")
    parser.add_argument("--output", default=str(BENCH / "results.md"))
    parser.add_argument("--prepare-database", metavar="URL", help=argparse.SUPPRESS)  # one side's migrate + seed
    args = parser.parse_args(argv)
    if args.prepare_database:
        asyncio.run(_prepare(args.prepare_database))
        return 0
    if shutil.which("wrk") is None:
        print("bench: wrk is missing (apt-get install wrk; `make bench` installs it)", file=sys.stderr)
        return 2
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    before_env = _env_pairs(args.before_env)
    if args.before == "none" and before_env:
        parser.error("--before-env needs --before (a rev, or `same`)")
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    from shopgraph.emulator import running_localstripe

    started = time.monotonic()
    before = machine_times()
    time.sleep(1.0)
    idle_check = busy_cores(before, machine_times())
    print(f"bench: before the bench, the machine's {CPUS} cores were {_fmt(idle_check, 2)} busy (1 s)", flush=True)
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    with tempfile.TemporaryDirectory(prefix="shopgraph-bench-") as tmp, contextlib.ExitStack() as stack:
        after = current_side()
        sides = [after]
        if args.before != "none":
            sides.insert(0, stack.enter_context(before_side(args.before, before_env, Path(tmp))))
        for side in sides:
            print(f"bench: {side.name}: {side.describe} in {side.root}"
                  + "".join(f", {k}={v}" for k, v in side.env.items()), flush=True)
        bench = Bench(args.seconds, args.warmup, args.rounds, Path(tmp), sides, args.profile, Path(args.profile_dir))
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
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    per_run = args.seconds / args.rounds
    machine = (f"{CPUS} cores ({platform.processor() or platform.machine()}), Linux {platform.release()}, "
               f"Python {info.get('python', platform.python_version())}, uvicorn one process unless a row says "
               f"otherwise (loop {info.get('loop', '?')}, HTTP {info.get('http', '?')}), wrk {CONNECTIONS} "
               f"connections (-t{STATIC_THREADS} for static rows, -t{CONNECTIONS} for the cart flow and checkout), "
               f"{args.seconds:g} s per row and side in {args.rounds} run(s) of {per_run:g} s after a "
               f"{args.warmup:g} s warm-up; before the bench the machine was {_fmt(idle_check, 2)} cores busy")
    if len(sides) == 2:
        builds = (f"Before: {sides[0].describe} ({sides[0].rev[:12]}"
                  + "".join(f", {k}={v}" for k, v in sides[0].env.items()) + f"). After: {sides[1].describe} "
                  f"({sides[1].rev[:12]}). Each row ran on both builds alternately, before, after, before, after "
                  f"({args.rounds} wrk runs each), on one machine, each build on its own freshly migrated and seeded "
                  "database, with the same wrk settings; each cell reads `before → after`.")
    else:
        builds = f"Build: {sides[0].describe} ({sides[0].rev[:12]})."
    rss_lines = [f"- {db}, {side}, {label} (pid {pid}): {mb:.0f} MB" for db, side, label, pid, mb in bench.final_rss]
    report = "\n".join([
        f"# shopgraph benchmark, {when}",
        "",
        f"Machine: {machine}. The whole run took {elapsed:.0f} s.",
        "",
        builds,
        "",
        table(bench.rows, [s.name for s in sides]),
        "",
        "SQL/req counted once per row and side, not under load, after one warm-up request. Server CPU ms/req = "
        "utime + stime of the server process(es) (/proc/<pid>/stat, every thread) over the row's measured wrk runs, "
        "divided by their requests; CPU before ÷ after = how many times less CPU a request takes after. req/s and "
        "busy cores are over the measured runs together; p50 and p99 are the median of the runs'. Busy cores = the "
        "whole machine's (total − idle − iowait) ÷ total jiffies (/proc/stat) over the runs, times "
        f"{CPUS}: wrk, PostgreSQL, localstripe and anything else running count too, so a row whose server CPU is "
        "low while the machine is busy was competing. Peak RSS MB = the largest VmRSS of a server process during "
        "the row. The cart flow's per-kind rows have no req/s of their own: their CPU is measured one request at a "
        "time, their p50/p99 is their server time under the flow's load. Errors = socket errors + non-200 answers "
        "+ answers with `errors`, non-empty `userErrors`, or (checkout) an order that did not end PAID.",
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
        *[f"- {line}" for line in check_targets(bench.rows, bench.final_rss)],
        "",
    ])
    Path(args.output).write_text(report)
    print("\n" + report)
    print(f"bench: written to {args.output} (the whole run took {elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
