"""Running a workflow from its root: options, checks, the run's hooks and events, its result or error.

:func:`run_workflow` is what ``Workflow.run`` does; :func:`stream_workflow` is ``stream()``.
At the root, and only there:

- the options are checked (an unknown one is Python's ``TypeError``, a bad value a
  ``UsageError``), the state copied (the caller's object is never changed) and the tree
  checked against the state's type once per (tree, type) (a ``WorkflowDefinitionError``
  whose ``state`` is the state the run was given; nothing has run);
- a workflow that runs itself (a step whose code runs the same workflow again) is refused
  with a ``WorkflowDefinitionError`` naming the inner path; the outer run then ends with that
  error, its ``state`` the outer state at that point;
- ``before_workflow``/``after_workflow`` hooks and the ``workflow.start``/``workflow.end``
  events surround the run (only when there are hooks, or listeners: the fast path builds
  neither a hook context nor an event);
- ``timeout=`` bounds the whole run (``StepTimeoutError`` at the root's path, never retried);
- a failure becomes the public error once: a workflow-made condition keeps its class
  (``NoBranchMatched``, ``StepTimeoutError`` …), anything a step raised becomes a plain
  ``WorkflowError`` with it as ``__cause__``; every one carries the state with every
  completed write, the trace, the usage (failed attempts included) and the run id;
- with a remote ``executor=`` (``RayExecutor()``) the executor is started (not closed: its
  owner closes it) and ``parallel`` branches and ``map_each`` items run on it
  (``_ray_units``); ``hooks=``, ``usage_limits=``, ``store=`` and ``stream()`` are refused
  with it (``UsageError``): they hold this process's state;
- with ``store=`` the run is durable (``_durable``): created in the store before any step
  runs, ended there as finished or failed; a checkpoint that failed ends the run with the
  store's own error (``CheckpointError``, ``NotStorableError`` …), not a ``WorkflowError``.

:data:`EXECUTORS` is the table the policy loop dispatches each node kind through.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import AsyncGenerator, Iterable, Mapping
from contextlib import nullcontext
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from llmkit._hooks.base import HookContext
from llmkit._hooks.chain import HookChain
from llmkit._ids import new_id
from llmkit._scope import current_path
from llmkit.bus import Bus, active_bus, use_bus
from llmkit.context import RunContext
from llmkit.errors import (
    CircuitOpenError,
    StepTimeoutError,
    UsageError,
    WorkflowDefinitionError,
    WorkflowError,
)
from llmkit.events import ErrorEvent, Event, WorkflowEnd, WorkflowStart
from llmkit.run import UsageLimits
from llmkit.types import Usage
from llmkit.workflow._breakers import breakers as default_breakers
from llmkit.workflow._checks import TreeInfo, check_tree
from llmkit.workflow._exec_flow import run_branch, run_sequence
from llmkit.workflow._exec_leaf import run_leaf
from llmkit.workflow._exec_loop import run_loop
from llmkit.workflow._exec_parallel import run_map, run_parallel
from llmkit.workflow._limits import LedgerHook, UsageLedger
from llmkit.workflow._policy import Failed, run_node
from llmkit.workflow._result import WorkflowResult
from llmkit.workflow._runtime import (
    NO_DEFAULTS,
    NO_SLEEP,
    Channel,
    Executor,
    Replayer,
    Runtime,
    TraceEntry,
    WorkflowOptions,
    flatten,
)
from llmkit.workflow._spec import (
    BranchNode,
    LeafNode,
    LoopNode,
    MapNode,
    Node,
    ParallelNode,
    SequenceNode,
)
from llmkit.workflow._state import Scope, adapter_for, initial_state
from llmkit.workflow._stream import EventChannel, stream_run

if TYPE_CHECKING:
    from llmkit.workflow._durable import Reopened
    from llmkit.workflow._journal import RunJournal

__all__ = ["EXECUTORS", "OPTIONS", "new_runtime", "run_workflow", "stream_workflow"]

EXECUTORS: dict[type[Node], Executor] = {
    LeafNode: run_leaf,
    SequenceNode: run_sequence,
    BranchNode: run_branch,
    ParallelNode: run_parallel,
    MapNode: run_map,
    LoopNode: run_loop,
}
"""The executor of each node kind."""

OPTIONS: frozenset[str] = frozenset(WorkflowOptions.__annotations__)
"""The options a run takes."""

_ACTIVE: ContextVar[tuple[int, ...]] = ContextVar("llmkit_workflow_active", default=())
_CHECKED: dict[tuple[int, type[BaseModel] | None], tuple[Node, TreeInfo]] = {}
_CHECKED_MAX = 256


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


def _check_options(options: Mapping[str, Any], method: str) -> None:
    if not options:
        return
    for key in options:
        if key not in OPTIONS:
            raise TypeError(f"Workflow.{method}() got an unexpected keyword argument {key!r}")
    timeout = options.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise UsageError(
            f"Workflow.{method}(timeout=...) takes seconds, more than 0, or None; not {timeout!r}."
        )
    limits = options.get("usage_limits")
    if limits is not None and not isinstance(limits, UsageLimits):
        raise UsageError(
            f"Workflow.{method}(usage_limits=...) takes a UsageLimits, e.g. "
            f"UsageLimits(max_total_tokens=10_000), not {type(limits).__name__}."
        )
    bus = options.get("bus")
    if bus is not None and not isinstance(bus, Bus):
        raise UsageError(f"Workflow.{method}(bus=...) takes a Bus, not {type(bus).__name__}.")
    run_id = options.get("run_id")
    if run_id is not None and (not isinstance(run_id, str) or not run_id):
        raise UsageError(f"Workflow.{method}(run_id=...) takes a non-empty string, not {run_id!r}.")
    clock = options.get("clock")
    if clock is not None and not callable(clock):
        raise UsageError(
            f"Workflow.{method}(clock=...) takes a function returning seconds, such as "
            f"time.perf_counter; not {type(clock).__name__}."
        )
    executor = options.get("executor")
    if executor is not None:
        _check_executor(executor, options, method)
    breakers = options.get("breakers")
    if breakers is not None and not (
        callable(getattr(breakers, "acquire", None))
        and callable(getattr(breakers, "release", None))
    ):
        raise UsageError(
            f"Workflow.{method}(breakers=...) takes a Breakers registry, not "
            f"{type(breakers).__name__}."
        )


def _check_executor(executor: Any, options: Mapping[str, Any], method: str) -> None:
    """An executor has start/submit/aclose; a remote one runs what ships (see the docstring)."""
    if not all(callable(getattr(executor, name, None)) for name in ("start", "submit", "aclose")):
        raise UsageError(
            f"Workflow.{method}(executor=...) takes an executor such as llmkit.RayExecutor() or "
            f"llmkit.InProcessExecutor(), not {type(executor).__name__}."
        )
    if not getattr(executor, "remote", False):
        return
    if method == "stream":
        raise UsageError(
            "Workflow.stream() runs in this process; to run branches and map items on "
            f"{executor.name}, use run(executor=...) and subscribe to the bus for events."
        )
    kept = [name for name in ("hooks", "usage_limits", "store") if options.get(name)]
    if kept:
        raise UsageError(
            f"Workflow.{method}(executor=...) with a remote executor ({executor.name}) cannot "
            f"take {', '.join(kept)}=: they hold this process's state, which the workers do not "
            "share. Run without the executor, or without those options."
        )


def new_runtime(
    root: Node,
    options: WorkflowOptions,
    *,
    channel: Channel | None = None,
    method: str = "run",
    replayer: Replayer | None = None,
) -> Runtime:
    """The runtime of one run of ``root`` with ``options`` (checked; see the module docstring).

    With a ``replayer`` (a replay) nothing waits between attempts and no breaker is asked.
    """
    _check_options(options, method)
    hooks = options.get("hooks", ())
    if type(hooks) is not tuple:
        if isinstance(hooks, str | bytes | Mapping) or not isinstance(hooks, Iterable):
            raise UsageError(
                f"Workflow.{method}(hooks=...) takes a list of hooks, not {type(hooks).__name__}."
            )
        hooks = tuple(hooks)
    chain = HookChain.for_scope(hooks)
    limits = options.get("usage_limits")
    ledger = None if limits is None else UsageLedger(limits, name=root.name)
    agent_hooks = hooks if ledger is None else (*hooks, LedgerHook(ledger))
    return Runtime(
        run_id=options.get("run_id") or new_id(),
        name=root.name,
        deps=options.get("deps"),
        chain=chain,
        agent_hooks=agent_hooks,
        bus=active_bus(options.get("bus")),
        channel=channel,
        ledger=ledger,
        gate=None if replayer is not None else options.get("breakers") or default_breakers(),
        clock=options.get("clock") or time.perf_counter,
        sleep=_sleep if replayer is None else NO_SLEEP,
        rng=random.random,
        executors=EXECUTORS,
        replayer=replayer,
        remote=_remote(options.get("executor")),
    )


def _remote(executor: Any) -> Any:
    """The executor when it is remote (its units leave the process), else None."""
    return executor if executor is not None and getattr(executor, "remote", False) else None


def _checked(root: Node, model: type[BaseModel] | None) -> TreeInfo:
    key = (id(root), model)
    hit = _CHECKED.get(key)
    if hit is not None and hit[0] is root:
        return hit[1]
    info = check_tree(root, model)
    if len(_CHECKED) >= _CHECKED_MAX:
        _CHECKED.clear()
    _CHECKED[key] = (root, info)
    return info


def _public(
    rt: Runtime, root: Node, failed: Failed, scope: Scope, entries: list[TraceEntry]
) -> BaseException:
    """The error a failed run raises (see the module docstring)."""
    error = failed.error
    usage = entries[0].usage if entries else Usage()
    state = scope.state
    if isinstance(error, WorkflowDefinitionError):
        made: BaseException = WorkflowDefinitionError(
            str(error),
            path=error.path or failed.path,
            file=error.file,
            line=error.line,
            state=state,
        )
        made.__cause__ = error.__cause__
        return made
    fields: dict[str, Any] = {
        "path": failed.path,
        "state": state,
        "trace": flatten(entries),
        "usage": usage,
        "run_id": rt.run_id,
        "workflow": root.name,
    }
    if isinstance(error, CircuitOpenError):
        made = CircuitOpenError(str(error), key=error.key, retry_in=error.retry_in, **fields)
        made.__cause__ = error.__cause__
    elif isinstance(error, WorkflowError) and not error.run_id:
        # A condition this run found (a timeout, no branch matched …): its class stays.
        made = type(error)(str(error), **fields)
        made.__cause__ = error.__cause__
    else:
        after = f" after {failed.attempt} attempts" if failed.attempt > 1 else ""
        made = WorkflowError(
            f"Workflow {root.name!r} failed at {failed.path}{after}: "
            f"{type(error).__name__}: {error}",
            **fields,
        )
        made.__cause__ = error
    return made


async def run_workflow(
    root: Node,
    state: Any,
    options: WorkflowOptions,
    *,
    channel: Channel | None = None,
    method: str = "run",
    replayer: Replayer | None = None,
    reopened: Reopened | None = None,
    journal: RunJournal | None = None,
) -> WorkflowResult[Any]:
    """Run ``root`` on (a copy of) ``state``; its result, or the run's error.

    With ``store=`` (or a ``reopened`` run: a resume) the run is durable (``_durable``); a
    ``journal`` makes it durable on another engine (DBOS: ``_dbos``).
    """
    rt = new_runtime(root, options, channel=channel, method=method, replayer=replayer)
    start = initial_state(state, root.state, what=f"Workflow.{method}()")
    active = _ACTIVE.get()
    if id(root) in active:
        inner = current_path()
        raise WorkflowDefinitionError(
            f"Workflow {root.name!r} runs itself from its step {inner!r}; a workflow cannot run "
            "inside itself: run another workflow there, or make the step part of this one.",
            path=inner,
        )
    adapter = adapter_for(start)
    try:
        rt.tree = _checked(root, adapter.model)
    except WorkflowDefinitionError as exc:
        raise WorkflowDefinitionError(
            str(exc), path=exc.path, file=exc.file, line=exc.line, state=start
        ) from None
    bus = options.get("bus")
    scope = Scope(start, adapter)
    store = options.get("store")
    if store is not None:
        from llmkit.workflow import _durable

        journal = await _durable.open_journal(
            _durable.check_store(store, method), root, scope, rt.run_id, reopened
        )
    rt.journal = journal
    if rt.remote is not None:
        await rt.remote.start()
    token = _ACTIVE.set((*active, id(root)))
    try:
        with use_bus(bus) if bus is not None else nullcontext():
            if journal is None:
                return await _run(rt, root, scope, options.get("timeout"))
            try:
                result = await _run(rt, root, scope, options.get("timeout"))
            except BaseException as exc:
                await journal.fail(exc)
                broke = journal.error
                if broke is not None and isinstance(exc, WorkflowError) and exc.__cause__ is broke:
                    raise broke from None  # the store's own error (a checkpoint that failed)
                raise
            await journal.finish(result)
            return result
    finally:
        _ACTIVE.reset(token)


async def _run(rt: Runtime, root: Node, scope: Scope, timeout: float | None) -> WorkflowResult[Any]:
    chain = rt.hooks
    name = root.name
    ctx: HookContext | None = None
    if chain is not None:
        ctx = HookContext(
            kind="workflow",
            run=RunContext(rt.deps, run_id=rt.run_id, metadata=rt.metadata),
            path=name,
            started=time.perf_counter(),
        )
    entries: list[TraceEntry] = []
    try:
        try:
            if ctx is not None and chain is not None:
                await chain.start_workflow(ctx, scope.state)
            if rt.events_on:
                await rt.emit(
                    WorkflowStart(rt.run_id, name, scope.adapter.to_json(scope.state), path=name)
                )
            if timeout is None:
                output = await run_node(rt, root, scope, name, NO_DEFAULTS, entries)
            else:
                limit = asyncio.timeout(timeout)
                try:
                    async with limit:
                        output = await run_node(rt, root, scope, name, NO_DEFAULTS, entries)
                except TimeoutError as exc:
                    if not limit.expired():
                        raise
                    stop = StepTimeoutError(
                        f"Workflow {name!r} took longer than its timeout of {timeout:g} s.",
                        path=name,
                    )
                    stop.__cause__ = exc
                    raise Failed(stop, path=name, attempt=1, stop=True) from exc
            result: WorkflowResult[Any] = WorkflowResult(
                state=scope.state,
                output=output,
                usage=entries[0].usage if entries else Usage(),
                trace=flatten(entries),
                errors=list(rt.errors),
                run_id=rt.run_id,
                name=name,
            )
            if ctx is not None and chain is not None:
                result = await chain.end_workflow(ctx, result)
        except Failed:
            raise
        except Exception as exc:
            raise Failed(exc, path=name, attempt=1, stop=True) from exc
    except Failed as failed:
        error = _public(rt, root, failed, scope, entries)
        await _failed(rt, ctx, error, failed.path, name)
        raise error from error.__cause__
    except BaseException as exc:
        if ctx is not None and chain is not None:
            await chain.error(ctx, exc)
        raise
    if rt.events_on:
        await rt.emit(WorkflowEnd(rt.run_id, name, "complete", result, path=name))
    return result


async def _failed(
    rt: Runtime, ctx: HookContext | None, error: BaseException, where: str, name: str
) -> None:
    if rt.events_on:
        kind, message = type(error).__name__, str(error)
        await rt.emit(ErrorEvent(kind, message, rt.run_id, path=where))
        await rt.emit(WorkflowEnd(rt.run_id, name, "failed", None, kind, message, path=name))
    chain = rt.hooks
    if ctx is not None and chain is not None:
        await chain.error(ctx, error)


def stream_workflow(
    root: Node, state: Any, options: WorkflowOptions
) -> AsyncGenerator[Event, None]:
    """Run ``root`` and yield its events (the agents' too); raise the run's error at the end."""

    async def run(channel: EventChannel) -> None:
        await run_workflow(root, state, options, channel=channel, method="stream")

    return stream_run(run)
