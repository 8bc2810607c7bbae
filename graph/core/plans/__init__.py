"""Compiled reads (DESIGN §12): a query's document is planned once and its fields run from the plan.

`plan_executor(schema)` is the executor class a Strawberry schema runs its
operations with; see `executor` for what falls back, `compile` for what a
plan is, `run` for how one request runs it.
"""

from graph.core.plans.executor import COMPILED, PlanExecutor, plan_executor

__all__ = ["COMPILED", "PlanExecutor", "plan_executor"]
