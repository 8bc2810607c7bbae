"""Limits on what one request may ask: depth, aliases, tokens and cost.

Depth and aliases are validation rules (cached with the document). Cost needs
the variables, so it is computed just before execution: every field costs 1,
times the page sizes (`first`/`last`) of the lists above it, so
`products(first: 100) { … }` costs ten times `products(first: 10) { … }`.
Introspection fields (`__schema`, `__type`) are not limited: explorers need them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    parse,
)

from graph.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

__all__ = ["Limits", "shape_rule", "operation_cost", "fixed_cost", "cost_error", "parsed"]


@dataclass(frozen=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_cost: int = 5000
    max_body_bytes: int = 64 * 1024


def _limit_error(message: str, code: str, node: Any = None) -> GraphQLError:
    return GraphQLError(message, nodes=node, extensions={"code": code})


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _walk(selection_set: SelectionSetNode | None, fragments: dict, visit, seen: frozenset = frozenset()):
    """Calls visit(field) for the fields of a selection set, through fragments."""
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            visit(selection)
        elif isinstance(selection, InlineFragmentNode):
            _walk(selection.selection_set, fragments, visit, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                _walk(fragment.selection_set, fragments, visit, seen | {selection.name.value})


def _depth(selection_set: SelectionSetNode | None, fragments: dict, level: int, limit: int) -> int:
    deepest = level
    def visit(field: FieldNode) -> None:
        nonlocal deepest
        if field.name.value.startswith("__") or deepest > limit:
            return
        deepest = max(deepest, _depth(field.selection_set, fragments, level + 1, limit))
    _walk(selection_set, fragments, visit)
    return deepest


def shape_rule(limits: Limits) -> type[ASTValidationRule]:
    """A validation rule refusing documents deeper than, or with more aliases than, `limits` allow."""

    class QueryShape(ASTValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> None:
            fragments = _fragments(node)
            aliases = 0
            for definition in node.definitions:
                if isinstance(definition, OperationDefinitionNode):
                    depth = _depth(definition.selection_set, fragments, 0, limits.max_depth)
                    if depth > limits.max_depth:
                        self.report_error(_limit_error(
                            f"The query is {depth}+ levels deep; at most {limits.max_depth} are allowed.",
                            "QUERY_TOO_DEEP", definition))
            for definition in node.definitions:
                def count(field: FieldNode) -> None:
                    nonlocal aliases
                    aliases += field.alias is not None
                    _walk(field.selection_set, {}, count)
                _walk(getattr(definition, "selection_set", None), {}, count)
            if aliases > limits.max_aliases:
                self.report_error(_limit_error(
                    f"The document has {aliases} aliases; at most {limits.max_aliases} are allowed.",
                    "TOO_MANY_ALIASES"))

    return QueryShape


def _page_size(field: FieldNode, variables: dict[str, Any]) -> int:
    """How many items a list field may return, from its `first`/`last` argument.

    An argument whose variable is absent or null is not given (`first: $first,
    last: $last` with only `last` sent pages backwards by `last`); with neither
    given the resolver's default page is what comes back.
    """
    sizes = []
    listed = False
    for argument in field.arguments or ():
        if argument.name.value not in ("first", "last"):
            continue
        listed = True
        value = argument.value
        if isinstance(value, IntValueNode):
            sizes.append(max(int(value.value), 1))
        elif isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            if isinstance(given, int):
                sizes.append(max(given, 1))
        elif not isinstance(value, NullValueNode):
            sizes.append(MAX_PAGE_SIZE)
    if sizes:
        return max(sizes)
    return DEFAULT_PAGE_SIZE if listed else 1


def operation_cost(document: DocumentNode, operation_name: str | None, variables: dict[str, Any] | None) -> int:
    fragments = _fragments(document)
    variables = variables or {}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    total = 0

    def cost(selection_set: SelectionSetNode | None, multiplier: int) -> None:
        def visit(field: FieldNode) -> None:
            nonlocal total
            if field.name.value.startswith("__"):
                return
            total += multiplier
            if total <= 10**9:
                cost(field.selection_set, multiplier * _page_size(field, variables))
        _walk(selection_set, fragments, visit)

    for operation in operations[:1]:
        cost(operation.selection_set, 1)
    return total


class _Unread(dict):  # type: ignore[type-arg]
    """No variables, noting whether the cost asked for one."""

    asked = False

    def __bool__(self) -> bool:  # taken as given (`variables or {}` keeps it)
        return True

    def get(self, key: Any, default: Any = None) -> Any:
        self.asked = True
        return default


def fixed_cost(document: DocumentNode, operation_name: str | None) -> int | None:
    """`operation_cost` when no page size comes from a variable (the same for every request), else None."""
    variables = _Unread()
    cost = operation_cost(document, operation_name, variables)
    return None if variables.asked else cost


def cost_error(cost: int, limits: Limits) -> GraphQLError:
    return _limit_error(
        f"The query would cost {cost}; at most {limits.max_cost} is allowed. Ask for smaller pages or fewer fields.",
        "QUERY_TOO_COSTLY",
    )


@lru_cache(maxsize=512)
def parsed(query: str, max_tokens: int) -> DocumentNode | None:
    """The document, or None when it does not parse (the executor then reports why)."""
    try:
        return parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return None
