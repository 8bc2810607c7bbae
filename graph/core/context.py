"""The per-request context: the request, the settings, the payment gateway and fresh DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry

from commerce.access import Caller
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


Info = strawberry.Info[Context, None]
