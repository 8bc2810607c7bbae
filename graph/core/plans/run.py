"""Runs a plan for one request: graphql-core's execution, field by field, without re-deciding anything.

Every step mirrors graphql-core 3.3's `Executor` (`execute_fields`,
`execute_field`, `complete_value` and the list, object and abstract
completions): the same resolvers are called in the same order, awaitables of
an object's fields and of a list's items are gathered together (so the
dataloaders batch as before), errors are located with the same nodes and
path and collected in the executor's own `collected_errors`, and a null in a
non-null position propagates to the nearest nullable parent. What it saves
is the work graphql-core repeats for every field of every object: looking
the field up, building a resolve info and a path, Strawberry's wrapper that
converts arguments and builds its `Info` on each call.

A resolver's `info` is built once per field of the plan per request; its
`path` is that of the first object the field is resolved on (the resolvers
here read `context` and `selected_fields`, never `path`).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Awaitable
from typing import Any

from graphql import GraphQLError, located_error
from graphql.execution.executor import Executor, collect_iterator_awaitables, invalid_return_type_error
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined, gather_with_cancel, is_iterable
from strawberry.types.arguments import convert_arguments

from graph.core.plans.compile import (
    ABSTRACT, CALL, GENERIC, LEAF, LIST, SCALAR_ATTRIBUTE, TYPENAME, Completion, FieldPlan, SelectionPlan,
)

__all__ = ["PlanRun"]


# Values that are neither awaitable nor an exception nor null: a leaf of these needs only coercing.
_PLAIN = frozenset((str, int, float, bool, decimal.Decimal, dt.datetime, dt.date))
# Classes whose instances are never awaitable; Strawberry types join on first sight (`PlanRun.awaitable`).
_SETTLED = set(_PLAIN | {dict, list, type(None)})


class _Refused:
    """Arguments that could not be prepared: each call raises the error, as each call would have."""

    __slots__ = ("error", "later")

    def __init__(self, error: Exception, later: bool) -> None:
        self.error, self.later = error, later


async def _raise(error: Exception) -> Any:
    raise error


class PlanRun:
    """One request's execution of a plan, on behalf of graphql-core's executor."""

    def __init__(self, executor: Any, strawberry_schema: Any) -> None:
        self.executor = executor
        self.errors = executor.collected_errors
        self.is_awaitable = executor.is_awaitable  # graphql-core's test, which `awaitable` answers first when it can
        self.converter = strawberry_schema.schema_converter
        self.config = strawberry_schema.config
        self.infos: dict[FieldPlan, Any] = {}
        self.calls: dict[FieldPlan, dict[str, Any] | _Refused] = {}

    def awaitable(self, value: Any) -> bool:
        """`is_awaitable(value)`, learning the Strawberry types (no `__await__`) that never are."""
        cls = value.__class__
        if cls in _SETTLED:
            return False
        if hasattr(cls, "__strawberry_definition__") and not hasattr(cls, "__await__"):
            _SETTLED.add(cls)
            return False
        return self.is_awaitable(value)

    # Executing selections and fields

    def execute_fields(self, selection: SelectionPlan, source: Any, path: Path | None) -> Any:
        fields = selection.fields
        if fields is None:
            fields = selection.collect(self.executor, self.converter)
        results: dict[str, Any] = {}
        awaitable = self.awaitable
        pending: list[str] = []
        try:
            for field in fields:
                how = field.how
                if how == TYPENAME:
                    results[field.key] = field.typename
                    continue
                if how == SCALAR_ATTRIBUTE:  # most fields of a page: the shortest way through
                    try:
                        result = getattr(source, field.attribute)  # type: ignore[arg-type]
                        if result.__class__ in _PLAIN:  # neither awaitable, nor an error, nor null
                            coerced = field.completion.coerce(result)  # type: ignore[misc]
                            if coerced is not None and coerced is not Undefined:
                                results[field.key] = coerced
                                continue
                    except Exception as raw_error:
                        self.field_error(raw_error, field.completion.non_null, field,
                                         Path(path, field.key, field.parent_name))
                        results[field.key] = None
                        continue
                    result = self.attribute_leaf(field, result, path)
                else:
                    result = self.execute_field(field, source, path)
                results[field.key] = result
                if result.__class__ not in _SETTLED and awaitable(result):
                    pending.append(field.key)
        except Exception:
            if pending:  # settle the other fields' work: it may fail too
                self.executor.settle_in_background([results[key] for key in pending])
            raise
        if not pending:
            return results
        return self.gather_fields(results, pending)

    async def gather_fields(self, results: dict[str, Any], pending: list[str]) -> dict[str, Any]:
        if len(pending) == 1:
            results[pending[0]] = await results[pending[0]]
        else:
            awaited = await gather_with_cancel(*(results[key] for key in pending))
            results.update(zip(pending, awaited, strict=True))
        return results

    def attribute_leaf(self, field: FieldPlan, result: Any, parent_path: Path | None) -> Any:
        """The rest of `execute_field` for a scalar or enum read from an attribute."""
        completion = field.completion
        try:
            if self.is_awaitable(result):
                return self.complete_awaitable(field, result, Path(parent_path, field.key, field.parent_name))
            if isinstance(result, Exception):
                raise result
            if result is None or result is Undefined:
                if completion.non_null:
                    raise TypeError(field.null_message)
                return None
            coerced = completion.coerce(result)  # type: ignore[misc]
            if coerced is None or coerced is Undefined:
                return Executor.complete_leaf_value(completion.named, result)  # raises graphql-core's error
            return coerced
        except Exception as raw_error:
            self.field_error(raw_error, completion.non_null, field, Path(parent_path, field.key, field.parent_name))
            return None

    def execute_field(self, field: FieldPlan, source: Any, parent_path: Path | None) -> Any:
        completion = field.completion
        path = Path(parent_path, field.key, field.parent_name)
        try:
            how = field.how
            if how == CALL:
                result = self.call(field, source, path)
            elif how == GENERIC:
                result = self.call_generic(field, source, path)
            else:
                result = getattr(source, field.attribute)  # type: ignore[arg-type]
            if result.__class__ not in _SETTLED and self.awaitable(result):
                return self.complete_awaitable(field, result, path)
            completed = self.complete(completion, field, result, path)
            if completed.__class__ not in _SETTLED and self.is_awaitable(completed):
                return self.await_completed(field, completed, path)
        except Exception as raw_error:
            self.field_error(raw_error, completion.non_null, field, path)
            return None
        return completed

    async def complete_awaitable(self, field: FieldPlan, result: Awaitable[Any], path: Path) -> Any:
        try:
            resolved = await result
            completed = self.complete(field.completion, field, resolved, path)
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.field_error(raw_error, field.completion.non_null, field, path)
            completed = None
        return completed

    async def await_completed(self, field: FieldPlan, completed: Awaitable[Any], path: Path) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.field_error(raw_error, field.completion.non_null, field, path)
            return None

    def field_error(self, raw_error: Exception, non_null: bool, field: FieldPlan, path: Path) -> None:
        """graphql-core's `handle_field_error`: raise in a non-null position, else collect and answer null."""
        error = located_error(raw_error, field.nodes, path.as_list())
        if non_null:
            raise error
        self.errors.add(error, path)

    # Resolving

    def info(self, field: FieldPlan, path: Path) -> Any:
        """The field's graphql-core resolve info for this request (built on first use)."""
        info = self.infos.get(field)
        if info is None:
            info = self.infos[field] = self.executor.build_resolve_info(
                field.field_def, field.nodes, field.parent_type, path)
        return info

    def call(self, field: FieldPlan, source: Any, path: Path) -> Any:
        """A Strawberry resolver, called as Strawberry calls it, its arguments converted once per request."""
        kwargs = self.calls.get(field)
        if kwargs is None:
            kwargs = self.prepare_call(field, path)
        if kwargs.__class__ is _Refused:
            if kwargs.later:  # type: ignore[union-attr]
                return _raise(kwargs.error)  # type: ignore[union-attr]
            raise kwargs.error  # type: ignore[union-attr]
        if field.source_kwarg is not None:
            kwargs = {**kwargs, field.source_kwarg: source}  # type: ignore[dict-item]
        if field.takes_self:
            return field.function(source, **kwargs)  # type: ignore[misc, arg-type]
        return field.function(**kwargs)  # type: ignore[misc, arg-type]

    def prepare_call(self, field: FieldPlan, path: Path) -> dict[str, Any] | _Refused:
        executor = self.executor
        info = self.config.info_class(_raw_info=self.info(field, path), _field=field.strawberry_field)
        prepared: dict[str, Any] | _Refused
        try:
            raw = get_argument_values(
                field.field_def, field.details[0].node, executor.variable_values,
                field.details[0].fragment_variable_values, executor.hide_suggestions,
            ) if field.has_args else {}
        except Exception as error:  # graphql-core raises before calling the resolver
            prepared = _Refused(error, later=False)
        else:
            try:
                prepared = convert_arguments(raw, field.strawberry_field.arguments,  # type: ignore[union-attr]
                                             scalar_registry=self.converter.scalar_registry,
                                             config=self.config, info=info)
                if field.info_kwarg is not None:
                    prepared[field.info_kwarg] = info
            except Exception as error:  # Strawberry converts inside its resolver: an async one raises when awaited
                prepared = _Refused(error, later=field.is_async)
        self.calls[field] = prepared
        return prepared

    def call_generic(self, field: FieldPlan, source: Any, path: Path) -> Any:
        """A resolver the plan does not know: called exactly as graphql-core calls it."""
        executor = self.executor
        info = executor.build_resolve_info(field.field_def, field.nodes, field.parent_type, path)
        args = get_argument_values(
            field.field_def, field.details[0].node, executor.variable_values,
            field.details[0].fragment_variable_values, executor.hide_suggestions,
        ) if field.has_args else {}
        resolve = field.resolve or executor.field_resolver
        return resolve(source, info, **args)

    # Completing values

    def complete(self, completion: Completion, field: FieldPlan, result: Any, path: Path) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            if completion.non_null:
                raise TypeError(field.null_message)
            return None
        kind = completion.kind
        if kind == LEAF:
            coerced = completion.coerce(result)  # type: ignore[misc]
            if coerced is None or coerced is Undefined:
                return Executor.complete_leaf_value(completion.named, result)  # raises graphql-core's error
            return coerced
        if kind == LIST:
            return self.complete_list(completion, field, result, path)
        if kind == ABSTRACT:
            return self.complete_abstract(completion, field, result, path)
        return self.complete_object(completion, field, result, path)

    def complete_list(self, completion: Completion, field: FieldPlan, result: Any, path: Path) -> Any:
        executor = self.executor
        if executor.is_async_iterable(result):  # not something these resolvers return: graphql-core's own way
            return executor.complete_list_value(completion.named, field.details, self.info(field, path), path,
                                                result, None)
        if not is_iterable(result):
            raise GraphQLError(
                f"Expected Iterable, but did not find one for field '{field.parent_name}.{field.name}'.")
        item = completion.item
        assert item is not None
        composite = item.composite
        awaitable, is_awaitable = self.awaitable, self.is_awaitable
        completed: list[Any] = []
        pending: list[int] = []
        iterator = iter(result)
        index = 0
        try:
            for value in iterator:
                item_path = Path(path, index, None) if composite else None
                if value.__class__ not in _SETTLED and awaitable(value):
                    completed.append(self.complete_awaitable_item(
                        item, field, value, item_path or Path(path, index, None)))
                    pending.append(index)
                else:
                    try:
                        done = self.complete(item, field, value, item_path)  # type: ignore[arg-type]
                        if done.__class__ not in _SETTLED and is_awaitable(done):
                            completed.append(self.await_item(item, field, done, item_path))  # type: ignore[arg-type]
                            pending.append(index)
                        else:
                            completed.append(done)
                    except Exception as raw_error:
                        self.field_error(raw_error, item.non_null, field, item_path or Path(path, index, None))
                        completed.append(None)
                index += 1
        except Exception:
            awaitables = [completed[i] for i in pending]
            awaitables.extend(collect_iterator_awaitables(iterator, is_awaitable))
            if awaitables:
                executor.settle_in_background(awaitables)
            raise
        if not pending:
            return completed
        return self.gather_items(completed, pending)

    async def gather_items(self, completed: list[Any], pending: list[int]) -> list[Any]:
        if len(pending) == 1:
            completed[pending[0]] = await completed[pending[0]]
        else:
            awaited = await gather_with_cancel(*(completed[i] for i in pending))
            for index, value in zip(pending, awaited, strict=True):
                completed[index] = value
        return completed

    async def await_item(self, item: Completion, field: FieldPlan, done: Awaitable[Any], path: Path) -> Any:
        try:
            return await done
        except Exception as raw_error:
            self.field_error(raw_error, item.non_null, field, path)
            return None

    async def complete_awaitable_item(self, item: Completion, field: FieldPlan, value: Awaitable[Any],
                                      path: Path) -> Any:
        try:
            resolved = await value
            completed = self.complete(item, field, resolved, path)
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.field_error(raw_error, item.non_null, field, path)
            return None
        return completed

    def complete_object(self, completion: Completion, field: FieldPlan, result: Any, path: Path) -> Any:
        is_type_of = completion.is_type_of
        if is_type_of is not None:
            fits = is_type_of(result, self.info(field, path) if completion.is_type_of_needs_info else None)
            if self.is_awaitable(fits):
                return self.complete_object_after(completion, field, result, path, fits)
            if not fits:
                raise invalid_return_type_error(completion.object_type, result, field.details)
        return self.execute_fields(completion.selection, result, path)  # type: ignore[arg-type]

    async def complete_object_after(self, completion: Completion, field: FieldPlan, result: Any, path: Path,
                                    fits: Awaitable[bool]) -> Any:
        if not await fits:
            raise invalid_return_type_error(completion.object_type, result, field.details)
        fields = self.execute_fields(completion.selection, result, path)  # type: ignore[arg-type]
        return await fields if self.is_awaitable(fields) else fields

    def complete_abstract(self, completion: Completion, field: FieldPlan, result: Any, path: Path) -> Any:
        abstract = completion.named
        info = self.info(field, path)
        resolve_type = abstract.resolve_type or self.executor.type_resolver  # type: ignore[union-attr]
        runtime_type = resolve_type(result, info, abstract)
        if self.is_awaitable(runtime_type):
            return self.complete_abstract_after(completion, field, result, path, runtime_type)
        return self.complete_object(self.runtime(completion, field, runtime_type, result), field, result, path)

    async def complete_abstract_after(self, completion: Completion, field: FieldPlan, result: Any, path: Path,
                                      runtime_type: Awaitable[Any]) -> Any:
        chosen = self.runtime(completion, field, await runtime_type, result)
        value = self.complete_object(chosen, field, result, path)
        return await value if self.is_awaitable(value) else value

    def runtime(self, completion: Completion, field: FieldPlan, name: Any, result: Any) -> Completion:
        """The object completion of the runtime type `name`, checked as graphql-core checks it (once per type)."""
        known = completion.runtime.get(name) if name.__class__ is str else None
        if known is None:
            object_type = self.executor.ensure_valid_runtime_type(
                name, completion.named, field.details, self.infos.get(field), result)
            known = completion.runtime[name] = completion.for_runtime_type(object_type, field.details)
        return known
