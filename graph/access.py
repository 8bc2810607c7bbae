"""The caller of a request, resolved once from `Authorization: Bearer …`."""

from __future__ import annotations

from commerce import access
from commerce.access import Caller, Scope
from graph.context import Info

__all__ = ["caller", "require_scope", "require_customer"]


async def caller(info: Info) -> Caller:
    """The request's caller; an invalid token is a top-level UNAUTHENTICATED error."""
    context = info.context
    if context.caller is None:
        header = context.request.headers.get("authorization", "") if context.request is not None else ""
        scheme, _, token = header.partition(" ")
        bearer = token.strip() if scheme.lower() == "bearer" else None
        if header and bearer is None:
            raise access.AccessDenied("UNAUTHENTICATED", "Use `Authorization: Bearer <token>`.")
        context.caller = await access.authenticate(bearer)
    return context.caller


async def require_scope(info: Info, scope: Scope) -> Caller:
    """The caller, if it holds `scope`; UNAUTHENTICATED or FORBIDDEN otherwise."""
    who = await caller(info)
    access.require_scope(who, scope)
    return who


async def require_customer(info: Info) -> int:
    return access.require_customer(await caller(info))
