"""Translated catalog text: what a product or collection says in another language.

A resource (a product or a collection) keeps its text in the shop's own
language; a translation says what to show instead in one other language, key by
key. The keys a resource takes:

- a product: `title`, `description`, `option:<option name>` (the option's name)
  and `value:<option name>:<value>` (one of its values), named by their text in
  the shop's language, e.g. `option:Size` and `value:Color:Navy`;
- a collection: `title`, `description`.

Keys name the original text rather than a row id, so they survive a product
update that replaces its options with the same names and values; a key whose
option or value is gone is simply not shown. Text without a translation is
shown in the shop's language (per field). Registering a product's translations
rewrites its search document in that language (commerce.catalog.search), in the
same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from tortoise.transactions import in_transaction

from commerce.catalog import search
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.languages import LANGUAGES
from commerce.outbound import notices
from commerce.text import check_text
from models import Collection, Product, ProductOption, Translation

__all__ = [
    "ResourceKind", "TranslationEntry", "MAX_ENTRIES", "MAX_VALUE_LENGTH", "option_key", "value_key",
    "register_translations", "remove_translations", "translations_of",
]

MAX_ENTRIES = 100  # keys per call
MAX_VALUE_LENGTH = {"description": 20_000}  # as long as the text it translates may be
DEFAULT_MAX_VALUE_LENGTH = 200  # titles and option names; values are at most 100 in the shop's language, too
MAX_KEY_LENGTH = 250


class ResourceKind(Enum):
    PRODUCT = "product"
    COLLECTION = "collection"


@dataclass(frozen=True)
class TranslationEntry:
    key: str
    value: str


def option_key(name: str) -> str:
    return f"option:{name}"


def value_key(name: str, value: str) -> str:
    return f"value:{name}:{value}"


async def _keys_of(kind: ResourceKind, resource_id: int) -> set[str]:
    """The keys this resource takes; NOT_FOUND when it does not exist."""
    model = Product if kind is ResourceKind.PRODUCT else Collection
    if not await model.exists(id=resource_id):
        raise DomainError.not_found(kind.value, "resourceId")
    keys = {"title", "description"}
    if kind is ResourceKind.PRODUCT:
        for name, values in await ProductOption.filter(product_id=resource_id).values_list("name", "values"):
            keys.add(option_key(name))
            keys.update(value_key(name, value) for value in values)
    return keys


def _check_language(language: str, shop_language: str) -> None:
    if language not in LANGUAGES:
        raise DomainError(Code.INVALID, "Not an ISO 639-1 language.", ["language"])
    if language == shop_language:
        raise DomainError(Code.INVALID, "This is the shop's own language: change the text itself.", ["language"])


def _check_entries(entries: Sequence[TranslationEntry], keys: set[str]) -> None:
    if not 1 <= len(entries) <= MAX_ENTRIES:
        raise DomainError(Code.INVALID, f"Give 1 to {MAX_ENTRIES} translations at a time.", ["translations"])
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = ("translations", str(index))
        if entry.key not in keys:
            raise DomainError(Code.INVALID, f"This resource has no translatable key {entry.key[:MAX_KEY_LENGTH]!r}.",
                              [*where, "key"])
        if entry.key in seen:
            raise DomainError(Code.INVALID, "A key is given once.", [*where, "key"])
        seen.add(entry.key)
        limit = MAX_VALUE_LENGTH.get(entry.key, DEFAULT_MAX_VALUE_LENGTH)
        check_text(entry.value, *where, "value", max_length=limit, multiline=entry.key == "description")
        if not entry.value.strip():
            raise DomainError(Code.INVALID, "A translation is not empty (remove it instead).", [*where, "value"])


async def register_translations(
    kind: ResourceKind, resource_id: int, language: str, entries: Sequence[TranslationEntry], shop_language: str,
) -> None:
    """Sets these translations of the resource (others of it stay); all or none."""
    _check_language(language, shop_language)
    keys = await _keys_of(kind, resource_id)
    _check_entries(entries, keys)
    given = {entry.key: entry.value.strip() for entry in entries}
    async with in_transaction():
        existing = {row.key: row for row in await Translation.filter(
            resource_kind=kind.value, resource_id=resource_id, language=language, key__in=list(given))}
        for key, value in given.items():
            if key in existing:
                if existing[key].value != value:
                    existing[key].value = value
                    await existing[key].save(update_fields=["value", "updated_at"])
            else:
                await Translation.create(resource_kind=kind.value, resource_id=resource_id, language=language,
                                         key=key, value=value)
        if kind is ResourceKind.PRODUCT:
            await search.reindex([resource_id])
    await notices.catalog_changed()


async def remove_translations(
    kind: ResourceKind, resource_id: int, language: str, keys: Sequence[str], shop_language: str,
) -> list[tuple[str, str]]:
    """Removes these keys' translations (the shop's text shows again); returns the (key, text) removed.
    Keys the resource does not take are refused; a key without a translation is no error."""
    _check_language(language, shop_language)
    known = await _keys_of(kind, resource_id)
    if not 1 <= len(keys) <= MAX_ENTRIES:
        raise DomainError(Code.INVALID, f"Give 1 to {MAX_ENTRIES} keys at a time.", ["keys"])
    for index, key in enumerate(keys):
        if key not in known:
            raise DomainError(Code.INVALID, f"This resource has no translatable key {key[:MAX_KEY_LENGTH]!r}.",
                              ["keys", str(index)])
    async with in_transaction():
        rows = Translation.filter(resource_kind=kind.value, resource_id=resource_id, language=language,
                                  key__in=list(keys))
        removed = await rows.order_by("key").values_list("key", "value")
        await rows.delete()
        if kind is ResourceKind.PRODUCT:
            await search.reindex([resource_id])
    await notices.catalog_changed()
    return [(key, value) for key, value in removed]


async def translations_of(kind: ResourceKind, resource_ids: Iterable[int], language: str) -> dict[int, dict[str, str]]:
    """key -> text of each resource in `language`, in one statement (resources without any are left out)."""
    found: dict[int, dict[str, str]] = defaultdict(dict)
    rows = await Translation.filter(resource_kind=kind.value, language=language,
                                    resource_id__in=list(set(resource_ids))).values_list("resource_id", "key", "value")
    for resource_id, key, value in rows:
        found[resource_id][key] = value
    return found
