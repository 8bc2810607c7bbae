"""API keys for staff and partners: made once, stored hashed, revocable, may expire.

A key owns its webhook subscriptions: revoking it disables them in the same
transaction (KEY_REVOKED), and a key past its `expires_at` no longer
authenticates and its subscriptions are disabled (KEY_EXPIRED) by the
outbound worker's next pass, before anything more is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from commerce.access import API_KEY_PREFIX, Scope, hash_secret, new_secret
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.outbound.subscription_status import disable
from models import ApiKey, SubscriptionDisabledReason

__all__ = ["NewApiKey", "create_api_key", "list_api_keys", "revoke_api_key"]


@dataclass(frozen=True)
class NewApiKey:
    key: str  # the secret itself: shown once, never stored
    record: ApiKey


def _checked(name: str, scopes: list[str], expires_at: datetime | None, granter: frozenset[str] | None) -> str:
    known = {scope.value for scope in Scope}
    unknown = sorted(set(scopes) - known)
    if unknown or not scopes:
        raise DomainError(Code.INVALID, f"scopes must be among {sorted(known)}; got {unknown or 'none'}", ["scopes"])
    if granter is not None and not set(scopes) <= granter:
        raise DomainError(Code.FORBIDDEN, "A key can only grant scopes it holds itself.", ["scopes"])
    if not name.strip() or len(name) > 100 or not name.isprintable():
        raise DomainError(Code.INVALID, "a name of 1 to 100 printable characters is required", ["name"])
    if expires_at is not None and expires_at <= datetime.now(timezone.utc):
        raise DomainError(Code.INVALID, "expiresAt must be in the future", ["expiresAt"])
    return name.strip()


async def create_api_key(name: str, scopes: list[str], expires_at: datetime | None = None,
                         *, granter: frozenset[str] | None = None) -> NewApiKey:
    """A new key with `scopes` (when made through the API, only scopes `granter` holds)."""
    if expires_at is not None and expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=timezone.utc)
    name = _checked(name, scopes, expires_at, granter)
    key = new_secret(API_KEY_PREFIX)
    record = await ApiKey.create(
        name=name, prefix=key[:12], key_hash=hash_secret(key), scopes=" ".join(sorted(set(scopes))),
        expires_at=expires_at,
    )
    return NewApiKey(key=key, record=record)


async def list_api_keys() -> list[ApiKey]:
    return await ApiKey.all().order_by("id")


async def revoke_api_key(key_id: int) -> ApiKey | None:
    """Revokes the key and disables its webhook subscriptions, in one transaction;
    None when there is no such key not yet revoked."""
    now = datetime.now(timezone.utc)
    async with in_transaction():
        if not await ApiKey.filter(id=key_id, revoked_at=None).update(revoked_at=now):
            return None
        await disable(Q(api_key_id=key_id), SubscriptionDisabledReason.KEY_REVOKED, now)
        return await ApiKey.get(id=key_id)
