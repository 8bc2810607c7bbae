"""Translated catalog text: one row per (resource, language, key).

A resource is a product or a collection (`resource_kind`, `resource_id`); the
keys a resource takes are listed in `commerce.catalog.translations`. Text in
the shop's own language stays on the resource itself; a row here only says
what to show instead in another language.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Translation(Model):
    """Translated catalog text: one row per (resource, language, key)."""

    id = fields.IntField(primary_key=True)
    resource_kind = fields.CharField(max_length=20)  # "product" or "collection"
    resource_id = fields.IntField()
    language = fields.CharField(max_length=2)  # ISO 639-1, upper-case ("DE")
    key = fields.CharField(max_length=250)  # "title", "description", "option:Size", "value:Size:M"
    value = fields.TextField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "translation"
        unique_together = (("resource_kind", "resource_id", "language", "key"),)
        # The read path asks for every key of a page of resources in one language.
        indexes = (("resource_kind", "language", "resource_id"),)
