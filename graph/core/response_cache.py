"""A cache of anonymous catalog answers, emptied whenever the catalog may have changed.

Only queries whose root fields are all catalog reads (`products`, `product`)
and that carry no credentials are cached, as the response bytes, keyed by the
exact request (query string or body), so a repeat is answered before any
GraphQL work. The server empties the cache on
every catalog or order notice (prices, stock, and stock moved by checkouts),
whichever process made the change. An answer computed while a notice
arrived is not stored, so a read that raced a change cannot outlive it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, FieldNode, OperationDefinitionNode, OperationType

__all__ = ["CATALOG_FIELDS", "CachedResponse", "ResponseCache", "catalog_only"]

CATALOG_FIELDS = frozenset({"products", "product", "__typename"})


def catalog_only(document: DocumentNode | None, operation_name: str | None) -> bool:
    """True when the operation is a query that reads nothing but the catalog."""
    if document is None:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        return False
    selections = operations[0].selection_set.selections
    return all(isinstance(s, FieldNode) and s.name.value in CATALOG_FIELDS and not s.directives for s in selections)


@dataclass(frozen=True)
class CachedResponse:
    body: bytes
    etag: str
    content_type: str
    operation: str | None = None  # the operation's name, for the request log and metrics

    @classmethod
    def of(cls, response: Any, operation: str | None = None) -> "CachedResponse":
        return cls(bytes(response.body), response.headers["etag"], response.headers["content-type"], operation)


class ResponseCache:
    def __init__(self, max_entries: int = 1000) -> None:
        self.max_entries = max_entries
        self.generation = 0
        self._entries: OrderedDict[str, CachedResponse] = OrderedDict()

    def get(self, key: str) -> CachedResponse | None:
        data = self._entries.get(key)
        if data is not None:
            self._entries.move_to_end(key)
        return data

    def put(self, key: str, response: CachedResponse, generation: int) -> None:
        """Stores `response`, computed when the cache was at `generation`, unless it has been emptied since."""
        if generation != self.generation:
            return
        self._entries[key] = response
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def invalidate(self, *_: object) -> None:
        self.generation += 1
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
