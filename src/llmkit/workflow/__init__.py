"""Workflows: sequence, parallel, branch, loop and map over agents and functions.

::

    from llmkit.workflow import sequence, parallel, branch, loop, step, when, Retry

    flow = sequence(
        step(researcher, input=lambda s: s.topic, output="notes"),
        parallel(critic_a, critic_b, output="reviews", max_concurrency=4, timeout=60),
        score,
        branch(when(lambda s: s.score < 0.8, rewriter), otherwise=publisher),
        loop(editor, until=lambda s: s.approved, max_iterations=3),
        name="article",
        retry=Retry(attempts=3, backoff="exponential"),
    )

    result = await flow.run(Article(topic="tides"))   # or flow.run_sync(...)
    result.state, result.output, result.usage, result.trace

Guarantees: a workflow is an immutable tree of specs, checked when it is built (a bad
argument, name or expression fails where it is written); string predicates are parsed with
a safe evaluator, never ``eval``; the state a run is given is never changed (the run works on
a copy); every step has a path (``article/reviews[1]/critic_b``) that events, errors and the
trace name it by. A run never leaves a task behind: a failure or a cancellation cancels and
awaits what runs beside it; a failed run raises a ``WorkflowError`` that keeps the state with
every completed write, the trace and the usage. With no hooks and no listener a run builds no
hook context and no event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmkit._lazy import lazy_exports
from llmkit.errors import (
    CircuitOpenError,
    NoBranchMatched,
    PredicateError,
    StateValidationError,
    StepInputError,
    StepTimeoutError,
    WorkflowDefinitionError,
    WorkflowError,
)
from llmkit.workflow._batch import BatchResult, batch, batch_sync
from llmkit.workflow._batch_item import BadInput, ItemError, ItemOutcome
from llmkit.workflow._batch_progress import BatchProgress
from llmkit.workflow._breaker import CircuitBreaker
from llmkit.workflow._breakers import Breakers, breakers, reset_breakers, use_breakers
from llmkit.workflow._build import branch, loop, map_each, parallel, sequence, step, when
from llmkit.workflow._executor import Executor, InProcessExecutor, Unit
from llmkit.workflow._load import load, loads
from llmkit.workflow._result import StepFailure, StepRecord, WorkflowResult
from llmkit.workflow._retry import Retry
from llmkit.workflow._spec import Case
from llmkit.workflow._steps import Step, StepContext
from llmkit.workflow._workflow import Workflow, WorkflowOptions

if TYPE_CHECKING:
    from llmkit.workflow._ray import RayExecutor, WorkerDiedError

# Ray's executor is an optional extra's: loaded at first use, not with the package.
_LAZY = {"RayExecutor": "llmkit.workflow._ray", "WorkerDiedError": "llmkit.workflow._ray"}

__all__ = [
    "BadInput",
    "BatchProgress",
    "BatchResult",
    "Breakers",
    "Case",
    "CircuitBreaker",
    "CircuitOpenError",
    "Executor",
    "InProcessExecutor",
    "ItemError",
    "ItemOutcome",
    "NoBranchMatched",
    "PredicateError",
    "RayExecutor",
    "Retry",
    "StateValidationError",
    "Step",
    "StepContext",
    "StepFailure",
    "StepInputError",
    "StepRecord",
    "StepTimeoutError",
    "Unit",
    "WorkerDiedError",
    "Workflow",
    "WorkflowDefinitionError",
    "WorkflowError",
    "WorkflowOptions",
    "WorkflowResult",
    "batch",
    "batch_sync",
    "branch",
    "breakers",
    "load",
    "loads",
    "loop",
    "map_each",
    "parallel",
    "reset_breakers",
    "sequence",
    "step",
    "use_breakers",
    "when",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
