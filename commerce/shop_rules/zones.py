"""Shipping zones and their rates, as the staff set them (`shop:write`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tortoise.transactions import in_transaction

from commerce.shop_rules.checks import amount, count, country_code, invalid, optional_amount, text
from commerce.checkout.shipping import DeliveryRate, RestOfWorld, Zone
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.checkout.taxes import Rate
from commerce.sql import columns, fetch, model_of, projection, statement
from models import ShippingRate, ShippingZone, TaxRate

__all__ = ["RateInput", "ZoneInput", "create_zone", "update_zone", "delete_zone", "list_zones", "load_zones", "load_zones_and_tax_rates", "HANDLE"]

HANDLE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True)
class RateInput:
    handle: str
    title: str
    price: Decimal
    min_subtotal: Decimal | None = None
    max_subtotal: Decimal | None = None
    min_weight_grams: int | None = None
    max_weight_grams: int | None = None
    min_delivery_days: int | None = None
    max_delivery_days: int | None = None


@dataclass(frozen=True)
class ZoneInput:
    name: str | None = None
    countries: Sequence[str] | None = None
    rates: Sequence[RateInput] | None = None


def _bounds(low: int | None, high: int | None, *field: str | int) -> None:
    if low is not None and high is not None and low > high:
        raise invalid("The lower bound is above the upper bound.", *field)


def _rate(rate: RateInput, i: int, currency: str) -> dict:
    at = ("input", "rates", i)
    if not HANDLE.match(rate.handle):
        raise invalid("A handle is lower-case letters, digits and dashes.", *at, "handle")
    row = {
        "handle": rate.handle, "title": text(rate.title, *at, "title"),
        "price": amount(rate.price, currency, *at, "price"),
        "min_subtotal": optional_amount(rate.min_subtotal, currency, *at, "minSubtotal"),
        "max_subtotal": optional_amount(rate.max_subtotal, currency, *at, "maxSubtotal"),
        "min_weight_grams": count(rate.min_weight_grams, *at, "minWeightGrams"),
        "max_weight_grams": count(rate.max_weight_grams, *at, "maxWeightGrams"),
        "min_delivery_days": count(rate.min_delivery_days, *at, "minDeliveryDays"),
        "max_delivery_days": count(rate.max_delivery_days, *at, "maxDeliveryDays"),
    }
    _bounds(row["min_subtotal"], row["max_subtotal"], *at, "maxSubtotal")
    _bounds(row["min_weight_grams"], row["max_weight_grams"], *at, "maxWeightGrams")
    _bounds(row["min_delivery_days"], row["max_delivery_days"], *at, "maxDeliveryDays")
    return row


def _rates(rates: Sequence[RateInput], currency: str) -> list[dict]:
    rows = [_rate(rate, i, currency) for i, rate in enumerate(rates)]
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if row["handle"] in seen:
            raise DomainError(Code.TAKEN, "Two rates of a zone share this handle.", ["input", "rates", str(i), "handle"])
        seen.add(row["handle"])
    return rows


async def _countries(countries: Sequence[str], zone_id: int | None) -> list[str]:
    codes = [c if c.strip() == RestOfWorld else country_code(c, "input", "countries", i) for i, c in enumerate(countries)]
    codes = list(dict.fromkeys(c.strip() for c in codes))
    others = ShippingZone.exclude(id=zone_id) if zone_id is not None else ShippingZone.all()
    for other in await others:
        for i, code in enumerate(codes):
            if code in other.countries:
                raise DomainError(Code.TAKEN, f"{code} is already in the zone {other.name}.", ["input", "countries", str(i)])
    return codes


async def _name(name: str | None, zone_id: int | None) -> str:
    cleaned = text(name, "input", "name")
    if await ShippingZone.filter(name=cleaned).exclude(id=zone_id or 0).exists():
        raise DomainError(Code.TAKEN, "Another zone has this name.", ["input", "name"])
    return cleaned


async def create_zone(data: ZoneInput, currency: str) -> ShippingZone:
    async with in_transaction():
        zone = await ShippingZone.create(name=await _name(data.name, None),
                                         countries=await _countries(data.countries or [], None))
        await ShippingRate.bulk_create([ShippingRate(zone_id=zone.id, **row) for row in _rates(data.rates or [], currency)])
    return zone


async def update_zone(zone_id: int, data: ZoneInput, currency: str) -> ShippingZone:
    """Changes what is given; `rates`, when given, replace the zone's rates."""
    async with in_transaction():
        zone = await ShippingZone.filter(id=zone_id).select_for_update().first()
        if zone is None:
            raise DomainError.not_found("shipping zone", "id")
        if data.name is not None:
            zone.name = await _name(data.name, zone.id)
        if data.countries is not None:
            zone.countries = await _countries(data.countries, zone.id)
        await zone.save()
        if data.rates is not None:
            rows = _rates(data.rates, currency)
            await ShippingRate.filter(zone_id=zone.id).delete()
            await ShippingRate.bulk_create([ShippingRate(zone_id=zone.id, **row) for row in rows])
    return zone


async def delete_zone(zone_id: int) -> None:
    if not await ShippingZone.filter(id=zone_id).delete():
        raise DomainError.not_found("shipping zone", "id")


async def list_zones() -> list[ShippingZone]:
    return await ShippingZone.all().order_by("name").prefetch_related("rates")


def _delivery_rate(rate: ShippingRate) -> DeliveryRate:
    return DeliveryRate(rate.handle, rate.title, rate.price, rate.min_subtotal, rate.max_subtotal,
                        rate.min_weight_grams, rate.max_weight_grams, rate.min_delivery_days, rate.max_delivery_days)


def _zones_sql(dialect: str) -> str:
    return (f'SELECT {projection(ShippingZone, "z")}, {projection(ShippingRate, "r")} FROM "shipping_zone" "z" '
            'LEFT JOIN "shipping_rate" "r" ON "r"."zone_id" = "z"."id" ORDER BY "z"."id", "r"."id"')


def _nulls(model: type, alias: str) -> str:
    return ", ".join(f'NULL AS "{alias}__{c}"' for c in columns(model))


def _zones_and_tax_sql(dialect: str) -> str:
    return (
        f"SELECT 'z' AS \"kind\", {projection(ShippingZone, 'z')}, {projection(ShippingRate, 'r')}, "
        f"{_nulls(TaxRate, 't')} "
        'FROM "shipping_zone" "z" LEFT JOIN "shipping_rate" "r" ON "r"."zone_id" = "z"."id" '
        f"UNION ALL SELECT 't', {_nulls(ShippingZone, 'z')}, {_nulls(ShippingRate, 'r')}, {projection(TaxRate, 't')} "
        'FROM "tax_rate" "t" WHERE "t"."country_code" = ? AND "t"."province_code" IN (?, ?) '
        'ORDER BY "kind", "z__id", "r__id", "t__province_code"'
    )


def _zones_of(rows: list[dict]) -> list[Zone]:
    zones: dict[int, ShippingZone] = {}
    by_zone: dict[int, list[DeliveryRate]] = {}
    for row in rows:
        if row["z__id"] not in zones:
            zones[row["z__id"]] = model_of(ShippingZone, row, "z")
            by_zone[row["z__id"]] = []
        rate = model_of(ShippingRate, row, "r")
        if rate is not None:
            by_zone[row["z__id"]].append(_delivery_rate(rate))
    return [Zone(zone.name, frozenset(zone.countries), by_zone[zone.id]) for zone in zones.values()]


async def load_zones() -> list[Zone]:
    """Every zone with its rates (a zone may have none), in one statement, for pricing carts."""
    return _zones_of(await fetch(statement("zones-with-rates", _zones_sql), []))


async def load_zones_and_tax_rates(country_code: str, province_code: str = "") -> tuple[list[Zone], list[Rate]]:
    """`load_zones()` and the built-in tax rates of the country and province
    (`commerce.checkout.taxes.rates_for`), in one statement: what pricing a cart that ships reads."""
    rows = await fetch(statement("zones-and-tax-rates", _zones_and_tax_sql), [country_code, "", province_code])
    taxes = [model_of(TaxRate, row, "t") for row in rows if row["kind"] == "t"]
    return (_zones_of([row for row in rows if row["kind"] == "z"]),
            [Rate(t.title, Decimal(t.rate), t.applies_to_shipping) for t in taxes])
