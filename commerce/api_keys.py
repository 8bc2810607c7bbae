"""API keys for staff and partners: made once, stored hashed, revocable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from commerce.access import API_KEY_PREFIX, Scope, hash_secret, new_secret
from models import ApiKey

__all__ = ["NewApiKey", "create_api_key", "list_api_keys", "revoke_api_key"]


@dataclass(frozen=True)
class NewApiKey:
    key: str  # the secret itself: shown once, never stored
    record: ApiKey


async def create_api_key(name: str, scopes: list[str]) -> NewApiKey:
    known = {scope.value for scope in Scope}
    unknown = sorted(set(scopes) - known)
    if unknown or not scopes:
        raise ValueError(f"scopes must be among {sorted(known)}; got {unknown or 'none'}")
    if not name.strip() or len(name) > 100:
        raise ValueError("a name of 1 to 100 characters is required")
    key = new_secret(API_KEY_PREFIX)
    record = await ApiKey.create(
        name=name.strip(), prefix=key[:12], key_hash=hash_secret(key), scopes=" ".join(sorted(set(scopes)))
    )
    return NewApiKey(key=key, record=record)


async def list_api_keys() -> list[ApiKey]:
    return await ApiKey.all().order_by("id")


async def revoke_api_key(key_id: int) -> bool:
    return bool(await ApiKey.filter(id=key_id, revoked_at=None).update(revoked_at=datetime.now(timezone.utc)))
