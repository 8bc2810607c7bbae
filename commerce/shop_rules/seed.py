"""The demo shop rules: shipping zones, standard tax rates and the WELCOME10 code.

Zones: the US, Canada, the EU (its member states as `python-stdnum` lists them)
and the rest of the world. Tax rates are the standard rates of a few US states
(state level only), Canada (GST, plus the provinces' own sales taxes; Ontario's
HST appears as GST plus its provincial part) and EU countries (VAT).
"""

from __future__ import annotations

from decimal import Decimal

from stdnum.eu.vat import MEMBER_STATES
from tortoise.transactions import in_transaction

from commerce.shop_rules.tax_rates import set_tax_rate
from commerce.shop_rules.zones import RateInput, ZoneInput, create_zone
from commerce.shop_rules.discount_codes import DiscountInput, create_discount
from models import DiscountCode, DiscountKind, ShippingZone

__all__ = ["seed_shop_rules", "EU_COUNTRIES"]

# stdnum names Greece by its VAT prefix (EL) and lists Northern Ireland (XI) for VAT purposes.
EU_COUNTRIES = sorted({"GR" if c == "el" else c.upper() for c in MEMBER_STATES if c != "xi"})

_ZONES = [
    ZoneInput("United States", ["US"], [
        RateInput("standard", "Standard", Decimal("6.90"), max_subtotal=Decimal("74.99"), min_delivery_days=3, max_delivery_days=5),
        RateInput("free-standard", "Free standard (orders from $75)", Decimal("0"), min_subtotal=Decimal("75"),
                  min_delivery_days=3, max_delivery_days=5),
        RateInput("express", "Express", Decimal("19.00"), max_weight_grams=20_000, min_delivery_days=1, max_delivery_days=2),
    ]),
    ZoneInput("Canada", ["CA"], [
        RateInput("standard", "Standard", Decimal("12.00"), min_delivery_days=4, max_delivery_days=8),
        RateInput("express", "Express", Decimal("29.00"), max_weight_grams=20_000, min_delivery_days=2, max_delivery_days=3),
    ]),
    ZoneInput("European Union", EU_COUNTRIES, [
        RateInput("standard", "Standard", Decimal("14.00"), min_delivery_days=5, max_delivery_days=9),
        RateInput("express", "Express", Decimal("34.00"), max_weight_grams=20_000, min_delivery_days=2, max_delivery_days=4),
    ]),
    ZoneInput("Rest of world", ["*"], [
        RateInput("international", "International", Decimal("24.00"), min_delivery_days=7, max_delivery_days=21),
    ]),
]
# (country, province, standard rate %, title, applies to shipping)
_TAXES = [
    ("US", "CA", "7.25", "California sales tax", False),
    ("US", "NY", "4", "New York sales tax", True),
    ("US", "TX", "6.25", "Texas sales tax", True),
    ("US", "WA", "6.5", "Washington sales tax", True),
    ("US", "IL", "6.25", "Illinois sales tax", False),
    ("CA", "", "5", "GST", True),
    ("CA", "BC", "7", "PST", False),
    ("CA", "QC", "9.975", "QST", True),
    ("CA", "MB", "7", "RST", False),
    ("CA", "SK", "6", "PST", False),
    ("CA", "ON", "8", "HST (Ontario part)", True),
    ("DE", "", "19", "MwSt.", True),
    ("FR", "", "20", "TVA", True),
    ("NL", "", "21", "btw", True),
    ("IT", "", "22", "IVA", True),
    ("ES", "", "21", "IVA", True),
    ("IE", "", "23", "VAT", True),
    ("SE", "", "25", "Moms", True),
    ("FI", "", "25.5", "ALV", True),
]


async def seed_shop_rules(currency: str) -> int:
    """Creates the zones and codes that are missing (by name, by code) and sets the tax rates;
    returns how many zones and codes it created."""
    created = 0
    async with in_transaction():
        for zone in _ZONES:
            if not await ShippingZone.exists(name=zone.name):
                await create_zone(zone, currency)
                created += 1
        for country, province, rate, title, shipping in _TAXES:
            await set_tax_rate(country, province, Decimal(rate), title, shipping)
        if not await DiscountCode.exists(code="WELCOME10"):
            await create_discount(DiscountInput("WELCOME10", DiscountKind.PERCENTAGE, Decimal("10")), currency)
            created += 1
    return created
