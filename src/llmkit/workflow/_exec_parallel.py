"""The executors of parallel branches and map items, and the worker pool they share.

- A parallel runs its branches at once, each at ``<path>[i]/<name>``. A branch whose subtree
  writes to the state works on a shallow copy and logs its writes; one that does not reads
  the parent state as it is (no copy). When the branches end, their logs are replayed onto
  the parent state in declared order (validated again), so the result never depends on which
  branch finished first. ``merge="all"`` gives the outputs as a list in declared order,
  ``merge=fn`` gives that list to ``fn``, ``merge="first"`` gives the output of the first
  branch to succeed: the others are cancelled and awaited, only the winner's writes are kept,
  and when every branch fails the lowest-index failure leaves the parallel.
- A map evaluates ``over=`` on the state (a list or a tuple, else ``StepInputError`` before
  any item runs) and runs its body once per item at ``<path>[i]/<body>``: a leaf body gets the
  item as its input (an agent gets it rendered as text; the body's own ``input=`` picks from
  the item, evaluated for every item before any runs) and reads the map's state (its output
  is not merged into it); any other body (a nested workflow, a sequence …) runs on the item as
  its own state (a dict or a model, validated into the body's ``state=`` type), and its
  writes stay there. The output is the list of the items' outputs, in input order.
- ``errors="fail_fast"``: the first failure stops the others (cancelled and awaited before
  the failure leaves; the lowest-index failure among those that happened is the one
  raised). ``errors="collect"``: every branch or item runs; failures go to ``result.errors``
  (their trace status is "failed") and are left out of the outputs; the node succeeds.
- ``max_concurrency`` bounds how many branches or items run at once: that many workers in
  one ``asyncio.TaskGroup`` take the next index in turn. A failure, a cancellation or a
  ``KeyboardInterrupt`` in one of them cancels and awaits every other before it goes on, so no
  task outlives the node.
- When every branch (or the body) is a plain sync function run inline, with no timeout, no
  breaker, no retry, no fallback, and the run has no hooks, the work runs in a loop in the
  caller's task instead (no task is made); results, trace and events are the same.

- With a remote executor (``run(executor=RayExecutor())``) each branch or item is a unit
  submitted to it (``_ray_units``): its subtree and a snapshot of its state go to a worker,
  its output, writes, trace and failures come back and are merged here exactly as above.

Whatever way the node ends (success, failure, cancellation), the trace keeps every branch
or item that started, in declared order, and the writes of those that finished (the
failing one's included) are merged into the parent state.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from llmkit.errors import StepInputError
from llmkit.workflow._policy import UNSET, Failed, run_node
from llmkit.workflow._predicate import Expression
from llmkit.workflow._result import StepFailure
from llmkit.workflow._runtime import Attempt, Defaults, Runtime, TraceEntry
from llmkit.workflow._spec import LeafNode, MapNode, Node, ParallelNode
from llmkit.workflow._state import Scope, adapter_for

__all__ = ["fan_out", "run_map", "run_parallel"]


class _ItemScope(Scope):
    """The map's state as a leaf body's item reads it: a structured output is not merged into it."""

    __slots__ = ()

    def merge_output(self, output: Any, *, path: str) -> bool:
        """Nothing is merged: the item's output goes to the map's list of outputs."""
        return False


@dataclass(slots=True)
class _Job:
    """One branch or item: what runs, where, on which state, with which input."""

    node: Node
    path: str
    scope: Scope
    given: Any = UNSET


@dataclass(slots=True)
class _Ok:
    value: Any


_Outcome = _Ok | Failed | None
"""A job's end: its output, its failure, or None (cancelled, or never started)."""


class _Pool:
    """The state of one fan-out: outcomes by index, trace slots, the winner, the stop."""

    __slots__ = (
        "base",
        "first",
        "halted",
        "next",
        "outcomes",
        "slots",
        "stop_on_failure",
        "winner",
    )

    def __init__(self, count: int, *, first: bool, stop_on_failure: bool) -> None:
        self.outcomes: list[_Outcome] = [None] * count
        self.slots: list[list[TraceEntry]] = [[] for _ in range(count)]
        self.first = first
        self.stop_on_failure = stop_on_failure
        self.halted = False
        self.next = 0
        self.winner: int | None = None
        self.base: BaseException | None = None

    def take(self) -> int | None:
        """The next index to run, or None when there is none (or the pool halted)."""
        if self.halted or self.next >= len(self.outcomes):
            return None
        index = self.next
        self.next += 1
        return index

    async def run(self, rt: Runtime, jobs: Sequence[_Job], index: int, defaults: Defaults) -> bool:
        """Run job ``index``; True when the pool must halt after it."""
        job = jobs[index]
        run = run_node if rt.remote is None else _run_remote()
        try:
            value = await run(
                rt, job.node, job.scope, job.path, defaults, self.slots[index], job.given
            )
        except Failed as failed:
            self.outcomes[index] = failed
            return failed.stop or (self.stop_on_failure and not self.first)
        except (KeyboardInterrupt, SystemExit) as exc:
            # Raised again by the node's own task once the others are cancelled and awaited:
            # in a worker task it would leave the event loop itself.
            self.base = exc
            return True
        self.outcomes[index] = _Ok(value)
        if self.first:
            if self.winner is None:  # a loser that ignored its cancellation does not win
                self.winner = index
            return True
        return False

    def trace(self) -> list[TraceEntry]:
        """The entries of every job that started, in declared order."""
        return [entry for slot in self.slots for entry in slot]

    def failures(self) -> list[tuple[int, Failed]]:
        """The failed jobs, by index."""
        return [(i, o) for i, o in enumerate(self.outcomes) if isinstance(o, Failed)]


def _run_remote() -> Any:
    """``run_node``'s stand-in for a run with a remote executor (imported when first used)."""
    from llmkit.workflow._ray_units import run_remote

    return run_remote


def _inline(rt: Runtime, nodes: Sequence[Node], defaults: Defaults) -> bool:
    """Whether ``nodes`` can run one after another in the caller's task with the same outcome."""
    if rt.hooks is not None or rt.remote is not None:
        return False
    for node in nodes:
        if not (
            isinstance(node, LeafNode)
            and node.kind == "function"
            and not node.thread
            and (inspect.isfunction(node.target) or inspect.ismethod(node.target))
            and not inspect.iscoroutinefunction(node.target)
        ):
            return False
        policy = node.policy
        if (
            policy.timeout is not None
            or policy.fallback is not None
            or (policy.retry or defaults.retry) is not None
            or (policy.breaker or defaults.breaker) is not None
        ):
            return False
    return True


async def fan_out(
    rt: Runtime,
    pool: _Pool,
    jobs: Sequence[_Job],
    *,
    defaults: Defaults,
    max_concurrency: int | None,
    inline: bool,
) -> None:
    """Run ``jobs`` with at most ``max_concurrency`` at once, their outcomes into ``pool``.

    Cancellation of the caller cancels and awaits every job, then goes on; a
    ``KeyboardInterrupt`` or ``SystemExit`` of a job is raised again here once the others
    are cancelled and awaited.
    """
    if inline:
        while (index := pool.take()) is not None:
            if await pool.run(rt, jobs, index, defaults):
                pool.halted = True
    else:
        tasks: list[asyncio.Task[None]] = []

        async def worker() -> None:
            while (index := pool.take()) is not None:
                if await pool.run(rt, jobs, index, defaults):
                    pool.halted = True
                    me = asyncio.current_task()
                    for task in tasks:
                        if task is not me:
                            task.cancel()
                    return

        workers = min(len(jobs), max_concurrency or len(jobs))
        async with asyncio.TaskGroup() as group:
            tasks.extend(group.create_task(worker()) for _ in range(workers))
    if pool.base is not None:
        raise pool.base


def _merge(scope: Scope, jobs: Sequence[_Job], pool: _Pool, *, quiet: bool) -> None:
    """Replay onto ``scope``, in declared order, the logs of the jobs that finished (the
    winner's only, in a race). ``quiet`` (on the way out of a failure): a write that fails
    ends its log instead of raising."""
    for index, job in enumerate(jobs):
        log = job.scope.log
        if not log or pool.outcomes[index] is None:
            continue
        if pool.first and index != pool.winner:
            continue
        if not quiet:
            scope.replay(log)
            continue
        for field, value, path in log:
            try:
                scope.write(field, value, path=path)
            except Exception:
                break


async def _fan_out_into(
    rt: Runtime,
    at: Attempt,
    scope: Scope,
    jobs: Sequence[_Job],
    nodes: Sequence[Node],
    *,
    max_concurrency: int | None,
    first: bool,
    collect: bool,
) -> _Pool:
    """Fan out, keep the trace, merge what finished, record or raise failures; the pool."""
    pool = _Pool(len(jobs), first=first, stop_on_failure=not collect)
    try:
        await fan_out(
            rt,
            pool,
            jobs,
            defaults=at.defaults,
            max_concurrency=max_concurrency,
            inline=_inline(rt, nodes, at.defaults),
        )
    except BaseException:
        _merge(scope, jobs, pool, quiet=True)
        raise
    finally:
        at.entry.children.extend(pool.trace())
    failures = pool.failures()
    stops = [failed for _, failed in failures if failed.stop]
    if stops or (failures and not collect and pool.winner is None):
        _merge(scope, jobs, pool, quiet=True)
        raise (stops or [failures[0][1]])[0]
    _merge(scope, jobs, pool, quiet=False)
    if collect:
        rt.errors.extend(StepFailure.of(f.path, f.error, f.attempt) for _, f in failures)
    return pool


def _writes(rt: Runtime, node: Node) -> bool:
    tree = rt.tree
    return True if tree is None else tree.writes(node)


async def run_parallel(rt: Runtime, node: Node, scope: Scope, at: Attempt) -> Any:
    """One attempt of a parallel: every branch at once; the merged output."""
    assert isinstance(node, ParallelNode)
    jobs = [
        _Job(branch, f"{at.path}[{i}]/{branch.name}", scope.branch(writes=_writes(rt, branch)))
        for i, branch in enumerate(node.branches)
    ]
    first = node.merge == "first"
    pool = await _fan_out_into(
        rt,
        at,
        scope,
        jobs,
        node.branches,
        max_concurrency=node.max_concurrency,
        first=first,
        collect=node.errors == "collect",
    )
    if first:
        winner = pool.winner
        outcome = None if winner is None else pool.outcomes[winner]
        return outcome.value if isinstance(outcome, _Ok) else None
    outputs = [o.value for o in pool.outcomes if isinstance(o, _Ok)]
    merge = node.merge
    if callable(merge):
        return merge(outputs)
    return outputs


_SEQUENCES = (list, tuple)


def _pick(reader: Expression, item: Any, index: int, path: str, owner: str) -> Any:
    """What a leaf body's ``input=`` picks from ``item`` (an expression reads a dict's or a model's fields)."""
    if isinstance(item, BaseModel | Mapping):
        return reader.evaluate(item, adapter_for(item), path=path)
    if isinstance(reader.source, str):
        raise StepInputError(
            f"map_each {owner!r}: its body's input= {reader.describe()!r} reads fields, but item "
            f"{index} is a {type(item).__name__}, not a dict or a model; pass a function as "
            "input=, or leave it off to give the body the item itself.",
            path=owner,
        )
    return reader.evaluate(item, adapter_for(item), path=path)


async def run_map(rt: Runtime, node: Node, scope: Scope, at: Attempt) -> Any:
    """One attempt of a map: the body once per item of ``over``; the outputs in input order."""
    assert isinstance(node, MapNode)
    items = node.over.evaluate(scope.state, scope.adapter, path=at.path)
    if not isinstance(items, _SEQUENCES):
        raise StepInputError(
            f"map_each {at.path!r}: over= gave a {type(items).__name__}, not a list.",
            path=at.path,
        )
    if not items:
        return []
    body = node.body
    paths = [f"{at.path}[{i}]/{body.name}" for i in range(len(items))]
    if isinstance(body, LeafNode) and body.kind != "workflow":
        shared = _ItemScope(scope.state, scope.adapter)
        reader = body.input
        if reader is not None:
            items = [
                _pick(reader, item, index, path, at.path)
                for index, (path, item) in enumerate(zip(paths, items, strict=True))
            ]
        jobs = [_Job(body, path, shared, item) for path, item in zip(paths, items, strict=True)]
    else:
        jobs = [
            _Job(
                body,
                path,
                scope.isolated(item, body.state, what=f"map_each {at.path!r}: item {i}"),
            )
            for i, (path, item) in enumerate(zip(paths, items, strict=True))
        ]
    pool = await _fan_out_into(
        rt,
        at,
        scope,
        jobs,
        (body,),
        max_concurrency=node.max_concurrency,
        first=False,
        collect=node.errors == "collect",
    )
    return [o.value for o in pool.outcomes if isinstance(o, _Ok)]
