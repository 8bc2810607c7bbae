from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Customer(Model):
    """A shopper with an account. The password is kept only as a slow salted hash."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "customer"


class CustomerSession(Model):
    """A signed-in session. Only the SHA-256 of its token is stored."""

    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "shop.Customer", related_name="sessions", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "customer_session"


class ApiKey(Model):
    """A staff or partner key with scopes. Only the SHA-256 of the key is stored."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    prefix = fields.CharField(max_length=16)
    key_hash = fields.CharField(max_length=64, unique=True)
    scopes = fields.CharField(max_length=255)  # space-separated, e.g. "orders:read orders:write"
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True)  # None: until revoked

    class Meta:
        table = "api_key"
