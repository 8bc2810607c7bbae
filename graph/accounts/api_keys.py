"""API keys managed through the API by staff (keys:write): listed, made, revoked.

Revoking a key disables its webhook subscriptions in the same transaction
(`shopgraph apikey revoke` does the same, through the same function).
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from commerce import api_keys
from commerce.access import Scope
from commerce.errors import DomainError, UserErrorCode as Code
from graph.core.access import require_scope
from graph.core.context import Info
from graph.core.errors import UserError, mutation
from graph.core.ids import int_key, to_global_id
from models import ApiKey as ApiKeyModel

__all__ = ["ApiKeyQuery", "ApiKeyMutation"]


@strawberry.type(description="A staff or partner key. The key itself is shown once, when it is made.")
class ApiKey:
    id: strawberry.ID
    name: str
    prefix: str = strawberry.field(description="The key's first characters, to recognise it.")
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None = strawberry.field(description="After this it no longer works; null: until revoked.")

    @classmethod
    def from_model(cls, model: ApiKeyModel) -> "ApiKey":
        return cls(id=strawberry.ID(to_global_id("ApiKey", model.id)), name=model.name, prefix=model.prefix,
                   scopes=model.scopes.split(), created_at=model.created_at, last_used_at=model.last_used_at,
                   revoked_at=model.revoked_at, expires_at=model.expires_at)


@strawberry.type
class ApiKeyCreatePayload:
    api_key: ApiKey | None
    key: str | None = strawberry.field(description="The key. Shown this once: keep it now.")
    user_errors: list[UserError]


@strawberry.type
class ApiKeyRevokePayload:
    api_key: ApiKey | None
    user_errors: list[UserError]


@strawberry.type
class ApiKeyQuery:
    @strawberry.field(description="Every API key, revoked ones included (keys:write).")
    async def api_keys(self, info: Info) -> list[ApiKey]:
        await require_scope(info, Scope.KEYS_WRITE)
        return [ApiKey.from_model(m) for m in await api_keys.list_api_keys()]


@strawberry.type
class ApiKeyMutation:
    @mutation(description="Makes a key with some of the caller's own scopes (keys:write).")
    async def api_key_create(self, info: Info, name: str, scopes: list[str],
                             expires_at: datetime | None = None) -> ApiKeyCreatePayload:
        who = await require_scope(info, Scope.KEYS_WRITE)
        made = await api_keys.create_api_key(name, scopes, expires_at, granter=who.scopes)
        return ApiKeyCreatePayload(api_key=ApiKey.from_model(made.record), key=made.key, user_errors=[])

    @mutation(description="Revokes a key and disables its webhook subscriptions (KEY_REVOKED), "
                         "in one transaction (keys:write).")
    async def api_key_revoke(self, info: Info, id: strawberry.ID) -> ApiKeyRevokePayload:
        await require_scope(info, Scope.KEYS_WRITE)
        key_id = int_key(id, "ApiKey")
        revoked = None if key_id is None else await api_keys.revoke_api_key(key_id)
        if revoked is None:
            raise DomainError(Code.NOT_FOUND, "No API key with this id that is not revoked yet.", ["id"])
        return ApiKeyRevokePayload(api_key=ApiKey.from_model(revoked), user_errors=[])
