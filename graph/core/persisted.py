"""Automatic persisted queries (Apollo's `extensions.persistedQuery` protocol).

A client sends the SHA-256 of its query instead of the query. Unknown hashes
answer `PERSISTED_QUERY_NOT_FOUND`; the client then sends the query with its
hash once, and from then on the hash alone (also over GET, which caches well).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import replace
from typing import Any

from strawberry.http import GraphQLRequestData

__all__ = ["PersistedQueries", "PersistedQueryNotFound", "PersistedQueryMismatch"]


class PersistedQueryNotFound(Exception):
    pass


class PersistedQueryMismatch(Exception):
    pass


def _requested_hash(extensions: dict[str, Any] | None) -> str | None:
    persisted = (extensions or {}).get("persistedQuery")
    if not isinstance(persisted, dict):
        return None
    digest = persisted.get("sha256Hash")
    if persisted.get("version") != 1 or not isinstance(digest, str) or len(digest) != 64:
        raise PersistedQueryMismatch("`persistedQuery` needs version 1 and a sha256Hash of 64 hex digits.")
    return digest.lower()


class PersistedQueries:
    def __init__(self, max_entries: int = 1000) -> None:
        self.max_entries = max_entries
        self._queries: OrderedDict[str, str] = OrderedDict()

    def resolve(self, request: GraphQLRequestData) -> GraphQLRequestData:
        """The request with its query filled in from (or stored under) its hash."""
        digest = _requested_hash(request.extensions)
        if digest is None:
            return request
        if request.query is None:
            query = self._queries.get(digest)
            if query is None:
                raise PersistedQueryNotFound(digest)
            self._queries.move_to_end(digest)
            return replace(request, query=query)
        if hashlib.sha256(request.query.encode()).hexdigest() != digest:
            raise PersistedQueryMismatch("The query does not match its sha256Hash.")
        self._queries[digest] = request.query
        while len(self._queries) > self.max_entries:
            self._queries.popitem(last=False)
        return request
