"""The market book (commerce.markets.markets.MarketBook): what it keeps, and what it must not."""

from __future__ import annotations

import asyncio

from commerce.markets import markets as market_module
from commerce.markets.markets import MarketBook


async def test_a_read_that_began_before_a_change_is_not_kept(monkeypatch):
    """A read still in flight when staff change a market may hold the old market: the book must not keep it
    for its 10 s, or the process that made the change would show the old one ("at once" is the promise)."""
    reads: list[int] = []
    in_flight = asyncio.Event()

    async def read_markets(currency: str, language: str):
        reads.append(len(reads))
        if len(reads) == 1:
            await in_flight.wait()
            return "before the change"
        return "after the change"

    monkeypatch.setattr(market_module, "read_markets", read_markets)
    book = MarketBook("USD", "EN", ttl=3600)
    early = asyncio.create_task(book.markets())
    await asyncio.sleep(0)
    book.forget()  # what a marketUpdate in this process does once it has committed
    in_flight.set()
    assert await early == "before the change"  # the request that asked first got what it read
    assert await book.markets() == "after the change"
    assert await book.markets() == "after the change" and len(reads) == 2  # and that is kept
