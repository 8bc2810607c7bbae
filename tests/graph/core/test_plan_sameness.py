"""Proof of sameness (DESIGN §12): a query answers byte for byte the same on its compiled plan
(`Settings.compiled_reads=True`) as on the reference executor (Strawberry/graphql-core).

Two apps share one database, seeded with the demo catalog (options, variants sold out, compare-at
prices, images, tags, collections), a cart with lines, an address, a delivery option and discount
codes, a guest's paid order and a signed-in customer's. Hypothesis writes documents from the schema
itself, each beginning with one of the root fields of the catalog, the cart, orders and `me` (an equal
share each): random sub-selections; aliases, the same field under two aliases with other arguments
and the same response key from two places; named and inline fragments (on Node too); `__typename`;
`@include`/`@skip` with literals and variables; sometimes `@inContext(language:)` (German, which the
shop has for some products and a collection, Japanese, which it has not, or English); arguments as literals or variables (some left out),
mostly real ids, slugs and cursors of the seeded data, sometimes a bad cursor, an id of nothing, a
page size out of range, a document over the limits or one validation refuses. Each goes to both
apps as a guest, with an API key or as the customer, by POST or GET, accepting JSON or
`application/graphql-response+json`, sometimes beside a second operation; the status, the content
type and the body's bytes must be equal. Where the reference executor itself answers a request in
more than one way (two failing non-null root fields: whichever fails first is reported; several
errors: in the order the resolvers failed), any of its answers passes, its errors in any order, and
the summary says how many such documents there were. An exception escaping either app (a server
would answer 500) fails the test, whatever the other app did.

Derandomized and bounded for `make test` (`SHOPGRAPH_SAMENESS_EXAMPLES`, default 180 per
database); `make soak` runs 4,000. Each run ends with a summary line per database: documents
tried, how many the compiled app ran on a plan and how many fell back (by reason, from its
`/metrics`), and differences. The storefront's and the benchmark's documents, and an APQ exchange,
are compared too.
"""
from __future__ import annotations

import asyncio
import contextvars
import difflib
import hashlib
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLList, GraphQLNonNull,
    GraphQLSyntaxError, get_named_type, is_leaf_type, parse, print_ast,
)
from graphql.pyutils import Undefined
from hypothesis import HealthCheck, Phase, given, settings as hypothesis_settings, strategies as st
from prometheus_client.parser import text_string_to_metric_families

from bench import run as bench
from commerce.catalog.seed import seed_demo_catalog
from commerce.catalog.translations import ResourceKind, TranslationEntry, option_key, value_key, register_translations
from commerce.shop_rules.seed import seed_shop_rules
from commerce.markets.markets import MarketInput, create_market
from commerce.markets.variant_prices import PriceSpec, set_variant_prices
from graph.core.ids import to_global_id
from graph.schema import schema as shop_schema
from models import Collection, Product, ProductVariant, Rounding
from shopgraph.app import create_app
from tests.conftest import GraphQLClient
from tests.shop import US_ADDRESS, ship_to
from tests.stripe_events import api_key

EXAMPLES = int(os.environ.get("SHOPGRAPH_SAMENESS_EXAMPLES", "180"))

# On a few documents in a thousand (a non-null field failing beside an async sibling), graphql-core
# 3.3's own executor drops a sibling's resolver coroutine without awaiting it; Python then warns that
# it was never awaited. It happens with both apps on the reference executor alone and changes no
# answer, so this module does not fail on that one warning.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <coroutine object GraphQLCoreConverter.from_resolver.<locals>._async_resolver"
    ":pytest.PytestUnraisableExceptionWarning")
TOKEN = f"metrics-{uuid.uuid4().hex}"
SCHEMA = shop_schema._schema
ROOTS = ("products", "product", "collections", "collection", "node", "cart", "order", "orders", "me")
INTROSPECTION = ('__type(name: "Product") { name kind fields { name } }',
                 "__schema { queryType { name } types { name } }")
MAX_DEPTH = 5  # object levels below the root field; graph/core/limits.py allows 12
WIDTHS = [1, 2, 3, 1, 4, 2, 6]  # how many selections a selection set has

# ---------------------------------------------------------------------------------------------
# The shop both apps read


@dataclass
class Shop:
    database: str
    compiled: httpx.AsyncClient
    reference: httpx.AsyncClient
    staff_key: str
    customer_token: str
    ids: dict[str, list[str]]  # by type name: global ids of real rows
    slugs: dict[str, list[str]]  # Product, Collection
    cursors: dict[str, list[str]]  # Product, Collection, ProductVariant, Order
    cart_id: str
    order_id: str

    def headers(self, caller: str) -> dict[str, str]:
        """Who sends a request: a guest, a staff API key with orders:read, or the signed-in customer."""
        token = {"staff": self.staff_key, "customer": self.customer_token}.get(caller)
        return {"Authorization": f"Bearer {token}"} if token else {}


ADD = """mutation($c: ID, $v: ID!, $q: Int!) { addToCart(cartId: $c, variantId: $v, quantity: $q) {
  cart { id } userErrors { code } } }"""
CODES = """mutation($c: ID!, $codes: [String!]!) { cartDiscountCodesUpdate(cartId: $c, codes: $codes) {
  userErrors { code } } }"""
CHECKOUT = """mutation($input: CheckoutInput!) { checkout(input: $input) {
  order { id status } userErrors { code } } }"""
REGISTER = """mutation($e: String!, $p: String!) { customerRegister(email: $e, password: $p) {
  userErrors { code } } }"""
LOGIN = """mutation($e: String!, $p: String!) { customerLogin(email: $e, password: $p) { sessionToken } }"""


async def _cart(gql: GraphQLClient, variants: list[str], codes: list[str]) -> str:
    cart_id = None
    for quantity, variant in enumerate(variants, start=1):
        answer = (await gql.data(ADD, {"c": cart_id, "v": variant, "q": quantity}))["addToCart"]
        assert answer["userErrors"] == [], answer
        cart_id = answer["cart"]["id"]
    await ship_to(gql, cart_id, US_ADDRESS)
    assert (await gql.data(CODES, {"c": cart_id, "codes": codes}))["cartDiscountCodesUpdate"]["userErrors"] == []
    return cart_id


async def _paid_order(gql: GraphQLClient, cart_id: str, email: str) -> str:
    answer = (await gql.data(CHECKOUT, {"input": {"cartId": cart_id, "email": email, "paymentToken": "pm_card_visa",
                                                  "idempotencyKey": uuid.uuid4().hex}}))["checkout"]
    assert answer["order"]["status"] == "PAID", answer
    return answer["order"]["id"]


async def _customer(gql: GraphQLClient, email: str) -> GraphQLClient:
    """A signed-in customer's client."""
    assert (await gql.data(REGISTER, {"e": email, "p": "same same same"}))["customerRegister"]["userErrors"] == []
    token = (await gql.data(LOGIN, {"e": email, "p": "same same same"}))["customerLogin"]["sessionToken"]
    return GraphQLClient(gql.http, {"Authorization": f"Bearer {token}"})


async def _cursors(gql: GraphQLClient, staff: GraphQLClient) -> dict[str, list[str]]:
    def edges(connection: dict) -> list[str]:
        return [edge["cursor"] for edge in connection["edges"]]

    catalog = await gql.data("""{ products(first: 6) { edges { cursor } }
      titles: products(first: 3, sortKey: TITLE) { edges { cursor } }
      collections(first: 4) { edges { cursor } }
      product(slug: "classic-tee") { variants(first: 5) { edges { cursor } } } }""")
    orders = await staff.data("{ orders(first: 3) { edges { cursor } } }")
    return {"Product": edges(catalog["products"]) + edges(catalog["titles"]),
            "Collection": edges(catalog["collections"]),
            "ProductVariant": edges(catalog["product"]["variants"]),
            "Order": edges(orders["orders"])}


GERMAN_WORDS = ("Klassisches".encode(), "Baumwolle".encode(), "Größe".encode(), "Mittel".encode(),
                "Nussbaumbecher".encode(), "Kleidung".encode())


async def _german_words() -> None:
    """German titles, descriptions, option names and values for some products, and a collection's title."""
    tee = await Product.get(slug="classic-tee")
    await register_translations(ResourceKind.PRODUCT, tee.id, "DE", [
        TranslationEntry("title", "Klassisches T-Shirt"), TranslationEntry("description", "Weiche Baumwolle."),
        TranslationEntry(option_key("Size"), "Größe"), TranslationEntry(value_key("Size", "M"), "Mittel"),
    ], "EN")
    mug = await Product.get(slug="walnut-mug")
    await register_translations(ResourceKind.PRODUCT, mug.id, "DE", [TranslationEntry("title", "Nussbaumbecher")], "EN")
    apparel = await Collection.get(slug="apparel")
    await register_translations(ResourceKind.COLLECTION, apparel.id, "DE", [TranslationEntry("title", "Kleidung")], "EN")


async def _markets() -> None:
    """Europe (euros: a rate, NINETY_NINE, and the first tee's explicit price) and Switzerland (francs:
    explicit prices only, the first tee's)."""
    await create_market(MarketInput("europe", "Europe", ("DE",), "EUR", "DE", "0.92", Rounding.NINETY_NINE), "USD")
    await create_market(MarketInput("switzerland", "Switzerland", ("CH",), "CHF", "DE"), "USD")
    tee = await ProductVariant.filter(product__slug="classic-tee").order_by("id").first()
    await set_variant_prices(tee.id, [PriceSpec("EUR", Decimal("7.00"), Decimal("9.00")),
                                      PriceSpec("CHF", Decimal("30.00"))], "USD")


@pytest.fixture(scope="module")
async def shop(settings, gateway) -> AsyncIterator[Shop]:
    """Given the demo catalog, a cart, a guest's paid order and a signed-in customer's, and the same
    shop served by both paths."""
    await seed_demo_catalog(settings.currency)
    await seed_shop_rules(settings.currency)
    await _german_words()
    await _markets()
    key = await api_key("orders:read")
    apps = [create_app(replace(settings, compiled_reads=compiled, metrics_token=TOKEN), gateway=gateway,
                       manage_db=False) for compiled in (True, False)]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[0]), base_url="http://shopgraph.test") \
            as compiled, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[1]), base_url="http://shopgraph.test") \
            as reference:
        gql = GraphQLClient(reference)
        garments = [to_global_id("ProductVariant", v) for v in await ProductVariant.filter(
            product__slug__in=["classic-tee", "canvas-jacket"], stock__gt=0
        ).order_by("id").values_list("id", flat=True)]
        goods = [to_global_id("ProductVariant", v) for v in await ProductVariant.filter(
            product__slug__in=["walnut-mug", "linen-lamp"]).order_by("id").values_list("id", flat=True)]
        cart_id = await _cart(gql, [garments[0], goods[0], garments[-1]], ["WELCOME10", "NO-SUCH-CODE"])
        order_id = await _paid_order(gql, await _cart(gql, [garments[1], goods[-1]], ["WELCOME10"]), "same@example.com")
        customer = await _customer(gql, "customer@example.com")
        customers_order = await _paid_order(customer, await _cart(customer, [goods[1], garments[2]], []),
                                            "customer@example.com")
        ids = {"Product": [to_global_id("Product", i) for i in await Product.all().order_by("id").values_list(
                   "id", flat=True)],
               "ProductVariant": garments + goods,
               "Collection": [to_global_id("Collection", i) for i in await Collection.all().order_by("id").values_list(
                   "id", flat=True)],
               "Cart": [cart_id], "Order": [order_id, customers_order]}
        slugs = {"Product": ["classic-tee", "canvas-jacket", "walnut-mug", "oak-candle", "linen-lamp"],
                 "Collection": ["apparel", "sale", "kitchen", "new-arrivals"]}
        database = "postgres" if settings.database_url.startswith("postgres") else "sqlite"
        yield Shop(database, compiled, reference, key, customer.headers["Authorization"].removeprefix("Bearer "), ids,
                   slugs, await _cursors(gql, GraphQLClient(reference, {"Authorization": f"Bearer {key}"})),
                   cart_id, order_id)


# ---------------------------------------------------------------------------------------------
# Documents from the schema


class EnumName(str):
    """An enum value: bare in a document, a string in variables."""


class Case:
    """One request: a document, its variables, who sends it and how (POST or GET, the media type
    accepted, the operation named when the document holds two)."""

    def __init__(self, query: str, variables: dict[str, Any], caller: str, *, method: str = "POST",
                 accept: str | None = None, operation: str | None = None) -> None:
        self.query, self.variables, self.caller = query, variables, caller
        self.method, self.accept, self.operation = method, accept, operation

    def body(self) -> dict[str, Any]:
        body = {"query": self.query, "variables": self.variables}
        return body if self.operation is None else {**body, "operationName": self.operation}

    async def send(self, http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
        headers = headers if self.accept is None else {**headers, "Accept": self.accept}
        if self.method == "GET":
            params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in self.body().items()}
            return await http.get("/graphql", params=params, headers=headers)
        return await http.post("/graphql", json=self.body(), headers=headers)

    def __repr__(self) -> str:
        return (f"Case({self.query!r}, {self.variables!r}, {self.caller!r}, method={self.method!r}, "
                f"accept={self.accept!r}, operation={self.operation!r})")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis prints examples with this
        printer.text(repr(self))

    def readable(self) -> str:
        try:
            document = print_ast(parse(self.query))
        except GraphQLSyntaxError:
            document = self.query
        return (f"{self.method} by {self.caller}, accept {self.accept or '(none)'}, operationName "
                f"{self.operation!r}\nvariables: {json.dumps(self.variables)}\n{document}")


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, EnumName):
        return str(value)
    if isinstance(value, (int, str)):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"


def _conditions(type_: Any) -> list[Any]:
    """The types a fragment in a selection set of `type_` may be on."""
    if isinstance(type_, GraphQLInterfaceType):
        return [type_, *SCHEMA.get_possible_types(type_)]
    return [type_, *type_.interfaces]


BAD_IDS = ["", "nope", to_global_id("Product", "999999"), to_global_id("Order", "999999"),
           to_global_id("Nope", "1"), to_global_id("Cart", "00000000-0000-0000-0000-000000000000")]
BAD_CURSORS = ["", "bad-cursor", "YWJj", to_global_id("Product", "1")]
WORDS = ["tee", "walnut", "linen mug", "sh", "", "zzz", "canvas jacket", "ée"]
PAGE_SIZES = [2, 1, 3, 5, 0, 20, None, -1, 101]


class _Document:
    """Builds one document with its variables and fragments from hypothesis draws."""

    def __init__(self, draw: Callable, shop: Shop) -> None:
        self.draw = draw
        self.shop = shop
        self.declared: list[str] = []
        self.variables: dict[str, Any] = {}
        self.fragments: list[str] = []
        self.finished: list[tuple[str, str, int]] = []  # (name, type name, depth it needs)
        self.count = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def pick(self, options: list[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def chance(self, percent: int) -> bool:
        """True `percent` times in a hundred; False is the simpler document, where hypothesis shrinks to."""
        return self.draw(st.integers(0, 99)) >= 100 - percent

    # arguments ---------------------------------------------------------------------------------
    def value(self, parent: str, field_name: str, argument: str, type_: Any) -> Any:
        shop, named = self.shop, get_named_type(type_)
        mistake = self.chance(8)
        if argument in ("first", "last"):
            sizes = PAGE_SIZES if mistake or self.chance(30) else PAGE_SIZES[:4]
            if not mistake and isinstance(type_, GraphQLNonNull):
                sizes = [n for n in sizes if n is not None]
            return self.pick(sizes)
        if argument in ("after", "before"):
            kind = {"collections": "Collection", "variants": "ProductVariant", "orders": "Order"}.get(
                field_name, "Product")
            return self.pick(BAD_CURSORS if mistake or not shop.cursors[kind] else shop.cursors[kind])
        if argument == "id":
            kind = {"product": "Product", "collection": "Collection", "cart": "Cart", "order": "Order"}.get(field_name)
            pool = [i for ids in shop.ids.values() for i in ids] if kind is None else shop.ids[kind]
            return self.pick(BAD_IDS if mistake else pool[:12] + pool[-3:])
        if argument == "slug":
            return self.pick(["no-such-slug", ""] if mistake else shop.slugs[
                "Collection" if field_name == "collection" else "Product"])
        if argument == "query":
            return self.pick(WORDS)
        if argument == "selectedOptions":
            sizes = [{"name": "Size", "value": s} for s in ("M", "XL", "XXL")]
            colours = [{"name": "Color", "value": c} for c in ("Black", "Olive")]
            return self.pick([[self.pick(sizes), self.pick(colours)], [self.pick(sizes)], []])
        if argument == "updatedSince":
            return self.pick(["2026-01-01T00:00:00Z", "2999-01-01T00:00:00+02:00", *(["yesterday"] if mistake else [])])
        if argument == "filters":
            return self.product_filter(mistake)
        return self.of_type(named, type_)

    def product_filter(self, mistake: bool) -> dict[str, Any]:
        chosen: dict[str, Any] = {}
        if self.chance(40):
            chosen["available"] = self.pick([True, False, None])
        if self.chance(30):
            chosen["price"] = {k: self.pick(["10", "49.99", "0", "abc"] if mistake else ["10", "49.99", "60"])
                               for k in self.pick([["min"], ["max"], ["min", "max"]])}
        if self.chance(40):
            chosen["variantOption"] = self.pick([[{"name": "Size", "value": "M"}],
                                                 [{"name": "Size", "value": "L"}, {"name": "Color", "value": "Sand"}],
                                                 [{"name": "Material", "value": "Oak"}]])
        if self.chance(40):
            chosen["tag"] = self.pick([["sale"], ["apparel", "gift"], ["nope"], []])
        if self.chance(25):
            chosen["collection"] = self.pick(BAD_IDS[:3] if mistake else self.shop.ids["Collection"])
        return chosen

    def of_type(self, named: Any, type_: Any) -> Any:
        if isinstance(type_, GraphQLNonNull):
            return self.of_type(named, type_.of_type)
        if isinstance(type_, GraphQLList):
            return [self.of_type(named, type_.of_type) for _ in range(self.draw(st.integers(0, 2)))]
        if isinstance(named, GraphQLEnumType):
            return EnumName(self.pick(list(named.values)))
        if isinstance(named, GraphQLInputObjectType):
            return {name: self.of_type(get_named_type(f.type), f.type) for name, f in named.fields.items()
                    if isinstance(f.type, GraphQLNonNull) or self.chance(30)}
        return {"Int": lambda: self.pick([1, 3, 0, -1]), "Boolean": lambda: self.pick([True, False]),
                "ID": lambda: self.pick(self.shop.ids["Product"][:3] + BAD_IDS[:2]),
                "Decimal": lambda: self.pick(["10.00", "0", "abc"]),
                "DateTime": lambda: "2026-01-01T00:00:00Z"}.get(named.name, lambda: self.pick(["", "x"]))()

    def arguments(self, parent: Any, field_name: str, definition: Any) -> str:
        given = []
        one_of = self.pick(["id", "slug"]) if field_name in ("product", "collection") and not self.chance(3) else None
        for name, argument in definition.args.items():
            required = isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined
            if one_of is not None and name in ("id", "slug"):
                required = name == one_of
            if not required and (one_of is not None and name in ("id", "slug") or not self.chance(45)):
                continue
            value = self.value(parent.name, field_name, name, argument.type)
            as_variable = self.chance(40)
            written = self.variable(str(argument.type), value, required) if as_variable else _literal(value)
            given.append(f"{name}: {written}")
        return f"({', '.join(given)})" if given else ""

    def variable(self, type_name: str, value: Any, required: bool = True) -> str:
        """A new variable of `type_name` holding `value` (left out of the variables now and then when it may be)."""
        name = self.name("v")
        self.declared.append(f"${name}: {type_name}")
        if required or type_name.endswith("!") or not self.chance(15):
            self.variables[name] = value
        return f"${name}"

    def directives(self) -> str:
        if not self.chance(15):
            return ""
        condition = self.pick([True, False])
        value = self.variable("Boolean!", condition) if self.chance(50) else _literal(condition)
        return f" @{self.pick(['include', 'skip'])}(if: {value})"

    # selections --------------------------------------------------------------------------------
    def selection_set(self, type_: Any, depth: int, keys: dict[str, str] | None = None, nesting: int = 0) -> str:
        """`keys`: the response keys of this level so far (fragments add to their parent's), with the field
        and arguments each stands for, so that two fields under one key conflict only now and then;
        `nesting`: how many fragments this level is in already (at most two)."""
        keys = {} if keys is None else keys
        items: list[str] = []
        heads: list[tuple[str, Any]] = []  # fields with a selection set, to select again under the same key
        for _ in range(self.pick(WIDTHS)):
            kind = self.pick(["field"] * 6 + ["typename", "leaves"] + ["inline", "spread"] * (nesting < 2))
            if kind == "leaves":  # every field without a selection, as a client's own documents do
                items += [n for n, f in type_.fields.items() if is_leaf_type(get_named_type(f.type))
                          and not any(isinstance(a.type, GraphQLNonNull) for a in f.args.values())] or ["__typename"]
            elif kind == "typename":
                items.append(("t: " if self.chance(20) else "") + "__typename")
            elif kind == "field":
                head, body, named = self.field(type_, depth, keys)
                items.append(head + body)
                if body:
                    heads.append((head, named))
            else:
                items.append(self.fragment(type_, depth, keys, nesting, inline=kind == "inline"))
        if heads and self.chance(20):  # the same response key, merged from two places
            head, named = self.pick(heads)
            items.append(head + " " + self.selection_set(named, depth - 1))
        return "{ " + " ".join(items) + " }"

    def head(self, type_: Any, name: str, definition: Any, keys: dict[str, str], prefix: str = "a") -> str:
        """`alias: name(arguments) @directives`; an alias whenever the name would conflict (most times)."""
        arguments = self.arguments(type_, name, definition)
        taken = keys.get(name, name + arguments) != name + arguments
        alias = self.name(prefix) if self.chance(15) or (taken and not self.chance(3)) else None
        keys[alias or name] = name + arguments
        return f"{alias + ': ' if alias else ''}{name}{arguments}{self.directives()}"

    def field(self, type_: Any, depth: int, keys: dict[str, str]) -> tuple[str, str, Any]:
        fields = [(n, f) for n, f in type_.fields.items() if depth > 0 or is_leaf_type(get_named_type(f.type))]
        if not fields:
            return "__typename", "", None
        name, definition = self.pick(fields)
        head = self.head(type_, name, definition, keys)
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return head, "", None
        return head, " " + self.selection_set(named, depth - 1), named

    def fragment(self, type_: Any, depth: int, keys: dict[str, str], nesting: int, *, inline: bool) -> str:
        condition = self.pick(_conditions(type_))
        if inline:
            on = f" on {condition.name}" if condition is not type_ or self.chance(50) else ""
            return f"...{on}{self.directives()} {self.selection_set(condition, depth, keys, nesting + 1)}"
        reusable = [name for name, on, needs in self.finished if on == condition.name and needs <= depth]
        if reusable and self.chance(40):
            return f"...{self.pick(reusable)}{self.directives()}"
        name = self.name("F")
        body = self.selection_set(condition, depth, keys, nesting + 1)
        self.fragments.append(f"fragment {name} on {condition.name} {body}")
        self.finished.append((name, condition.name, depth))
        return f"...{name}{self.directives()}"

    def document(self, first: str) -> str:
        """A query whose first root field is `first`, with up to two more selections beside it."""
        query = SCHEMA.query_type
        keys: dict[str, str] = {}
        roots: list[str] = []
        for n in range(1 + self.pick([0, 1, 0, 2])):
            kind = "root" if n == 0 else self.pick(["root"] * 8 + ["typename", "inline", "introspection", "mistake"])
            depth = self.draw(st.integers(1, MAX_DEPTH))
            if kind in ("root", "inline"):
                name = first if n == 0 else self.pick(list(ROOTS))
                definition = query.fields[name]
                head = self.head(query, name, definition, keys, "r")
                root = head + " " + self.selection_set(get_named_type(definition.type), depth - 1)
                roots.append(root if kind == "root" else f"... on Query{self.directives()} {{ {root} }}")
                if self.chance(15):  # the same field again, under another alias, with other arguments
                    again = f"{self.name('r')}: {name}{self.arguments(query, name, definition)}"
                    roots.append(again + " " + self.selection_set(get_named_type(definition.type), depth - 1))
            elif kind == "typename":
                roots.append("__typename")
            elif kind == "introspection":
                roots.append(self.pick(list(INTROSPECTION)))
            else:  # what validation refuses: an unknown field, a leaf with a selection, too many aliases
                roots.append(self.pick(["nope", "products(first: 1) { totalCount { x } }",
                                        " ".join(f"x{i}: __typename" for i in range(31))]))
        context = self.in_context()
        variables = f"({', '.join(self.declared)})" if self.declared else ""
        return " ".join([f"query Q{variables}{context} {{ {' '.join(roots)} }}", *self.fragments])

    def in_context(self) -> str:
        """Sometimes `@inContext(language:)`: German (translated in the shop), Japanese (not: the
        shop's words), English (the shop's language), as a literal or a variable; sometimes
        `country:` too: Germany (a market in euros, by rate and one explicit price), Switzerland
        (francs, explicit prices only), the US (the shop's own)."""
        if not self.chance(30):
            return ""
        arguments = []
        if self.chance(50):
            country = self.pick(["DE", "CH", "US"])
            arguments.append(f"country: {self.variable('CountryCode', country) if self.chance(50) else country}")
        if not arguments or self.chance(50):
            language = self.pick(["DE", "DE", "JA", "EN"])
            arguments.append(f"language: {self.variable('LanguageCode', language) if self.chance(50) else language}")
        return f" @inContext({', '.join(arguments)})"


@st.composite
def cases(draw: Callable, shop: Shop, root: str) -> Case:
    builder = _Document(draw, shop)
    query = builder.document(root)
    caller = draw(st.sampled_from(["guest", "staff", "customer"]))
    method = draw(st.sampled_from(["POST", "POST", "POST", "GET"]))
    accept = draw(st.sampled_from([None, None, "application/json", "application/graphql-response+json"]))
    operations = draw(st.sampled_from(["one"] * 6 + ["two, first named", "two, second named", "two, none named"]))
    if operations == "one":
        return Case(query, builder.variables, caller, method=method, accept=accept)
    named = {"two, first named": "Q", "two, second named": "Other"}.get(operations)
    return Case(query + " query Other { __typename }", builder.variables, caller, method=method, accept=accept,
                operation=named)


# ---------------------------------------------------------------------------------------------
# Both paths


@dataclass
class Answer:
    status: int
    content_type: str
    content: bytes


RAISED = "(raised in the app)"


async def answer(shop: Shop, client: httpx.AsyncClient, case: Case) -> Answer:
    """The app's answer; an exception escaping the app (a server would answer 500) as an answer too."""
    try:
        response = await case.send(client, shop.headers(case.caller))
    except (Exception, asyncio.CancelledError) as error:
        task = asyncio.current_task()
        if isinstance(error, asyncio.CancelledError) and task is not None and task.cancelling():
            raise  # this test is being cancelled, not the app failing
        return Answer(500, RAISED, f"{type(error).__name__}: {error}".encode())
    return Answer(response.status_code, response.headers.get("content-type", ""), response.content)


async def _answers(shop: Shop, case: Case) -> tuple[Answer, Answer]:
    return await answer(shop, shop.compiled, case), await answer(shop, shop.reference, case)


def _pretty(content: bytes) -> list[str]:
    try:
        return json.dumps(json.loads(content), indent=1, ensure_ascii=False).splitlines()
    except ValueError:
        return content.decode(errors="replace").splitlines()


async def answers_again(shop: Shop, case: Case, compiled: Answer, reference: Answer,
                        tries: int = 16) -> tuple[list[Answer], list[Answer]]:
    """Each app's answers to `case`, asked again until one of them answers in more than one way and
    the two share an answer, or `tries` run out.

    The reference executor is not always steady: when two root fields in non-null positions fail,
    graphql-core resolves them concurrently and reports whichever fails first (the other error is
    lost); several errors come in the order their resolvers failed; a sibling cancelled on an error
    can cancel a dataloader future another field awaits, and the request raises."""
    answers: tuple[list[Answer], list[Answer]] = ([compiled], [reference])
    for _ in range(tries):
        if _agree(*answers):
            break
        for seen, client in zip(answers, (shop.compiled, shop.reference)):
            again = await answer(shop, client, case)
            if again not in seen:
                seen.append(again)
    return answers


def _canonical(answer: Answer) -> tuple:
    """The answer with its errors in a fixed order: what unsteady answers are compared by."""
    try:
        body = json.loads(answer.content)
        errors = tuple(sorted(json.dumps(error, sort_keys=True) for error in body.get("errors") or []))
        return answer.status, answer.content_type, json.dumps(body.get("data")), errors
    except (ValueError, AttributeError):
        return answer.status, answer.content_type, answer.content


def _agree(compiled: list[Answer], reference: list[Answer]) -> bool:
    """Byte-identical; or, once either app has answered in more than one way, one answer in common
    (its errors in any order)."""
    if compiled[0] == reference[0]:
        return True
    return (len(compiled) > 1 or len(reference) > 1) and bool(
        set(map(_canonical, compiled)) & set(map(_canonical, reference)))


def assert_same(case: Case, compiled: Answer | list[Answer], reference: Answer | list[Answer],
                database: str) -> None:
    """The two apps' answers agree (`_agree`); lists: each app's answers, asked more than once."""
    compiled_all = compiled if isinstance(compiled, list) else [compiled]
    reference_all = reference if isinstance(reference, list) else [reference]
    if _agree(compiled_all, reference_all):
        return
    compiled, reference = compiled_all[0], reference_all[0]
    diff = list(difflib.unified_diff(_pretty(reference.content), _pretty(compiled.content), "reference", "compiled",
                                     lineterm="", n=2))[:80]
    raise AssertionError(
        f"the compiled and the reference path answer differently on {database}\n{case.readable()}\n"
        f"compiled:  {compiled.status} {compiled.content_type}\n  {compiled.content[:3000].decode(errors='replace')}\n"
        f"reference: {reference.status} {reference.content_type}\n"
        f"  {reference.content[:3000].decode(errors='replace')}\n"
        + "\n".join(diff)
        + "".join(f"\nthe {side} path also answered: {other.status} {other.content[:3000].decode(errors='replace')}"
                  for side, others in (("compiled", compiled_all), ("reference", reference_all))
                  for other in others[1:]))


# ---------------------------------------------------------------------------------------------
# What the compiled app counted


async def plan_counts(http: httpx.AsyncClient) -> tuple[float, Counter] | None:
    """(plans run, fallbacks by reason) from /metrics; None when the app counts no plans."""
    response = await http.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    runs, fallbacks, seen = 0.0, Counter(), False
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if not sample.name.startswith("shopgraph_plan") or not sample.name.endswith("_total"):
                continue
            seen = True
            if "fallback" in sample.name:
                fallbacks[sample.labels.get("reason") or ",".join(sample.labels.values()) or "unknown"] += sample.value
            elif "run" in sample.name:
                runs += sample.value
    return (runs, fallbacks) if seen else None


@dataclass
class Tally:
    database: str
    documents: int = 0
    differences: int = 0
    unsteady: int = 0  # documents an app answered in more than one way
    raised: int = 0  # documents on which an app raised (a server would answer 500)
    german: int = 0  # documents answered with German words (`@inContext(language: DE)` reached a translation)
    before: tuple[float, Counter] | None = None
    after: tuple[float, Counter] | None = None
    seconds: float = 0.0

    def line(self) -> str:
        head = f"plan sameness on {self.database}: {self.documents} documents ({self.german} answered in German)"
        tail = f", {self.differences} differences" + (
            f" (the same app answered {self.unsteady} of them in more than one way: "
            f"the reference executor is not steady there)" if self.unsteady else "") + (
            f"; on {self.raised} documents an app raised (a server's 500)" if self.raised else "")
        if self.before is None or self.after is None:
            return head + " (the compiled app counts no plans: no shopgraph_plan_* in /metrics)" + tail
        runs = int(self.after[0] - self.before[0])
        fallbacks = self.after[1] - self.before[1]
        reasons = ", ".join(f"{reason} {int(n)}" for reason, n in fallbacks.most_common())
        other = self.documents - runs - int(sum(fallbacks.values()))
        return (f"{head}, {runs} compiled, {int(sum(fallbacks.values()))} fell back"
                + (f" ({reasons})" if reasons else "")
                + (f", {other} in neither count (refused before planning)" if other else "")
                + tail)


async def _in(context: contextvars.Context, coro):
    """Runs `coro` as a task in the test's context (where the ORM is initialised)."""
    return await context.run(asyncio.ensure_future, coro)


async def test_generated_documents_answer_the_same_on_both_paths(shop, record_property):
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    tally = Tally(shop.database)

    def run(case: Case) -> None:
        tally.documents += 1
        started = time.perf_counter()
        future = asyncio.run_coroutine_threadsafe(_in(context, _answers(shop, case)), loop)
        compiled, reference = future.result(timeout=120)
        tally.seconds += time.perf_counter() - started
        answers: tuple[list[Answer], list[Answer]] = ([compiled], [reference])
        if compiled != reference:
            answers = asyncio.run_coroutine_threadsafe(
                _in(context, answers_again(shop, case, compiled, reference)), loop).result(timeout=300)
            tally.unsteady += len(answers[0]) > 1 or len(answers[1]) > 1
        tally.german += any(word in compiled.content for word in GERMAN_WORDS)
        raised = [a.content.decode() for seen in answers for a in seen if a.content_type == RAISED]
        tally.raised += bool(raised)
        assert not raised, f"an app raised {raised[0]} on {case!r}"
        try:
            assert_same(case, *answers, shop.database)
        except AssertionError:
            tally.differences += 1
            raise

    def run_each_root() -> None:
        for root in ROOTS:  # each root field gets its share of the examples, whatever hypothesis prefers
            @given(case=cases(shop, root))
            @hypothesis_settings(max_examples=max(EXAMPLES // len(ROOTS), 1), deadline=None, database=None,
                                 derandomize=True, suppress_health_check=list(HealthCheck),
                                 phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink])
            def documents_beginning_with(case: Case) -> None:
                run(case)

            documents_beginning_with()

    tally.before = await plan_counts(shop.compiled)
    try:
        await asyncio.to_thread(run_each_root)
    finally:
        tally.after = await plan_counts(shop.compiled)
        # printed at the end of the run (tests/conftest.py)
        record_property("summary", tally.line() + f" [{tally.seconds:.1f}s in requests]")


# ---------------------------------------------------------------------------------------------
# What the storefront (storefront/js/api.js) and the benchmark (bench/run.py) send

MONEY = "amount currencyCode"
IMAGE = "url altText"
STOREFRONT_TAX_LINES = f"taxLines {{ title ratePercentage amount {{ {MONEY} }} }}"
STOREFRONT_ORDER = (f"id number status email subtotal {{ {MONEY} }} total {{ {MONEY} }} "
                    f"lines {{ id title variantTitle sku quantity unitPrice {{ {MONEY} }} total {{ {MONEY} }} }} "
                    f"shippingAddress {{ formatted }} shippingLine {{ title price {{ {MONEY} }} }} "
                    f"discountApplications {{ code amount {{ {MONEY} }} }} {STOREFRONT_TAX_LINES} "
                    f"cost {{ {bench.COST} }} "
                    "payment { status cardBrand cardLast4 }")
VARIANT_FIELDS = (f"id title availableForSale quantityAvailable selectedOptions {{ name value }} "
                  f"price {{ {MONEY} }} compareAtPrice {{ {MONEY} }} image {{ {IMAGE} }}")
CARD_VARIANT_FIELDS = (f"id title availableForSale quantityAvailable selectedOptions {{ name value }} "
                       f"price {{ {MONEY} }} image {{ url }}")


def _product_fields(variant_fields: str) -> str:
    return (f"id slug title description availableForSale quantityAvailable featuredImage {{ {IMAGE} }} "
            f"priceRange {{ minVariantPrice {{ {MONEY} }} }} options {{ name values }} "
            f"variants(first: $variants) {{ totalCount nodes {{ {variant_fields} }} }}")


PAGE = (f"totalCount nodes {{ {_product_fields(CARD_VARIANT_FIELDS)} }} "
        "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
        "facets { available { value count } tag { value count } options { name values { value count } } }")
PAGE_ARGS = ("$first: Int, $after: String, $last: Int, $before: String, $query: String, $filters: ProductFilter, "
             "$variants: Int!")
PAGE_PARAMS = ("first: $first, after: $after, last: $last, before: $before, query: $query, filters: $filters, "
               "sortKey: TITLE")
STOREFRONT = {
    "products": f"query Products({PAGE_ARGS}) {{ products({PAGE_PARAMS}) {{ {PAGE} }} }}",
    "collectionProducts": f"query CollectionProducts($slug: String!, {PAGE_ARGS}) {{ collection(slug: $slug) "
                          f"{{ id slug title description products({PAGE_PARAMS}) {{ {PAGE} }} }} }}",
    "collections": f"query Collections {{ collections(first: 100) {{ nodes {{ id slug title description "
                   f"image {{ {IMAGE} }} products(first: 1) {{ totalCount }} }} }} }}",
    "product": f"query Product($slug: String!, $variants: Int!) {{ product(slug: $slug) "
               f"{{ {_product_fields(VARIANT_FIELDS)} }} }}",
    "cart": f"query Cart($id: ID!) {{ cart(id: $id) {{ {bench.CART_FIELDS} }} }}",
    "checkoutCart": bench.READ_CART,
    "order": f"query Order($id: ID!) {{ order(id: $id) {{ {STOREFRONT_ORDER} }} }}",
}
NODES = ("query($ids: [ID!]!) { a: node(id: $ids) { id __typename ... on Product { slug } } "
         "... on Query { b: node(id: $ids) { ... on ProductVariant { sku product { slug } } } } }")
HAND_WRITTEN: dict[str, tuple[Any, ...]] = {  # query, variables of the shop, caller[, how it is sent]
    "storefront-products": (STOREFRONT["products"], lambda s: {"first": 12, "variants": 4}, "guest"),
    "storefront-search": (STOREFRONT["products"], lambda s: {
        "first": 12, "variants": 4, "query": "tee", "after": s.cursors["Product"][-1],
        "filters": {"available": True, "variantOption": [{"name": "Size", "value": "M"}], "tag": ["sale"]}}, "guest"),
    "storefront-products-backwards": (STOREFRONT["products"], lambda s: {"last": 5, "variants": 2}, "guest"),
    "storefront-collection": (STOREFRONT["collectionProducts"], lambda s: {"slug": "apparel", "first": 12,
                                                                            "variants": 4}, "guest"),
    "storefront-collections": (STOREFRONT["collections"], lambda s: {}, "guest"),
    "storefront-product": (STOREFRONT["product"], lambda s: {"slug": "classic-tee", "variants": 100}, "guest"),
    "storefront-no-product": (STOREFRONT["product"], lambda s: {"slug": "no-such-slug", "variants": 100}, "guest"),
    "storefront-cart": (STOREFRONT["cart"], lambda s: {"id": s.cart_id}, "guest"),
    "storefront-checkout-cart": (STOREFRONT["checkoutCart"], lambda s: {"id": s.cart_id}, "guest"),
    "storefront-order": (STOREFRONT["order"], lambda s: {"id": s.order_id}, "guest"),
    "bench-products": (bench.PRODUCTS, lambda s: {}, "guest"),
    "bench-product-by-slug": (bench.PRODUCT_BY_SLUG, lambda s: {}, "guest"),
    "bench-variant-page": (bench.VARIANT_PAGE, lambda s: {}, "guest"),
    "bench-search-facets": (bench.SEARCH_FACETS, lambda s: {}, "guest"),
    "bench-cart": (bench.READ_CART, lambda s: {"id": s.cart_id}, "guest"),
    "nodes": (NODES, lambda s: {"ids": s.ids["ProductVariant"][0]}, "guest"),
    "staff-orders": ("{ orders(first: 5) { edges { cursor node { id number status needsAttention attentionReason "
                     "eventCursor lines { sku variant { id } product { slug } } payment { amount { amount } } } } "
                     "pageInfo { hasNextPage endCursor } } }", lambda s: {}, "staff"),
    "guest-orders": ("{ orders(first: 5) { nodes { id } } }", lambda s: {}, "guest"),
    "customer-orders": ("{ me { email orders(first: 5) { edges { cursor node { id number status lines { title } } } "
                        "pageInfo { hasNextPage endCursor } } } }", lambda s: {}, "customer"),
    "guest-me": ("{ me { email } }", lambda s: {}, "guest"),
    "guest-needs-attention": ("query($id: ID!) { order(id: $id) { number needsAttention } }",
                              lambda s: {"id": s.order_id}, "guest"),
    "two-operations-unnamed": ("query A { __typename } query B { products(first: 1) { totalCount } }",
                               lambda s: {}, "guest", {}),
    "two-operations-second": ("query A { __typename } query B { products(first: 1) { totalCount } }",
                              lambda s: {}, "guest", {"operation": "B"}),
    "two-operations-missing": ("query A { __typename } query B { products(first: 1) { totalCount } }",
                               lambda s: {}, "guest", {"operation": "C"}),
    "get-graphql-response": ("query($s: String!) { product(slug: $s) { title variants(first: 2) { nodes { sku } } } }",
                             lambda s: {"s": "classic-tee"}, "guest",
                             {"method": "GET", "accept": "application/graphql-response+json"}),
    "invalid-graphql-response": ("{ product { nope } }", lambda s: {}, "guest",
                                 {"accept": "application/graphql-response+json"}),
    "too-costly": ("{ products(first: 100) { nodes { variants(first: 100) { nodes { id } } } } }",
                   lambda s: {}, "guest"),
}


@pytest.mark.parametrize("name", list(HAND_WRITTEN))
async def test_the_shops_own_documents_answer_the_same_on_both_paths(shop, name):
    query, variables, caller, *how = HAND_WRITTEN[name]
    case = Case(query, variables(shop), caller, **(how[0] if how else {}))
    compiled, reference = await _answers(shop, case)
    assert reference.content.startswith(b"{"), reference
    assert_same(case, compiled, reference, shop.database)


async def test_persisted_queries_answer_the_same_on_both_paths(shop):
    """The storefront's catalog page as an APQ GET (as bench/run.py sends it): unknown hash, the query
    with its hash, then the hash alone, over GET and POST."""
    query = STOREFRONT["products"].replace("$variants: Int!", "$variants: Int! = 4")
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    steps = [("GET", {"extensions": json.dumps(extensions), "variables": '{"first": 3}'}),
             ("GET", {"extensions": json.dumps(extensions), "variables": '{"first": 3}', "query": query}),
             ("GET", {"extensions": json.dumps(extensions), "variables": '{"first": 3}'}),
             ("POST", {"extensions": extensions, "variables": {"first": 2, "after": shop.cursors["Product"][-1]}})]
    seen = []
    for method, request in steps:
        answers = []
        for client in (shop.compiled, shop.reference):
            response = await (client.get("/graphql", params=request, headers={"Accept": "application/json"})
                              if method == "GET" else client.post("/graphql", json=request))
            answers.append(Answer(response.status_code, response.headers.get("content-type", ""), response.content))
        assert_same(Case(query, request.get("variables"), "guest", method=method), *answers, shop.database)
        seen.append(answers[1].content)
    assert b"PERSISTED_QUERY_NOT_FOUND" in seen[0] and all(b'"nodes"' in body for body in seen[1:]), seen
