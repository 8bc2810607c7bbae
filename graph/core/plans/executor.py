"""Plugs compiled reads into graphql-core: an executor class that runs a query's root fields on its plan.

Strawberry parses, validates, runs its schema extensions (error codes, limits,
caches) and formats the result as always; graphql-core still selects the
operation, coerces the variables and collects the root fields. Only the
field-by-field execution below the root changes, and only for queries the
plans support; anything else runs on graphql-core's own executor, as a whole
operation, with a reason:

- `mutation`, `subscription`: never compiled (they run serially, or stream);
- `introspection`: `__schema` and `__type` at the root;
- `defer`: `@defer`/`@stream`, `fragment_variables`: fragments with variables;
- `middleware`, `abort_signal`, `error_propagation_off`: execution options the
  plans do not reproduce.

Each run records its outcome on the request's state (`plans`: `compiled` or
the fallback's reason) for the metrics to count.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, ClassVar

from graphql import (
    FragmentDefinitionNode,
    GraphQLObjectType,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graph.core.plans.compile import SelectionPlan, field_plans
from graph.core.plans.run import PlanRun

__all__ = ["COMPILED", "PlanExecutor", "plan_executor"]

COMPILED = "compiled"
_INTROSPECTION = frozenset(("__schema", "__type"))
_INCREMENTAL = frozenset(("defer", "stream"))
_MAX_SIGNATURES = 16  # @include/@skip variants kept per document


class DocumentPlan:
    """A document's operation: whether plans support it, and its root plan per @include/@skip values."""

    __slots__ = ("operation", "unsupported", "directive_variables", "roots")

    def __init__(self, operation: OperationDefinitionNode, fragments: Sequence[FragmentDefinitionNode]) -> None:
        self.operation = operation  # keeps the nodes the plans hold alive
        self.unsupported: str | None = None
        variables: set[str] = set()
        for definition in (operation, *fragments):
            if isinstance(definition, FragmentDefinitionNode) and definition.variable_definitions:
                self.unsupported = "fragment_variables"
            self._walk(definition.selection_set, variables)
        self.directive_variables = tuple(sorted(variables))
        self.roots: dict[tuple[Any, ...], SelectionPlan] = {}

    def _walk(self, selection_set: SelectionSetNode | None, variables: set[str]) -> None:
        for selection in selection_set.selections if selection_set else ():
            for directive in selection.directives or ():
                if directive.name.value in _INCREMENTAL:
                    self.unsupported = "defer"
                for argument in directive.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        variables.add(argument.value.name.value)
            self._walk(getattr(selection, "selection_set", None), variables)


class PlanCache:
    """Document plans by the operation's source text and position, least recently used out first.

    Only documents up to `KEPT_SOURCE_CHARS` are kept (a shop's own documents are a few KB); a longer
    one is planned for its request alone, so odd documents cannot fill the memory with plans.
    """

    KEPT_SOURCE_CHARS = 8 * 1024

    def __init__(self, size: int) -> None:
        self.size = size
        self.documents: OrderedDict[Any, DocumentPlan] = OrderedDict()

    def document(self, executor: Any) -> DocumentPlan:
        operation = executor.operation
        location = operation.loc
        key = (location.source.body, location.start) if location is not None else operation
        plan = self.documents.get(key)
        if plan is None:
            plan = DocumentPlan(operation, [fragment.definition for fragment in executor.fragments.values()])
            if location is None or len(location.source.body) > self.KEPT_SOURCE_CHARS:
                return plan
            self.documents[key] = plan
            if len(self.documents) > self.size:
                self.documents.popitem(last=False)
        else:
            self.documents.move_to_end(key)
        return plan


class PlanExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, running supported queries on their plans (`plan_executor` binds a schema)."""

    strawberry_schema: ClassVar[Any]
    plans: ClassVar[PlanCache]

    def execute_collected_root_fields(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: Any,
        serially: bool,
        new_defer_usages: Sequence[Any],
    ) -> Any:
        reason = self.unsupported(serially, new_defer_usages, grouped_field_set)
        root = None
        if reason is None:
            document = self.plans.document(self)
            reason = document.unsupported
            if reason is None:
                root = self.root_plan(document, root_type, grouped_field_set)
        _record(self.context_value, reason or COMPILED)
        if root is None:
            return super().execute_collected_root_fields(
                root_type, root_value, grouped_field_set, serially, new_defer_usages)
        return PlanRun(self, self.strawberry_schema).execute_fields(root, root_value, None)

    def unsupported(self, serially: bool, new_defer_usages: Sequence[Any], grouped_field_set: Any) -> str | None:
        """Why this operation runs on graphql-core's executor, or None when its plan can run it."""
        operation = self.operation.operation
        if operation != OperationType.QUERY:
            return "mutation" if operation == OperationType.MUTATION else "subscription"
        if serially:
            return "serial"
        if new_defer_usages:
            return "defer"
        if any(details[0].node.name.value in _INTROSPECTION for details in grouped_field_set.values()):
            return "introspection"
        if self.middleware_manager is not None and self.middleware_manager._middleware_resolvers is not None:
            return "middleware"
        if self.abort_signal is not None:
            return "abort_signal"
        if not self.error_propagation:
            return "error_propagation_off"
        return None

    def root_plan(self, document: DocumentPlan, root_type: GraphQLObjectType, grouped_field_set: Any) -> SelectionPlan:
        coerced = self.variable_values.coerced
        signature = tuple(coerced.get(name) for name in document.directive_variables)
        root = document.roots.get(signature)
        if root is None:
            if len(document.roots) >= _MAX_SIGNATURES:
                document.roots.clear()
            fields = field_plans(self.schema, root_type, grouped_field_set, self.strawberry_schema.schema_converter)
            root = document.roots[signature] = SelectionPlan(root_type, None, fields)
        return root


def plan_executor(strawberry_schema: Any, *, cache_size: int = 256) -> type[PlanExecutor]:
    """The executor class for `strawberry_schema`, with its own plan cache."""
    return type("PlanExecutor", (PlanExecutor,), {
        "strawberry_schema": strawberry_schema, "plans": PlanCache(cache_size),
    })


def _record(context: Any, outcome: str) -> None:
    """Notes the outcome on the HTTP request's state, where the metrics read it."""
    request = getattr(context, "request", None)
    scope = getattr(request, "scope", None)
    if isinstance(scope, dict) and scope.get("type") == "http":
        scope.setdefault("state", {}).setdefault("plans", []).append(outcome)

