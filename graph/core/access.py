"""The caller of a request, resolved once from `Authorization: Bearer …`."""

from __future__ import annotations

from commerce import access, throttle
from commerce.access import Caller, Scope
from graph.core import forwarded
from graph.core.context import Info

__all__ = ["caller", "client_address", "require_scope", "require_customer"]


def client_address(info: Info) -> str:
    """The TCP peer, or the client a trusted proxy names in `X-Forwarded-For`, as throttles
    count it: an IPv6 client by its /64 (graph.core.forwarded)."""
    request = info.context.request
    client = getattr(request, "client", None)
    headers = getattr(request, "headers", None)
    forwarded_for = headers.getlist("x-forwarded-for") if headers is not None else []
    return forwarded.counted_as(forwarded.client_address(client.host if client else None, forwarded_for,
                                                         info.context.settings.trusted_proxies))


async def caller(info: Info) -> Caller:
    """The request's caller; an invalid token is a top-level UNAUTHENTICATED error.

    A valid token or key always authenticates. Only refused ones are counted
    per client address; once an address has used up its allowance, its next
    refused tokens answer RATE_LIMITED instead of UNAUTHENTICATED. Guessing is
    slowed without anyone sharing that address (a NAT, a load balancer) being
    locked out.
    """
    context = info.context
    if context.caller is None:
        header = context.request.headers.get("authorization", "") if context.request is not None else ""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        header = header or str(params.get("Authorization") or params.get("authorization") or "")
        if not header:
            context.caller = access.GUEST
            return context.caller
        scheme, _, token = header.partition(" ")
        try:
            if scheme.lower() != "bearer" or not token.strip():
                raise access.AccessDenied("UNAUTHENTICATED", "Use `Authorization: Bearer <token>`.")
            context.caller = await access.authenticate(token.strip())
        except access.AccessDenied:
            address = client_address(info)
            await throttle.BAD_CREDENTIALS.check(address)
            await throttle.BAD_CREDENTIALS.record(address)
            raise
    return context.caller


async def require_scope(info: Info, scope: Scope) -> Caller:
    """The caller, if it holds `scope`; UNAUTHENTICATED or FORBIDDEN otherwise."""
    who = await caller(info)
    access.require_scope(who, scope)
    return who


async def require_customer(info: Info) -> int:
    return access.require_customer(await caller(info))
