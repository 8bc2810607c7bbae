"""The machinery every domain of the schema shares: the HTTP endpoint (`http`),
request bodies read with a cap (`bodies`), who is calling (`forwarded`, `access`),
the per-request context and its DataLoaders (`context`, `dataloaders`), the
errors the API shows and the mapping of refusals into `userErrors` (`errors`),
query limits (`limits`), the id and cursor codec (`ids`), the generic connection
and its arguments (`pagination`), cursors of the change feed
(`event_cursors`), the `Node` interface (`node`), the shop's scalars and `Money`
(`scalars`, `money`), persisted queries (`persisted`), the catalog's response cache
(`response_cache`) and the settings it reads from the context (`settings`)."""

__all__ = [
    "access", "bodies", "context", "dataloaders", "errors", "event_cursors", "forwarded", "http",
    "ids", "limits", "money", "node", "pagination", "persisted", "response_cache", "scalars",
    "settings",
]
