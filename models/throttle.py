from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class RateLimitHit(Model):
    """One counted attempt (a login, a refused token) from a client address, on PostgreSQL,
    so every server process counts the same attempts."""

    id = fields.BigIntField(primary_key=True)
    bucket = fields.CharField(max_length=160)  # "<limit name>:<client address>"
    hit_at = fields.FloatField()  # unix seconds

    class Meta:
        table = "rate_limit_hit"
        indexes = (("bucket", "hit_at"),)
