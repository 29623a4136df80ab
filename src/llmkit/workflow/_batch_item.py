"""One item of a batch: the unit an executor runs (target + input + options) and its outcome.

:class:`BatchItem` is a :class:`~llmkit.workflow._executor.Unit`: a frozen dataclass of the
target, the input, the item's index and the run options, so it pickles whenever the target
(and the input) do. Items of one batch carry the batch's key and say that their target and
options are shared (:meth:`BatchItem.shared`): a remote executor ships those once per batch,
and each item's own bytes hold its input and index. Calling it runs the target once and always returns an
:class:`ItemOutcome`: an error the run raised is caught and kept (its type name and its
message with secrets removed, plus the exception itself), never raised, so one bad item does
not stop the others. A cancellation is not an outcome: it propagates. An input that
could not be read (a :class:`BadInput` in its place) fails without running the target, so
the other items keep their places.

Targets: an :class:`~llmkit.Agent` (``await agent.run(input, **options)``), a
:class:`~llmkit.workflow.Workflow` (``await flow.run(input, **options)``), or any callable
taking the input (and the options as keywords) whose result may be awaited; the usage of a
callable's item is its result's ``usage`` when that is a :class:`~llmkit.types.Usage`. A plain
(not async) callable runs in a thread, its context copied, so it never blocks the event loop:
in the pool ``batch()`` sets in :data:`THREADS`, else in asyncio's default pool.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from llmkit._redact import redact
from llmkit.errors import UsageError
from llmkit.types import JSONDict, Usage

__all__ = ["THREADS", "BadInput", "BatchItem", "ItemError", "ItemOutcome", "is_async", "run_target"]

THREADS: contextvars.ContextVar[ThreadPoolExecutor | None] = contextvars.ContextVar(
    "llmkit_batch_threads", default=None
)
"""The thread pool plain function targets run in (``batch()`` sizes it to its concurrency)."""


@dataclass(frozen=True, slots=True)
class ItemError:
    """Why an item failed: the error's type name and its message, secrets removed."""

    type: str
    """The class name of the error (``"RateLimitError"``)."""
    message: str
    """What the error said, with API keys and tokens replaced by ``[redacted]``."""

    def __str__(self) -> str:
        return f"{self.type}: {self.message}" if self.message else self.type

    @classmethod
    def of(cls, exc: BaseException) -> ItemError:
        """The record of ``exc``."""
        return cls(type(exc).__name__, redact(str(exc)))


@dataclass(frozen=True, slots=True)
class BadInput:
    """Stands for an input that could not be read (a malformed line of an inputs file).

    Its item fails with a :class:`~llmkit.errors.UsageError` carrying ``message``, without
    running the target; the items around it keep their places and run.
    """

    message: str
    """What is wrong with the input and where (``"line 3 of inputs.jsonl is not JSON: ..."``)."""


@dataclass(slots=True)
class ItemOutcome:
    """What one item of a batch gave: its output or its error, and the usage it took."""

    index: int
    """The item's place in the inputs (outcomes come back in this order)."""
    input: Any
    """The input the item ran on."""
    output: Any = None
    """The run's output (``result.output``); None when the item failed."""
    error: ItemError | None = None
    """Why the item failed; None when it succeeded."""
    usage: Usage = field(default_factory=Usage)
    """Tokens, requests and cost of the item (of a failed run too, as far as it went)."""
    result: Any = None
    """The whole result (a ``RunResult``, a ``WorkflowResult``, what a function returned);
    None when the item failed or was read back from a results file."""
    exception: BaseException | None = field(default=None, repr=False, compare=False)
    """The error itself, when the item failed in this process (not kept in results files)."""
    resumed: bool = False
    """True when the outcome was read from a results file instead of run again."""

    @property
    def ok(self) -> bool:
        """True when the item succeeded."""
        return self.error is None

    @property
    def cost(self) -> float | None:
        """The item's cost in USD (None when unknown)."""
        return self.usage.cost

    def to_dict(self) -> JSONDict:
        """The JSON form of the outcome (its index, output or error, and usage)."""
        from pydantic_core import to_jsonable_python

        data: JSONDict = {"index": self.index}
        if self.error is None:
            data["output"] = to_jsonable_python(self.output, fallback=str)
        else:
            data["error"] = {"type": self.error.type, "message": self.error.message}
        data["usage"] = self.usage.to_dict()
        return data


@dataclass(frozen=True, slots=True)
class BatchItem:
    """A batch item as a unit of work: run ``target`` on ``input`` with ``options``."""

    target: Any
    """An agent, a workflow, or a callable taking the input."""
    input: Any
    """What the target runs on."""
    index: int
    """The item's place in the inputs."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Keyword options of each run (``timeout``, ``deps``, ``usage_limits`` ...)."""
    batch: str = ""
    """A key unique to the batch (``""``: none): its items share the same target and options."""

    def shared(self) -> dict[str, Any]:
        """The parts every item of the batch holds, by key: a remote executor ships them once."""
        if not self.batch:
            return {}
        return {f"{self.batch}/target": self.target, f"{self.batch}/options": self.options}

    async def __call__(self) -> ItemOutcome:
        """Run the item; an error becomes the outcome's ``error`` (a cancellation propagates)."""
        try:
            if isinstance(self.input, BadInput):
                raise UsageError(self.input.message)
            result, output, usage = await run_target(self.target, self.input, self.options)
        except Exception as exc:
            found = getattr(exc, "usage", None)
            return ItemOutcome(
                self.index,
                self.input,
                error=ItemError.of(exc),
                usage=found if isinstance(found, Usage) else Usage(),
                exception=exc,
            )
        return ItemOutcome(self.index, self.input, output, None, usage, result)


async def run_target(target: Any, value: Any, options: Mapping[str, Any]) -> tuple[Any, Any, Usage]:
    """Run ``target`` once on ``value``: its result, its output and the usage it took."""
    from llmkit.agent import Agent
    from llmkit.workflow._workflow import Workflow

    if isinstance(target, Agent | Workflow):
        result: Any = await target.run(value, **options)
        usage = result.usage
        return result, result.output, usage if isinstance(usage, Usage) else Usage()
    if is_async(target):
        returned = target(value, **options)
    else:
        call = functools.partial(contextvars.copy_context().run, target, value, **options)
        pool = THREADS.get()
        if pool is None:
            returned = await asyncio.to_thread(call)
        else:
            returned = await asyncio.get_running_loop().run_in_executor(pool, call)
    if inspect.isawaitable(returned):
        returned = await returned
    found = getattr(returned, "usage", None)
    return returned, returned, found if isinstance(found, Usage) else Usage()


def is_async(target: Any) -> bool:
    """True when calling ``target`` gives a coroutine (an ``async def`` function or method)."""
    while isinstance(target, functools.partial):
        target = target.func
    if inspect.iscoroutinefunction(target):
        return True
    if inspect.isfunction(target) or inspect.ismethod(target) or isinstance(target, type):
        return False
    return inspect.iscoroutinefunction(type(target).__call__)  # an object with async __call__
