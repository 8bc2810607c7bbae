"""Who is calling, and what they may do.

A caller is a guest, a signed-in customer (session token) or an API key with
scopes. Guests reach a cart or an order only by its unguessable id, and only
when it belongs to no customer; a customer reaches their own; API keys reach
what their scopes allow. Tokens and keys are random and stored as SHA-256
hashes; an unknown, revoked or expired one is refused, never taken as a guest.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum

from models import ApiKey, Cart, CustomerSession, Order

__all__ = [
    "Scope", "Caller", "GUEST", "AccessDenied", "hash_secret", "new_secret", "authenticate",
    "require_scope", "require_customer", "can_use_cart", "can_read_order",
]

SESSION_PREFIX = "sgc_"
API_KEY_PREFIX = "sgk_"


class Scope(str, Enum):
    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    CATALOG_WRITE = "catalog:write"
    SHOP_WRITE = "shop:write"  # shipping zones, tax rates, discount codes
    WEBHOOKS_WRITE = "webhooks:write"
    KEYS_WRITE = "keys:write"  # make and revoke API keys; see and delete any key's webhook subscriptions


@dataclass(frozen=True)
class Caller:
    customer_id: int | None = None
    api_key_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_guest(self) -> bool:
        return self.customer_id is None and self.api_key_id is None


GUEST = Caller()


class AccessDenied(Exception):
    """`UNAUTHENTICATED` (no valid credentials) or `FORBIDDEN` (valid, not enough)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def hash_secret(secret: str) -> str:
    """Tokens and keys carry 256 random bits, so a plain SHA-256 is a safe lookup hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


async def authenticate(token: str | None, now: datetime | None = None) -> Caller:
    """The caller a bearer token names; GUEST with no token."""
    if not token:
        return GUEST
    now = now or datetime.now(timezone.utc)
    digest = hash_secret(token)
    if token.startswith(API_KEY_PREFIX):
        key = await ApiKey.get_or_none(key_hash=digest, revoked_at=None)
        if key is not None and (key.expires_at is None or key.expires_at > now):
            await ApiKey.filter(id=key.id).update(last_used_at=now)
            return Caller(api_key_id=key.id, scopes=frozenset(key.scopes.split()))
    elif token.startswith(SESSION_PREFIX):
        session = await CustomerSession.get_or_none(token_hash=digest, revoked_at=None, expires_at__gt=now)
        if session is not None:
            return Caller(customer_id=session.customer_id)
    raise AccessDenied("UNAUTHENTICATED", "This token or API key is not valid (unknown, revoked or expired).")


def require_scope(caller: Caller, scope: Scope) -> None:
    if caller.is_guest:
        raise AccessDenied("UNAUTHENTICATED", f"An API key with the {scope.value} scope is required.")
    if scope.value not in caller.scopes:
        raise AccessDenied("FORBIDDEN", f"This needs the {scope.value} scope.")


def require_customer(caller: Caller) -> int:
    if caller.customer_id is None:
        raise AccessDenied("UNAUTHENTICATED", "Sign in first.")
    return caller.customer_id


def can_use_cart(caller: Caller, cart: Cart) -> bool:
    """A guest cart is anyone's who holds its id; a customer's cart is theirs alone."""
    return cart.customer_id is None or cart.customer_id == caller.customer_id


def can_read_order(caller: Caller, order: Order) -> bool:
    if Scope.ORDERS_READ.value in caller.scopes:
        return True
    if caller.api_key_id is not None:
        return False
    return order.customer_id is None or order.customer_id == caller.customer_id
