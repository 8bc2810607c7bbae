"""The countries a shop delivers to, with the provinces an address may name.

A country is offered when one of the shipping zones names it; a zone for the
rest of the world (`*`) offers every ISO 3166-1 country. Provinces are the
top-level ISO 3166-2 subdivisions from `pycountry` (states, provinces, Länder),
coded as addresses take them: the part after the dash.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pycountry

from commerce.checkout.addresses import PROVINCE_REQUIRED, postal_code_required
from commerce.checkout.shipping import RestOfWorld
from models import ShippingZone

__all__ = ["Province", "ShippingCountry", "shipping_countries", "provinces_of"]


@dataclass(frozen=True)
class Province:
    code: str
    name: str


@dataclass(frozen=True)
class ShippingCountry:
    code: str
    name: str

    @property
    def province_required(self) -> bool:
        return self.code in PROVINCE_REQUIRED

    @property
    def postal_code_required(self) -> bool:
        return postal_code_required(self.code)


def _name(country) -> str:
    return getattr(country, "common_name", None) or country.name


def provinces_of(country_code: str) -> list[Province]:
    """The country's top-level subdivisions, by name."""
    subdivisions = pycountry.subdivisions.get(country_code=country_code) or []
    top = [Province(s.code.split("-", 1)[1], s.name) for s in subdivisions if s.parent_code is None]
    return sorted(top, key=lambda p: p.name)


def _countries(codes: Iterable[str]) -> list[ShippingCountry]:
    found = (pycountry.countries.get(alpha_2=code) for code in codes)
    return sorted((ShippingCountry(c.alpha_2, _name(c)) for c in found if c is not None), key=lambda c: c.name)


async def shipping_countries(only: Iterable[str] | None = None) -> list[ShippingCountry]:
    """The countries some shipping zone delivers to, by name; `only` keeps just those codes."""
    named: set[str] = set()
    for countries in await ShippingZone.all().values_list("countries", flat=True):
        named.update(countries)
    codes = {c.alpha_2 for c in pycountry.countries} if RestOfWorld in named else named - {RestOfWorld}
    if only is not None:
        codes &= {code.strip().upper() for code in only}
    return _countries(codes)
