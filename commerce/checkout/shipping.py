"""Delivery options: the rates of the zone of a country that fit the cart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["RestOfWorld", "DeliveryRate", "Zone", "zone_for", "delivery_options"]

RestOfWorld = "*"


@dataclass(frozen=True)
class DeliveryRate:
    handle: str
    title: str
    price: int
    min_subtotal: int | None = None
    max_subtotal: int | None = None
    min_weight_grams: int | None = None
    max_weight_grams: int | None = None
    min_delivery_days: int | None = None
    max_delivery_days: int | None = None

    def fits(self, subtotal: int, weight_grams: int) -> bool:
        """The bounds are inclusive; a bound left out does not limit."""
        return (
            (self.min_subtotal is None or subtotal >= self.min_subtotal)
            and (self.max_subtotal is None or subtotal <= self.max_subtotal)
            and (self.min_weight_grams is None or weight_grams >= self.min_weight_grams)
            and (self.max_weight_grams is None or weight_grams <= self.max_weight_grams)
        )


@dataclass(frozen=True)
class Zone:
    name: str
    countries: frozenset[str]
    rates: Sequence[DeliveryRate]


def zone_for(zones: Sequence[Zone], country_code: str) -> Zone | None:
    """The zone naming the country, else the rest-of-the-world zone, else none."""
    for zone in zones:
        if country_code in zone.countries:
            return zone
    return next((zone for zone in zones if RestOfWorld in zone.countries), None)


def delivery_options(zones: Sequence[Zone], country_code: str, subtotal: int, weight_grams: int) -> list[DeliveryRate]:
    """The rates that fit, cheapest first. `subtotal` is after line discounts."""
    zone = zone_for(zones, country_code)
    if zone is None:
        return []
    fitting = [rate for rate in zone.rates if rate.fits(subtotal, weight_grams)]
    return sorted(fitting, key=lambda rate: (rate.price, rate.handle))
