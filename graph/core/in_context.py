"""`@inContext(country:, language:)`: the buyer's context, on a query or mutation, as Shopify's is.

    query Product @inContext(language: DE) { product(slug: "classic-tee") { title } }

The directive's values are read once per operation, before anything resolves
(`InContext`, a schema extension), into the request's context:
`context.language` (the shop's own language without it) and `context.country`
(None without it). Every resolver reads them there, so any executor that hands
the same context to the same resolvers sees the same context. Both arguments
are enums (`LanguageCode`: ISO 639-1; `CountryCode`: ISO 3166-1 alpha-2), so
an unknown code never reaches a resolver: in a variable it is `BAD_USER_INPUT`,
written in the document it fails validation, as any unknown enum value does.

`country` chooses the market (`context.market`, commerce.markets): the currency
every price is read in. Without `language`, the market's language is the
operation's. Without `country`, the market is the shop's own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from enum import Enum
from typing import Any

import pycountry
import strawberry
from graphql import (
    DocumentNode, GraphQLSchema, get_directive_values, get_operation_ast,
)
from graphql.execution.values import get_variable_values
from strawberry.directive import DirectiveLocation
from strawberry.extensions import SchemaExtension

from commerce.languages import LANGUAGES

__all__ = ["LanguageCode", "CountryCode", "in_context", "InContext", "read_in_context", "choose_market"]

LanguageCode = strawberry.enum(
    Enum("LanguageCode", {code: code for code in LANGUAGES}),  # type: ignore[misc]
    description="A language, by its ISO 639-1 code.")

CountryCode = strawberry.enum(
    Enum("CountryCode", {c.alpha_2: c.alpha_2 for c in sorted(pycountry.countries, key=lambda c: c.alpha_2)}),  # type: ignore[misc]
    description="A country, by its ISO 3166-1 alpha-2 code.")


@strawberry.directive(
    locations=[DirectiveLocation.QUERY, DirectiveLocation.MUTATION], name="inContext",
    description=("The buyer's context for this operation: `language` chooses the language of translated content"
                 " (the shop's language where there is no translation); `country` chooses the market: the currency"
                 " of every price, and the language when `language` is not given."))
def in_context(country: CountryCode | None = strawberry.UNSET, language: LanguageCode | None = strawberry.UNSET) -> None:  # type: ignore[valid-type]
    """Never called: `InContext` reads the directive before execution."""


def read_in_context(
    context: Any, schema: GraphQLSchema, document: DocumentNode | None, operation_name: str | None,
    variables: dict[str, Any] | None,
) -> bool:
    """Sets `context.language` and `context.country` from the operation's `@inContext`, if it has one;
    whether it named a language.

    Leaves the context as it is when the variables do not coerce: execution then refuses them itself.
    """
    operation = None if document is None else get_operation_ast(document, operation_name)
    if operation is None or not any(d.name.value == "inContext" for d in operation.directives or ()):
        return False
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):  # errors: execution reports them
        return False
    directive = schema.get_directive("inContext")
    assert directive is not None
    values = get_directive_values(directive, operation, coerced) or {}
    if values.get("language") is not None:
        context.language = _code(values["language"])
    if values.get("country") is not None:
        context.country = _code(values["country"])
    return values.get("language") is not None


async def choose_market(context: Any, language_given: bool) -> None:
    """`context.market` from `context.country`; the market's language unless the operation named one."""
    if context.country is None:
        return
    context.market = (await context.markets.markets()).for_country(context.country)
    if not context.market.rule.identity:
        context.loaders.price_currency = context.market.currency
    if not language_given:
        context.language = context.market.language


def _code(value: Any) -> str:
    return value.value if isinstance(value, Enum) else str(value)


class InContext(SchemaExtension):
    """Reads `@inContext` into the request's context before the operation executes."""

    async def on_execute(self) -> AsyncIterator[None]:
        ec = self.execution_context
        if ec.context is not None and hasattr(ec.context, "language"):
            language_given = read_in_context(
                ec.context, ec.schema._schema, ec.graphql_document, ec.operation_name, ec.variables)
            await choose_market(ec.context, language_given)
        yield
