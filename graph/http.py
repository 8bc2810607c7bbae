"""The GraphQL HTTP endpoint: Strawberry's view, speaking GraphQL-over-HTTP.

- Requests that cannot be read (no body, not JSON, wrong method) answer a JSON
  `errors` body with `extensions.code`, never plain text.
- A client that accepts `application/graphql-response+json` gets that media
  type, and a 4xx status when the request could not execute at all.
"""

from __future__ import annotations

from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from graph.context import Context
from payments.gateway import PaymentGateway
from shopgraph.settings import Settings

__all__ = ["GraphQLView"]

GRAPHQL_RESPONSE = "application/graphql-response+json"
_REQUEST_ERRORS = {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT", "BAD_REQUEST"}


def _wants_graphql_response(request: Request) -> bool:
    return GRAPHQL_RESPONSE in request.headers.get("accept", "")


def _error_body(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


class GraphQLView(GraphQL):
    def __init__(self, schema: Any, settings: Settings, gateway: PaymentGateway, bus: Any, **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self.settings = settings
        self.gateway = gateway
        self.bus = bus

    async def get_context(self, request: Any, response: Any) -> Context:
        return Context(request=request, response=response, settings=self.settings, gateway=self.gateway, bus=self.bus)

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        body = await super().process_result(request, result)
        if isinstance(request, Request) and result.data is None and result.errors:
            codes = {(e.extensions or {}).get("code") for e in result.errors}
            if codes & _REQUEST_ERRORS:
                request.state.failed_request = True
        return body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as error:
            response = JSONResponse(_error_body(error.reason, "BAD_REQUEST"), status_code=error.status_code)
            if _wants_graphql_response(request):
                response.media_type = GRAPHQL_RESPONSE
                response.headers["content-type"] = GRAPHQL_RESPONSE
        else:
            _negotiate(request, response)
        await response(scope, receive, send)


def _negotiate(request: Request, response: Response) -> None:
    if not _wants_graphql_response(request) or response.media_type != "application/json":
        return
    response.headers["content-type"] = GRAPHQL_RESPONSE
    if getattr(request.state, "failed_request", False) and response.status_code == 200:
        response.status_code = 400


