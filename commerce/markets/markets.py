"""Markets: the countries the shop sells to, each in a currency and a language (DESIGN §13).

The shop itself is the primary market: its currency and language are the settings'
(`SHOPGRAPH_CURRENCY`, `SHOPGRAPH_LANGUAGE`), it serves every country no other
market names, and it has no row, so a shop without markets is what it always was.
Staff add the others (`create_market`); a country belongs to one market at most.

Reads go through a `MarketBook`: every market in memory, read again from the
database at most every `ttl` seconds and at once in the process that changed
them, so a catalog page costs no extra statement for its market. Money never
trusts that copy: checkout reads the cart's market fresh, in its transaction.
"""

from __future__ import annotations

import logging
import re
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pycountry
from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from commerce.errors import DomainError, UserErrorCode as Code
from commerce.markets.prices import PriceRule, price_rule
from commerce.money import CURRENCY_EXPONENTS, InvalidAmount, exponent, parse_decimal
from commerce.outbound import notices
from commerce.text import check_text
from models import Market, MarketCountry, Rounding

__all__ = [
    "PRIMARY_HANDLE", "MarketView", "Markets", "MarketBook", "MarketInput", "create_market", "update_market",
    "delete_market", "read_markets", "primary_is_settings", "primary_market", "market_view", "MAX_MARKETS",
    "MAX_COUNTRIES",
]

PRIMARY_HANDLE = "primary"
MAX_MARKETS = 100
MAX_COUNTRIES = 250
_HANDLE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
_MAX_RATE_DIGITS = 12
log = logging.getLogger("shopgraph.markets")


@dataclass(frozen=True)
class MarketView:
    """A market as reads see it. `id` is None for the primary market (the shop itself)."""

    id: int | None
    handle: str
    name: str
    countries: tuple[str, ...]
    currency: str
    language: str
    exchange_rate: Decimal | None
    rounding: Rounding
    rule: PriceRule

    @property
    def primary(self) -> bool:
        return self.id is None


@dataclass(frozen=True)
class Markets:
    """Every market at one moment: the primary one and the others, by country, handle and id."""

    primary: MarketView
    others: tuple[MarketView, ...] = ()
    by_country: dict[str, MarketView] = field(default_factory=dict)

    def for_country(self, country: str | None) -> MarketView:
        """The market that serves `country`; the primary one for any other country or none."""
        return self.by_country.get(country or "", self.primary)

    def by_handle(self, handle: str) -> MarketView | None:
        return next((m for m in self.all if m.handle == handle), None)

    def by_id(self, pk: int) -> MarketView | None:
        return next((m for m in self.others if m.id == pk), None)

    @property
    def all(self) -> tuple[MarketView, ...]:
        return (self.primary, *self.others)


def _primary(currency: str, language: str, claimed: Sequence[str], *, countries: bool = True) -> MarketView:
    taken = set(claimed)
    listed = tuple(sorted(c.alpha_2 for c in pycountry.countries if c.alpha_2 not in taken)) if countries else ()
    return MarketView(None, PRIMARY_HANDLE, "Primary", listed, currency, language, None, Rounding.NONE,
                      price_rule(currency, currency, None, Rounding.NONE))


def _view(row: dict[str, Any], countries: list[str], base: str) -> MarketView:
    """A market as stored. A rate that no longer prices exactly (SHOPGRAPH_CURRENCY or a currency's minor
    units changed since it was set) prices nothing: explicit prices only, never every read a 500."""
    rate = None if row["exchange_rate"] is None else Decimal(row["exchange_rate"])
    rounding = Rounding(row["rounding"])
    try:
        rule = price_rule(base, row["currency"], rate, rounding)
    except ValueError as error:
        log.warning("market %r: its exchange rate %s cannot price from %s (%s): explicit prices only",
                    row["handle"], row["exchange_rate"], base, error)
        rule = PriceRule(base, row["currency"], None, 1, rounding)
    return MarketView(row["id"], row["handle"], row["name"], tuple(sorted(countries)), row["currency"],
                      row["language"], rate, rounding, rule)


def primary_market(currency: str, language: str = "") -> MarketView:
    """The shop's own market, without its list of countries (nothing is read)."""
    return _primary(currency, language, (), countries=False)


def market_view(row: dict[str, Any], countries: Sequence[str], base: str) -> MarketView:
    """A market from a row of the `market` table (id, handle, name, currency, language, exchange_rate, rounding)
    read by another statement, serving `countries` (those the reader needed)."""
    return _view(row, list(countries), base)


async def read_markets(currency: str, language: str) -> Markets:
    """Every market, from the database, in one statement."""
    rows = await get_connection("default").execute_query_dict(
        "SELECT m.id, m.handle, m.name, m.currency, m.language, m.exchange_rate, m.rounding, c.country"
        " FROM market m LEFT JOIN market_country c ON c.market_id = m.id ORDER BY m.id, c.country")
    found: dict[int, tuple[dict[str, Any], list[str]]] = {}
    for row in rows:
        _, countries = found.setdefault(row["id"], (row, []))
        if row["country"] is not None:
            countries.append(row["country"])
    others = tuple(_view(row, countries, currency) for row, countries in found.values())
    by_country = {country: market for market in others for country in market.countries}
    return Markets(_primary(currency, language, list(by_country)), others, by_country)


_BOOKS: "weakref.WeakSet[MarketBook]" = weakref.WeakSet()


class MarketBook:
    """Every market in memory for reads (see the module's note)."""

    def __init__(self, currency: str, language: str, ttl: float = 10.0) -> None:
        self.currency, self.language, self.ttl = currency, language, ttl
        self._markets: Markets | None = None
        self._read_at = 0.0
        self._changes = 0  # forget() calls: a read that began before one is not kept
        self._primary: MarketView | None = None
        _BOOKS.add(self)

    async def markets(self, *, fresh: bool = False) -> Markets:
        now, changes = time.monotonic(), self._changes
        if fresh or self._markets is None or now - self._read_at > self.ttl:
            markets = await read_markets(self.currency, self.language)
            if changes == self._changes:  # else it may predate the change: this request's, not the book's
                self._markets, self._read_at = markets, now
            return markets
        return self._markets

    def forget(self) -> None:
        self._changes += 1
        self._markets = None

    @property
    def primary(self) -> MarketView:
        """The shop's own market, without reading the database (its countries are not listed)."""
        if self._primary is None:
            self._primary = _primary(self.currency, self.language, (), countries=False)
        return self._primary


async def _changed() -> None:
    for book in list(_BOOKS):
        book.forget()
    await notices.catalog_changed()


@dataclass(frozen=True)
class MarketInput:
    """What staff give for a market; None: unchanged (on update)."""

    handle: str | None = None
    name: str | None = None
    countries: tuple[str, ...] | None = None
    currency: str | None = None
    language: str | None = None
    exchange_rate: str | None = None  # a decimal string; "" removes the rate
    rounding: Rounding | None = None


def _checked(spec: MarketInput, shop_currency: str, market: Market | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if spec.handle is not None:
        if not _HANDLE.fullmatch(spec.handle):
            raise DomainError(Code.INVALID, "A handle is 1 to 64 lower-case letters, digits and hyphens.",
                              ["input", "handle"])
        if spec.handle == PRIMARY_HANDLE:
            raise DomainError(Code.TAKEN, f'"{PRIMARY_HANDLE}" is the shop\'s own market.', ["input", "handle"])
        values["handle"] = spec.handle
    if spec.name is not None:
        name = check_text(spec.name.strip(), "input", "name", max_length=100)
        if not name:
            raise DomainError(Code.INVALID, "A market needs a name.", ["input", "name"])
        values["name"] = name
    if spec.currency is not None:
        if spec.currency not in CURRENCY_EXPONENTS:
            raise DomainError(Code.INVALID, f"{spec.currency} is not an ISO 4217 currency.", ["input", "currencyCode"])
        values["currency"] = spec.currency
    if spec.language is not None:
        values["language"] = spec.language
    if spec.rounding is not None:
        values["rounding"] = spec.rounding
    if spec.exchange_rate is not None:
        values["exchange_rate"] = _rate(spec.exchange_rate) if spec.exchange_rate != "" else None
    currency = values.get("currency", market.currency if market else shop_currency)
    rounding = values.get("rounding", market.rounding if market else Rounding.NONE)
    rate = values.get("exchange_rate", market.exchange_rate if market else None)
    if rounding is Rounding.NINETY_NINE and exponent(currency) == 0:
        raise DomainError(Code.INVALID, f"{currency} has no minor units to end in .99: use WHOLE.",
                          ["input", "rounding"])
    try:
        price_rule(shop_currency, currency, None if rate is None else Decimal(rate), rounding)
    except ValueError as error:
        raise DomainError(Code.INVALID, f"{str(error).capitalize()}.", ["input", "exchangeRate"]) from None
    return values


def _rate(text: str) -> str:
    try:
        rate = parse_decimal(text)
    except InvalidAmount:
        raise DomainError(Code.INVALID, 'The exchange rate is a plain decimal such as "0.92".',
                          ["input", "exchangeRate"]) from None
    digits = rate.normalize().as_tuple().digits
    if rate <= 0 or len(digits) > _MAX_RATE_DIGITS:
        raise DomainError(Code.INVALID, f"The exchange rate is positive, with at most {_MAX_RATE_DIGITS} digits.",
                          ["input", "exchangeRate"])
    return format(rate.normalize(), "f")  # "100", "0.92", "0.0000001": never "1E+2", which reads would show


def _countries(countries: tuple[str, ...]) -> list[str]:
    if len(countries) > MAX_COUNTRIES:
        raise DomainError(Code.INVALID, f"At most {MAX_COUNTRIES} countries.", ["input", "countries"])
    if len(set(countries)) != len(countries):
        raise DomainError(Code.INVALID, "A country is named twice.", ["input", "countries"])
    return list(countries)


async def _set_countries(market: Market, countries: list[str]) -> None:
    taken = {row["country"]: row["market__handle"] for row in await MarketCountry.filter(
        country__in=countries).exclude(market_id=market.id).values("country", "market__handle")}
    for index, country in enumerate(countries):
        if country in taken:
            raise DomainError(Code.TAKEN, f"{country} is in the market {taken[country]!r} already.",
                              ["input", "countries", str(index)])
    await MarketCountry.filter(market_id=market.id).exclude(country__in=countries).delete()
    have = set(await MarketCountry.filter(market_id=market.id).values_list("country", flat=True))
    new = [MarketCountry(market_id=market.id, country=c) for c in countries if c not in have]
    if new:
        await MarketCountry.bulk_create(new)


async def create_market(spec: MarketInput, shop_currency: str) -> Market:
    for required, path in ((spec.handle, "handle"), (spec.name, "name"), (spec.currency, "currencyCode"),
                           (spec.language, "languageCode")):
        if required is None:
            raise DomainError(Code.INVALID, f"A new market needs its {path}.", ["input", path])
    values = _checked(spec, shop_currency, None)
    countries = _countries(spec.countries or ())
    try:
        async with in_transaction():
            if await Market.all().count() >= MAX_MARKETS:
                raise DomainError(Code.INVALID, f"A shop has at most {MAX_MARKETS} markets.", ["input"])
            if await Market.exists(handle=values["handle"]):
                raise DomainError(Code.TAKEN, "Another market has this handle.", ["input", "handle"])
            market = await Market.create(**values)
            await _set_countries(market, countries)
    except IntegrityError:  # a concurrent create took the handle or a country first
        raise DomainError(Code.TAKEN, "Another market has this handle or one of these countries.", ["input"]) from None
    await _changed()
    return market


async def update_market(pk: int, spec: MarketInput, shop_currency: str) -> Market:
    try:
        async with in_transaction():
            market = await Market.select_for_update().get_or_none(id=pk)
            if market is None:
                raise DomainError.not_found("market", "id")
            values = _checked(spec, shop_currency, market)
            if "handle" in values and await Market.exists(handle=values["handle"], id__not=pk):
                raise DomainError(Code.TAKEN, "Another market has this handle.", ["input", "handle"])
            if values:
                await market.update_from_dict(values).save()
            if spec.countries is not None:
                await _set_countries(market, _countries(spec.countries))
    except IntegrityError:
        raise DomainError(Code.TAKEN, "Another market has this handle or one of these countries.", ["input"]) from None
    await _changed()
    return market


def primary_is_settings() -> DomainError:
    return DomainError(Code.INVALID, "The primary market is the shop itself: SHOPGRAPH_CURRENCY and"
                       " SHOPGRAPH_LANGUAGE set it.", ["id"])


async def delete_market(pk: int) -> None:
    """Its countries go back to the primary market; carts there are priced in its currency from then on."""
    deleted = await Market.filter(id=pk).delete()
    if not deleted:
        raise DomainError.not_found("market", "id")
    await _changed()
