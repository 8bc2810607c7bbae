"""Errors the API shows: `userErrors` data, and top-level errors with a code.

Expected refusals are data (`UserError` in a payload): a mutation declared
with `mutation(...)` raises `DomainError` and `DomainErrorsToUserErrors` turns
it into the payload's `userErrors`, once for every mutation. Malformed requests
and missing permissions are top-level GraphQL errors whose
`extensions.code` is one GraphQL clients know. Anything unexpected is masked:
the client sees `INTERNAL_SERVER_ERROR` and a request id, the log has the rest.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import FieldExtension, SchemaExtension

from commerce.access import AccessDenied
from commerce.throttle import RateLimited
from commerce.errors import DomainError, UserErrorCode as _UserErrorCode

__all__ = [
    "UserError",
    "UserErrorCode",
    "ErrorCodes",
    "DomainErrorsToUserErrors",
    "mutation",
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


def _refusal_fields(payload: type) -> dict[str, None]:
    """The fields of `payload` that have no default: null when it answers a refusal."""
    if not dataclasses.is_dataclass(payload) or "user_errors" not in {f.name for f in dataclasses.fields(payload)}:
        raise TypeError(f"{payload!r} is not a payload with `user_errors`")
    return {
        f.name: None for f in dataclasses.fields(payload)
        if f.init and f.name != "user_errors"
        and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


class DomainErrorsToUserErrors(FieldExtension):
    """A `DomainError` out of the mutation becomes its payload's `userErrors`; the payload's other
    fields keep their defaults, null when they have none.

    The mutation's body holds only its own work: it raises the refusal, this maps
    it, as Saleor's `BaseMutation` does. A mutation that must act on a refusal
    first (count it, change its path) catches it and raises it again.
    """

    def apply(self, field: Any) -> None:
        self.payload = field.type
        self.empty = _refusal_fields(self.payload)  # a mutation that is not a payload fails at schema build

    async def resolve_async(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except DomainError as error:
            return self.payload(**self.empty, user_errors=user_errors(error))


def mutation(*, description: str, **options: Any) -> Any:
    """`strawberry.mutation` whose `DomainError` is answered as the payload's `userErrors`."""
    return strawberry.mutation(description=description, extensions=[DomainErrorsToUserErrors()], **options)


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
