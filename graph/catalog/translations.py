"""Staff translations of catalog text: `translationsRegister`, `translationsRemove` (catalog:write).

    mutation { translationsRegister(resourceId: "<a Product id>", language: DE, translations: [
      {key: "title", value: "Klassisches T-Shirt"}, {key: "option:Size", value: "Größe"}]) {
        translations { key value languageCode } userErrors { field code message } } }

The keys a resource takes are in commerce/catalog/translations.py; reads show them through
`@inContext(language:)` (graph/core/in_context.py).
"""

from __future__ import annotations

import strawberry

from commerce.access import Scope
from commerce.catalog import translations as catalog_translations
from commerce.catalog.translations import ResourceKind, TranslationEntry
from commerce.errors import DomainError
from graph.core.access import require_scope
from graph.core.context import Info
from graph.core.errors import UserError, mutation
from graph.core.ids import from_global_id, int_key_of
from graph.core.in_context import LanguageCode

__all__ = ["TranslationMutation", "TranslationInput", "Translation"]

_KIND_OF_TYPE = {"Product": ResourceKind.PRODUCT, "Collection": ResourceKind.COLLECTION}


@strawberry.input(description=("One translated text: `key` is `title`, `description`, `option:<option name>` or"
                               " `value:<option name>:<value>` (options and values named in the shop's language)."))
class TranslationInput:
    key: str
    value: str


@strawberry.type(description="A resource's text in one language.")
class Translation:
    key: str
    value: str
    language_code: LanguageCode  # type: ignore[valid-type]


@strawberry.type
class TranslationsRegisterPayload:
    translations: list[Translation] | None
    user_errors: list[UserError]


@strawberry.type
class TranslationsRemovePayload:
    translations: list[Translation] | None = strawberry.field(description="What was removed.")
    user_errors: list[UserError]


def _resource(resource_id: strawberry.ID) -> tuple[ResourceKind, int]:
    """The kind and database id of a Product or Collection id; NOT_FOUND otherwise."""
    decoded = from_global_id(resource_id)
    kind = None if decoded is None else _KIND_OF_TYPE.get(decoded[0])
    key = None if decoded is None or kind is None else int_key_of(decoded[1])
    if kind is None or key is None:
        raise DomainError.not_found("product or collection", "resourceId")
    return kind, key


@strawberry.type
class TranslationMutation:
    @mutation(description=("Sets translations of a product's or collection's text in one language; the others"
                           " stay (catalog:write). Shown with `@inContext(language:)`."))
    async def translations_register(
        self, info: Info, resource_id: strawberry.ID, language: LanguageCode,  # type: ignore[valid-type]
        translations: list[TranslationInput],
    ) -> TranslationsRegisterPayload:
        await require_scope(info, Scope.CATALOG_WRITE)
        kind, key = _resource(resource_id)
        entries = [TranslationEntry(t.key, t.value) for t in translations]
        await catalog_translations.register_translations(kind, key, language.value, entries,
                                                         info.context.settings.language)
        info.context.loaders.translations.clear_all()
        return TranslationsRegisterPayload(
            translations=[Translation(key=e.key, value=e.value.strip(), language_code=language) for e in entries],
            user_errors=[])

    @mutation(description="Removes translations, by key: the shop's own text shows again (catalog:write).")
    async def translations_remove(
        self, info: Info, resource_id: strawberry.ID, language: LanguageCode,  # type: ignore[valid-type]
        keys: list[str],
    ) -> TranslationsRemovePayload:
        await require_scope(info, Scope.CATALOG_WRITE)
        kind, key = _resource(resource_id)
        removed = await catalog_translations.remove_translations(kind, key, language.value, keys,
                                                                 info.context.settings.language)
        info.context.loaders.translations.clear_all()
        return TranslationsRemovePayload(
            translations=[Translation(key=k, value=v, language_code=language) for k, v in removed], user_errors=[])
