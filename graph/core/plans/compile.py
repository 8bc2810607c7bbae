"""What a compiled read is made of: selections, fields and completions, built once per document.

A plan is the operation's selections as graphql-core collects them (fragments,
inline fragments, merged fields by response key, `@include`/`@skip`), each
field with how it is resolved and how its value is completed. It is built
lazily, one object type's selection at a time, the first time a request
reaches it, and then kept with the document (`executor.PlanCache`), so the
next request with the same document walks prepared objects instead of asking
the schema again for every field.

A field is resolved one of four ways:
- `__typename`: the parent type's name;
- a Strawberry field without a resolver: the attribute, read directly (what
  Strawberry's default resolver does);
- a Strawberry resolver without extensions or exception handlers: the Python
  function, called with arguments converted once per request;
- anything else (extensions, permissions, graphql-core resolvers): the
  field's own resolve function, called as graphql-core calls it.
"""

from __future__ import annotations

import inspect
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLOutputType,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
)
from graphql.execution.collect_fields import FieldDetails, collect_subfields
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter

__all__ = ["SelectionPlan", "FieldPlan", "Completion", "TYPENAME", "ATTRIBUTE", "SCALAR_ATTRIBUTE", "CALL", "GENERIC",
           "LEAF", "LIST", "OBJECT", "ABSTRACT"]

# How a field is resolved (SCALAR_ATTRIBUTE: an attribute whose type is a scalar or enum).
TYPENAME, ATTRIBUTE, SCALAR_ATTRIBUTE, CALL, GENERIC = range(5)
# How a value is completed.
LEAF, LIST, OBJECT, ABSTRACT = range(4)

_STRAWBERRY_RESOLVERS = ("_resolver", "_async_resolver")
_STRAWBERRY_IS_TYPE_OF = "GraphQLCoreConverter.from_object.<locals>._get_is_type_of.<locals>.is_type_of"


class Completion:
    """How a value of one output type at one position is completed (graphql-core's `complete_value`)."""

    __slots__ = ("kind", "non_null", "output_type", "named", "coerce", "item", "composite",
                 "object_type", "is_type_of", "is_type_of_needs_info", "selection", "runtime")

    def __init__(self, output_type: GraphQLOutputType, details: list[FieldDetails]) -> None:
        self.output_type = output_type  # with its NonNull: what an error at this position is judged by
        self.non_null = is_non_null_type(output_type)
        named = output_type.of_type if self.non_null else output_type  # type: ignore[union-attr]
        self.named = named
        self.coerce = self.item = self.object_type = self.is_type_of = self.selection = None
        self.is_type_of_needs_info = False
        self.runtime: dict[str, Completion] = {}  # an abstract type's, by runtime type name
        if is_list_type(named):
            self.kind = LIST
            self.item = Completion(named.of_type, details)  # type: ignore[union-attr]
        elif is_leaf_type(named):
            self.kind = LEAF
            self.coerce = _coerce_of(named)
        elif is_abstract_type(named):
            self.kind = ABSTRACT
        else:
            self.kind = OBJECT
            self._object(named, details)  # type: ignore[arg-type]
        self.composite = self.kind != LEAF

    def _object(self, object_type: GraphQLObjectType, details: list[FieldDetails]) -> None:
        self.object_type = object_type
        self.is_type_of = object_type.is_type_of
        if self.is_type_of is not None:
            self.is_type_of_needs_info = getattr(self.is_type_of, "__qualname__", "") != _STRAWBERRY_IS_TYPE_OF
        self.selection = SelectionPlan(object_type, details)

    def for_runtime_type(self, object_type: GraphQLObjectType, details: list[FieldDetails]) -> Completion:
        """The object completion of an abstract type's runtime type (made once per type)."""
        completion = Completion.__new__(Completion)
        completion.output_type = self.output_type
        completion.non_null = self.non_null
        completion.named = object_type
        completion.kind = OBJECT
        completion.coerce = completion.item = None
        completion.runtime = {}
        completion.composite = True
        completion.is_type_of_needs_info = False
        completion._object(object_type, details)
        return completion


def _coerce_of(leaf_type: Any) -> Any:
    """The type's `coerce_output_value`; for a Strawberry enum, its members' names looked up in a dict.

    Strawberry's enum type searches its values for the member's on every call (a page's currency
    codes are hundreds of searches); the dict answers the same name, and anything else
    (a value, not a member) still goes to the type itself.
    """
    coerce = leaf_type.coerce_output_value
    wrapped = getattr(leaf_type, "wrapped_cls", None)
    if not isinstance(leaf_type, CustomGraphQLEnumType) or not isinstance(wrapped, type):
        return coerce
    names: dict[Any, str] = {}
    for member in wrapped:  # type: ignore[var-annotated]
        name = next((n for n, v in leaf_type.values.items() if member.value == v.value), None)
        if name is not None:
            names[member] = name

    def coerce_member(value: Any) -> Any:
        if value.__class__ is wrapped:
            name = names.get(value)
            if name is not None:
                return name
        return coerce(value)

    return coerce_member


class FieldPlan:
    """One response key of a selection on one object type."""

    __slots__ = ("key", "name", "parent_type", "parent_name", "details", "nodes", "field_def", "how",
                 "typename", "attribute", "function", "strawberry_field", "takes_self", "source_kwarg",
                 "info_kwarg", "is_async", "has_args", "resolve", "completion", "null_message")

    def __init__(self, key: str, parent_type: GraphQLObjectType, details: list[FieldDetails],
                 field_def: GraphQLField, converter: GraphQLCoreConverter) -> None:
        node = details[0].node
        self.key = key
        self.name = node.name.value
        self.parent_type = parent_type
        self.parent_name = parent_type.name
        self.details = details
        self.nodes = [d.node for d in details]
        self.field_def = field_def
        self.has_args = bool(field_def.args or node.arguments)
        self.typename = self.attribute = self.function = self.strawberry_field = None
        self.takes_self = self.is_async = False
        self.source_kwarg = self.info_kwarg = None
        self.resolve = field_def.resolve
        self.null_message = f"Cannot return null for non-nullable field {parent_type.name}.{self.name}."
        self.completion = Completion(field_def.type, details)
        self.how = self._how(converter)
        if self.how == ATTRIBUTE and self.completion.kind == LEAF:
            self.how = SCALAR_ATTRIBUTE

    def _how(self, converter: GraphQLCoreConverter) -> int:
        if self.name == "__typename":
            self.typename = self.parent_name
            return TYPENAME
        resolve = self.resolve
        field = self.field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if resolve is None or field is None or getattr(field, "extensions", True):
            return GENERIC
        if getattr(resolve, "_is_default", False) and resolve.__name__ == "_get_basic_result":
            if field.default_resolver is getattr and not field.base_resolver and not self.has_args:
                self.attribute = field.python_name
                return ATTRIBUTE
            return GENERIC
        if resolve.__name__ not in _STRAWBERRY_RESOLVERS or field.base_resolver is None:
            return GENERIC
        if converter._get_field_exception_handlers(field):
            return GENERIC
        resolver = field.base_resolver
        if not callable(resolver.wrapped_func) or (resolver.parent_parameter and resolver.root_parameter):
            return GENERIC
        if field.is_async and not inspect.iscoroutinefunction(resolver._unbound_wrapped_func):
            return GENERIC  # an async generator: Strawberry awaits it in a wrapper of its own
        self.strawberry_field = field
        self.function = resolver.wrapped_func
        self.takes_self = resolver.self_parameter is not None
        source = resolver.parent_parameter or resolver.root_parameter
        self.source_kwarg = source.name if source is not None else None
        self.info_kwarg = resolver.info_parameter.name if resolver.info_parameter is not None else None
        self.is_async = field.is_async
        return CALL


class SelectionPlan:
    """The fields of one selection set (with its fragments) on one object type, collected on first use."""

    __slots__ = ("object_type", "details", "fields")

    def __init__(self, object_type: GraphQLObjectType, details: list[FieldDetails] | None,
                 fields: list[FieldPlan] | None = None) -> None:
        self.object_type = object_type
        self.details = details
        self.fields = fields

    def collect(self, executor: Any, converter: GraphQLCoreConverter) -> list[FieldPlan]:
        """The fields, as graphql-core's `collect_subfields` groups them for this request's directives."""
        grouped = collect_subfields(
            executor.schema, executor.fragments, executor.variable_values, executor.operation,
            self.object_type, self.details, executor.hide_suggestions,
        ).grouped_field_set
        self.fields = field_plans(executor.schema, self.object_type, grouped, converter)
        return self.fields


def field_plans(schema: Any, parent_type: GraphQLObjectType, grouped: dict[str, list[FieldDetails]],
                converter: GraphQLCoreConverter) -> list[FieldPlan]:
    plans = []
    for key, details in grouped.items():
        field_def = schema.get_field(parent_type, details[0].node.name.value)
        if field_def is not None:  # graphql-core skips a field the type does not have
            plans.append(FieldPlan(key, parent_type, details, field_def, converter))
    return plans

