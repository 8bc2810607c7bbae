"""The per-request context: the request, the settings, the payment gateway, fresh DataLoaders,
and the buyer's context of `@inContext` (graph/core/in_context.py): `language`, `country` and the
`market` the country chooses (prices and currency)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry

from commerce.access import Caller
from commerce.markets.markets import MarketBook, MarketView
from graph.core.dataloaders import Loaders
from graph.core.settings import GraphSettings
from payments.gateway import PaymentGateway

__all__ = ["Context", "Info"]


@dataclass
class Context:
    request: Any
    response: Any
    settings: GraphSettings
    gateway: PaymentGateway
    loaders: Loaders = field(default_factory=Loaders)
    bus: Any = None  # shopgraph.notice_bus bus, for subscriptions
    caller: Caller | None = None  # resolved on first use by graph.core.access.caller
    connection_params: dict[str, Any] | None = None  # graphql-transport-ws connection_init payload
    language: str = ""  # ISO 639-1, upper-case: `@inContext(language:)`, else the shop's own language
    country: str | None = None  # ISO 3166-1 alpha-2 from `@inContext(country:)`
    markets: MarketBook | None = None  # the application's; a book of its own when not given
    market: MarketView | None = None  # the market `country` chooses; the shop's own without one

    def __post_init__(self) -> None:
        if not self.language:
            self.language = getattr(self.settings, "language", "EN")
        if self.markets is None:
            self.markets = MarketBook(self.settings.currency, getattr(self.settings, "language", "EN"))
        if self.market is None:
            self.market = self.markets.primary

    @property
    def translating(self) -> bool:
        """Whether this operation asks for a language other than the shop's (so translations are read)."""
        return self.language != getattr(self.settings, "language", "EN")


Info = strawberry.Info[Context, None]
