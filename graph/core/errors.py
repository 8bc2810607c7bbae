"""Errors the API shows: `userErrors` data, and top-level errors with a code.

Expected refusals are data (`UserError` in a payload). Malformed requests
and missing permissions are top-level GraphQL errors whose
`extensions.code` is one GraphQL clients know. Anything unexpected is masked:
the client sees `INTERNAL_SERVER_ERROR` and a request id, the log has the rest.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from commerce.access import AccessDenied
from commerce.throttle import RateLimited
from commerce.errors import DomainError, UserErrorCode as _UserErrorCode

__all__ = [
    "UserError",
    "UserErrorCode",
    "ErrorCodes",
    "bad_user_input",
    "forbidden",
    "unauthenticated",
    "user_errors",
]

log = logging.getLogger("shopgraph.graph")

UserErrorCode = strawberry.enum(_UserErrorCode, description="Why a mutation refused its input.")


@strawberry.type(description="An input the mutation refused, with the path of the field at fault.")
class UserError:
    field: list[str] | None
    message: str
    code: UserErrorCode

    @classmethod
    def from_domain(cls, error: DomainError) -> "UserError":
        return cls(field=error.field, message=error.message, code=error.code)


def user_errors(error: DomainError) -> list[UserError]:
    return [UserError.from_domain(error)]


def _coded(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def bad_user_input(message: str) -> GraphQLError:
    """An argument out of range, a bad cursor or id."""
    return _coded(message, "BAD_USER_INPUT")


def forbidden(message: str = "You are not allowed to do this.") -> GraphQLError:
    return _coded(message, "FORBIDDEN")


def unauthenticated(message: str = "Sign in or send a valid API key.") -> GraphQLError:
    return _coded(message, "UNAUTHENTICATED")


def _is_deliberate(error: GraphQLError) -> bool:
    """Raised on purpose by our resolvers, or a request error from graphql-core."""
    original = error.original_error
    return original is None or isinstance(original, GraphQLError)


def _with_code(error: GraphQLError, code: str, message: str | None = None) -> GraphQLError:
    extensions = dict(error.extensions or {})
    extensions["code"] = code
    return GraphQLError(
        message if message is not None else error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


def classify(error: GraphQLError) -> GraphQLError:
    """Give `error` its `extensions.code`, masking anything unexpected."""
    if error.extensions and "code" in error.extensions and _is_deliberate(error):
        return error
    if isinstance(error, GraphQLSyntaxError) or error.message.startswith("Syntax Error"):
        if "tokens. Parsing aborted" in error.message:
            return _with_code(error, "TOO_MANY_TOKENS")
        return _with_code(error, "GRAPHQL_PARSE_FAILED")
    if error.original_error is None:
        if error.path is None and error.message.startswith("Variable '$"):
            return _with_code(error, "BAD_USER_INPUT")
        if error.path is None:
            return _with_code(error, "GRAPHQL_VALIDATION_FAILED")
        return _with_code(error, "INTERNAL_SERVER_ERROR")
    if isinstance(error.original_error, GraphQLError):
        return _with_code(error, "BAD_USER_INPUT")
    if isinstance(error.original_error, AccessDenied):
        return _with_code(error, error.original_error.code, error.original_error.message)
    if isinstance(error.original_error, RateLimited):
        limited = _with_code(error, "RATE_LIMITED", str(error.original_error))
        limited.extensions["retryAfter"] = int(error.original_error.retry_after) + 1
        return limited
    request_id = uuid.uuid4().hex
    log.error(
        "unexpected error in %s (request %s)",
        ".".join(str(p) for p in error.path or ()) or "operation",
        request_id,
        exc_info=(type(error.original_error), error.original_error, error.original_error.__traceback__),
    )
    masked = _with_code(error, "INTERNAL_SERVER_ERROR", "Internal server error.")
    masked.extensions["requestId"] = request_id
    return masked


class ErrorCodes(SchemaExtension):
    """Gives every error in a result its `extensions.code`; masks unexpected ones."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [classify(error) for error in errors]
