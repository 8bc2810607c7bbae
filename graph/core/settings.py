"""The few settings the schema reads, as it sees them: `info.context.settings`.

The application (`shopgraph.app`) loads the settings from the environment and hands
them to the GraphQL endpoint, which puts them in every request's context, so nothing
in `graph/` reads the environment or imports the application. Any object with these
attributes will do; the application's own settings object is one.
"""

from __future__ import annotations

from typing import Protocol

from graph.core.forwarded import IPNetwork

__all__ = ["GraphSettings"]


class GraphSettings(Protocol):
    @property
    def currency(self) -> str:
        """The shop currency, an ISO 4217 code such as "USD"."""

    @property
    def language(self) -> str:
        """The shop's own language, an ISO 639-1 code such as "EN": what untranslated text is in."""

    @property
    def prices_include_tax(self) -> bool:
        """Whether catalog prices contain the tax of the shopper's country."""

    @property
    def capture_method(self) -> str:
        """"automatic", or "manual": checkouts authorise and `orderCapture` takes the money."""

    @property
    def trusted_proxies(self) -> tuple[IPNetwork, ...]:
        """Peers whose `X-Forwarded-For` names the client."""

    @property
    def webhooks_allow_private(self) -> bool:
        """Whether partner webhooks may use http:// and private addresses (local use)."""
