"""Demo markets for `shopgraph seed`: Europe in euros (German), Japan in yen, Canada in Canadian dollars.

Their exchange rates are examples against the US dollar, so they are made only for a shop in USD;
staff change them (`marketUpdate`) or set explicit prices (`productVariantPricesSet`).
"""

from __future__ import annotations

from commerce.markets.markets import MarketInput, create_market
from models import Market, Rounding

__all__ = ["seed_demo_markets"]

_DEMO = [
    MarketInput("europe", "Europe", ("AT", "BE", "DE", "ES", "FR", "IE", "IT", "NL", "PT"), "EUR", "DE", "0.92",
                Rounding.NINETY_NINE),
    MarketInput("japan", "Japan", ("JP",), "JPY", "JA", "151.37", Rounding.WHOLE),
    MarketInput("canada", "Canada", ("CA",), "CAD", "EN", "1.36", Rounding.NONE),
]


async def seed_demo_markets(shop_currency: str) -> int:
    """Creates the demo markets that are missing (by handle); how many it created."""
    if shop_currency != "USD":
        return 0
    created = 0
    for market in _DEMO:
        if not await Market.exists(handle=market.handle):
            await create_market(market, shop_currency)
            created += 1
    return created
