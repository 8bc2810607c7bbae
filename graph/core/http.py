"""The GraphQL HTTP endpoint: Strawberry's view, speaking GraphQL-over-HTTP.

- Requests that cannot be read (no body, not JSON, too large, wrong method)
  answer a JSON `errors` body with `extensions.code`, never plain text.
- A client that accepts `application/graphql-response+json` gets that media
  type, and a 4xx status when the request could not execute at all.
- Automatic persisted queries (`extensions.persistedQuery`), over POST and GET.
- The cost of an operation is checked against its variables before it runs.
- Anonymous catalog reads carry an `ETag` (`If-None-Match` with it answers
  304), and repeats of the same request bytes are answered from the response
  cache before any GraphQL work.
- The request's state names the operation (its name, or its first field's
  when it has none) and its outcome (`ok`, `errors`,
  `rejected`, `internal_error`, `cached`) for the request log and metrics.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import DocumentNode, FieldNode, OperationDefinitionNode
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult

from commerce.markets.markets import MarketBook
from graph.core import limits as query_limits
from graph.core.bodies import BodyTooLarge, read_capped_body
from graph.core.context import Context
from graph.core.errors import classify
from graph.core.persisted import PersistedQueries, PersistedQueryMismatch, PersistedQueryNotFound
from graph.core.response_cache import CachedResponse, ResponseCache, catalog_only
from graph.core.settings import GraphSettings
from payments.gateway import PaymentGateway

__all__ = ["GraphQLView"]

GRAPHQL_RESPONSE = "application/graphql-response+json"
_REQUEST_ERRORS = {
    "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT", "BAD_REQUEST",
    "QUERY_TOO_DEEP", "QUERY_TOO_COSTLY", "TOO_MANY_ALIASES", "TOO_MANY_TOKENS", "PERSISTED_QUERY_NOT_FOUND",
}
CATALOG_CACHE_CONTROL = "public, no-cache"  # store, but ask again each time: the ETag makes that cheap


def _wants_graphql_response(request: Request) -> bool:
    return GRAPHQL_RESPONSE in request.headers.get("accept", "")


def _error_response(request: Request, message: str, code: str, status: int) -> JSONResponse:
    response = JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status)
    if _wants_graphql_response(request):
        response.headers["content-type"] = GRAPHQL_RESPONSE
    return response


class GraphQLView(GraphQL):
    def __init__(
        self,
        schema: Any,
        settings: GraphSettings,
        gateway: PaymentGateway,
        bus: Any,
        *,
        limits: query_limits.Limits,
        response_cache: ResponseCache | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(schema, **kwargs)
        self.settings = settings
        self.gateway = gateway
        self.bus = bus
        self.limits = limits
        self.response_cache = response_cache
        self.persisted = PersistedQueries()
        self.markets = MarketBook(settings.currency, getattr(settings, "language", "EN"))

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)  # a page of products is ~1,000 values: several times faster than json

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    async def get_context(self, request: Any, response: Any) -> Context:
        return Context(request=request, response=response, settings=self.settings, gateway=self.gateway, bus=self.bus,
                       markets=self.markets)

    def should_render_graphql_ide(self, request: Any) -> bool:
        """GraphiQL for a browser's GET, not for a persisted query sent by its hash."""
        return "extensions" not in request.query_params and super().should_render_graphql_ide(request)

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        return self.persisted.resolve(data) if isinstance(data, GraphQLRequestData) else data

    async def execute_single(self, request: Any, request_adapter: Any, sub_response: Any, context: Context,
                             root_value: Any, request_data: GraphQLRequestData) -> ExecutionResult:
        query = request_data.query
        facts = _NO_DOCUMENT
        if isinstance(query, str):
            facts_of = _document_facts if len(query) <= _KEPT_QUERY_CHARS else _document_facts.__wrapped__
            facts = facts_of(query, self.limits.max_tokens, request_data.operation_name)
        if isinstance(request, Request):
            request.state.operation = request_data.operation_name or facts.operation
        if facts.document is not None:
            cost = facts.cost
            if cost is None:
                cost = query_limits.operation_cost(facts.document, request_data.operation_name, request_data.variables)
            if cost > self.limits.max_cost:
                return ExecutionResult(data=None, errors=[query_limits.cost_error(cost, self.limits)])

        if (
            isinstance(request, Request)
            and "authorization" not in request.headers
            and facts.catalog_only
        ):
            request.state.catalog_read = True
        return await super().execute_single(request, request_adapter, sub_response, context, root_value, request_data)

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        if result.errors:  # errors raised outside the operation (a cached parse) still get their code here
            result.errors = [classify(error) for error in result.errors]
        body = await super().process_result(request, result)
        if isinstance(request, Request):
            request.state.outcome = "ok"
        if isinstance(request, Request) and result.errors:
            request.state.had_errors = True
            codes = {(e.extensions or {}).get("code") for e in result.errors}
            request.state.outcome = "internal_error" if "INTERNAL_SERVER_ERROR" in codes else "errors"
            if result.data is None and codes & _REQUEST_ERRORS:
                request.state.failed_request = True
                request.state.outcome = "rejected"
        return body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        key = None
        try:
            if request.method == "POST":
                await read_capped_body(request, self.limits.max_body_bytes)
            key = self._cache_key(request)
            if key is not None:
                hit = self.response_cache.get(key)
                if hit is not None:
                    request.state.operation, request.state.outcome = hit.operation, "cached"
                    await _from_cache(request, hit)(scope, receive, send)
                    return
                generation = self.response_cache.generation
            response = await self.run(request)
        except BodyTooLarge as error:
            request.state.outcome = "rejected"
            response = _error_response(request, str(error), "PAYLOAD_TOO_LARGE", 413)
        except PersistedQueryNotFound:
            request.state.outcome = "rejected"
            response = _error_response(request, "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND", 200)
        except PersistedQueryMismatch as error:
            request.state.outcome = "rejected"
            response = _error_response(request, str(error), "BAD_REQUEST", 400)
        except HTTPException as error:
            request.state.outcome = "rejected"
            response = _error_response(request, error.reason, "BAD_REQUEST", error.status_code)
        else:
            _negotiate(request, response)
            response = _with_etag(request, response)
            if key is not None and _storable(request, response):
                self.response_cache.put(key, CachedResponse.of(response, getattr(request.state, "operation", None)), generation)
        await response(scope, receive, send)

    def _cache_key(self, request: Request) -> str | None:
        """The response cache's key for an anonymous request: its exact bytes."""
        if self.response_cache is None or "authorization" in request.headers:
            return None
        negotiated = "g" if _wants_graphql_response(request) else "j"
        if request.method == "GET":
            return f"{negotiated}G{request.url.query}"
        if request.method == "POST":
            return f"{negotiated}P{request._body.decode('utf-8', 'replace')}"
        return None


@dataclass(frozen=True, slots=True)
class _DocumentFacts:
    """What the view decides from a document alone, once per document and operation name."""

    document: DocumentNode | None
    operation: str | None  # `_operation_name`
    cost: int | None  # `fixed_cost`: None when the cost depends on the variables (or without a document)
    catalog_only: bool


_NO_DOCUMENT = _DocumentFacts(None, None, None, False)
# Facts are kept for documents up to this size (a shop's own documents are a few KB); a longer one,
# up to the 64 KB body limit, is read afresh each time, so odd documents cannot fill the memory.
_KEPT_QUERY_CHARS = 8 * 1024


@lru_cache(maxsize=512)
def _document_facts(query: str, max_tokens: int, operation_name: str | None) -> _DocumentFacts:
    document = query_limits.parsed(query, max_tokens)
    if document is None:
        return _NO_DOCUMENT
    return _DocumentFacts(document, _operation_name(document), query_limits.fixed_cost(document, operation_name),
                          catalog_only(document, operation_name))


def _operation_name(document: Any) -> str | None:
    """The name of the document's only operation or, when it has none, the name of its first field."""
    operations = [d for d in getattr(document, "definitions", ()) if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        return None
    if operations[0].name is not None:
        return operations[0].name.value
    fields = [s for s in operations[0].selection_set.selections if isinstance(s, FieldNode)]
    return fields[0].name.value if fields else None


def _negotiate(request: Request, response: Response) -> None:
    if not _wants_graphql_response(request) or response.media_type != "application/json":
        return
    response.headers["content-type"] = GRAPHQL_RESPONSE
    if getattr(request.state, "failed_request", False) and response.status_code == 200:
        response.status_code = 400


def _storable(request: Request, response: Response) -> bool:
    return (
        getattr(request.state, "catalog_read", False)
        and not getattr(request.state, "had_errors", False)
        and response.status_code == 200
        and "etag" in response.headers
    )


def _from_cache(request: Request, hit: CachedResponse) -> Response:
    headers = {"etag": hit.etag, "cache-control": CATALOG_CACHE_CONTROL, "vary": "Accept, Authorization"}
    if hit.etag in _wanted_tags(request):
        return Response(status_code=304, headers=headers)
    return Response(hit.body, status_code=200, headers={**headers, "content-type": hit.content_type})


def _wanted_tags(request: Request) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")}


def _with_etag(request: Request, response: Response) -> Response:
    """Anonymous catalog reads: an ETag of the body, and 304 when the client has it."""
    if not getattr(request.state, "catalog_read", False) or response.status_code != 200:
        return response
    etag = '"' + hashlib.sha256(response.body).hexdigest()[:32] + '"'
    response.headers["etag"] = etag
    response.headers["cache-control"] = CATALOG_CACHE_CONTROL
    response.headers["vary"] = "Accept, Authorization"
    if etag in _wanted_tags(request):
        return Response(status_code=304, headers={"etag": etag, "cache-control": CATALOG_CACHE_CONTROL,
                                                  "vary": "Accept, Authorization"})
    return response
