"""The one attempt loop every node runs through: breaker, timeout, hooks, executor; retry, fallback, on_error.

:func:`run_node` runs a node at a path and returns its output. Around each attempt, in this
order (outermost first)::

    on_error( fallback( retry( breaker( timeout( hooks( executor ) ) ) ) ) )

- an attempt asks the breaker for a permit (``CircuitOpenError`` when open), runs under the
  node's ``timeout=`` (``StepTimeoutError`` past it), with the ``before_step``/``after_step``
  hooks around the executor, then writes the output to the state (``output=``, or a
  structured output merged field by field); the breaker gets the verdict;
- a failed attempt is told to the ``on_error`` hooks (kind "step") with the error it
  failed with: a breaker's refusal as ``CircuitOpenError``, an executor past the timeout as
  ``StepTimeoutError`` (the executor's cancellation by the node's own deadline becomes that
  error inside the hooks; a deadline that expires while a hook itself runs is seen by the
  hooks as the cancellation it is);
- a failed attempt is retried while the node's ``Retry`` says so (a ``workflow.step.retry``
  event, then the wait, outside the permit); ``retry=`` and ``breaker=`` on a combinator are
  the defaults of every leaf inside it, not of the combinator itself;
- when the attempts are spent the ``fallback`` runs at ``<path>/fallback`` with the same input
  and its output goes where the node's would; then ``on_error`` decides: ``"raise"`` (the
  failure leaves the node), ``"skip"`` or ``"continue"`` (the flow goes on).

Stops are never retried, never fall back and never obey ``on_error``: cancellation,
``KeyboardInterrupt``, ``SystemExit``, the workflow's own usage limit, ``ReplayDivergence``
and a ``WorkflowDefinitionError`` found while running. A failure leaves a node as
:class:`Failed` (internal), which the root turns into the public error once.

Every node gets one :class:`~llmkit.workflow._runtime.TraceEntry`, appended to its parent's
children when it starts, so the trace is in tree order whatever the timing.

In a durable run (``rt.journal`` set) each leaf other than a nested workflow goes through the
journal (``_journal``): a checkpointed leaf does not run, its recorded writes are applied again
and its recorded trace entry (``resumed``) and output stand in for it (its hooks do not run; its
``workflow.step.end`` event is published); a leaf that runs does so on a tap of its scope and
is recorded once it ends. A failure of the journal itself is a stop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any

from llmkit._hooks.base import HookContext
from llmkit._scope import STEP_SCOPE, StepScope
from llmkit.context import RunContext
from llmkit.errors import (
    ReplayDivergence,
    StepTimeoutError,
    UsageLimitExceeded,
    WorkflowDefinitionError,
)
from llmkit.events import WorkflowStepEnd, WorkflowStepRetry, WorkflowStepStart
from llmkit.types import Usage
from llmkit.workflow._breaker import CircuitBreaker
from llmkit.workflow._journal import FieldValue, Journal, StepDone, Tap
from llmkit.workflow._result import StepFailure, blank_usage
from llmkit.workflow._runtime import Attempt, Defaults, Runtime, TraceEntry, kind_of
from llmkit.workflow._spec import LeafNode, Node
from llmkit.workflow._state import Scope
from llmkit.workflow._steps import StepContext

__all__ = ["UNSET", "Failed", "add_usage", "run_node", "step_context"]

UNSET: Any = object()
"""No input given: the node resolves its own."""

_STOPS: tuple[type[BaseException], ...] = (ReplayDivergence, WorkflowDefinitionError)


class Failed(Exception):
    """A node failed (internal): the error, where it happened, and whether it is a stop."""

    def __init__(self, error: BaseException, *, path: str, attempt: int, stop: bool) -> None:
        super().__init__(str(error))
        self.error = error
        """What the step raised (or the workflow's own error)."""
        self.path = path
        """The innermost path the failure happened at."""
        self.attempt = attempt
        """The attempt there that failed last."""
        self.stop = stop
        """A stop: it bypasses retry, fallback and on_error all the way to the root."""


def _is_stop(rt: Runtime, error: BaseException) -> bool:
    if isinstance(error, _STOPS):
        return True
    return (
        rt.ledger is not None
        and rt.ledger.tripped is not None
        and isinstance(error, UsageLimitExceeded)
    )


def step_context(rt: Runtime, entry: TraceEntry, attempt: int, state: Any) -> StepContext:
    """The ``StepContext`` of an attempt."""
    return StepContext(
        path=entry.path,
        kind=entry.kind,
        attempt=attempt,
        run_id=rt.run_id,
        deps=rt.deps,
        state=state,
        metadata=rt.metadata,
    )


def _settle(entry: TraceEntry, rt: Runtime, since: float) -> None:
    """Add the children's usage to the entry (once per attempt) and set its duration."""
    if entry.children:
        entry.usage = Usage.sum([entry.usage, *(child.usage for child in entry.children)])
    entry.duration = rt.clock() - since


def add_usage(usage: Usage, more: Usage) -> Usage:
    """``usage + more``; ``more`` itself when ``usage`` is a fresh, empty one (the sum would
    equal it: no counts, no cost, not estimated)."""
    return more if blank_usage(usage) else usage + more


async def run_node(
    rt: Runtime,
    node: Node,
    scope: Scope,
    path: str,
    defaults: Defaults,
    into: list[TraceEntry],
    given: Any = UNSET,
    *,
    journaled: bool = False,
) -> Any:
    """Run ``node`` at ``path`` on ``scope`` with its policies; its output, or :class:`Failed`.

    In a durable run a leaf goes through the journal first (``journaled`` is set when the
    journal runs it).
    """
    policy = node.policy
    leaf = isinstance(node, LeafNode)
    journal = rt.journal
    if (
        journal is not None
        and not journaled
        and isinstance(node, LeafNode)
        and node.kind != "workflow"
    ):
        return await _journaled(rt, journal, node, scope, path, defaults, into, given)
    if leaf:
        retry = policy.retry or defaults.retry
        breaker = policy.breaker or defaults.breaker
        inner = defaults
    else:
        retry = breaker = None
        inner = defaults
        if policy.retry is not None or policy.breaker is not None:
            inner = Defaults(policy.retry or defaults.retry, policy.breaker or defaults.breaker)
    # Nothing around the attempt but the step scope: one frame does the attempt's work.
    bare = breaker is None and policy.timeout is None and rt.hooks is None and not rt.events_on
    kind = kind_of(node)
    since = rt.clock()  # one reading: when the node started, and where its duration starts
    entry = TraceEntry(path, kind, since - rt.started)
    into.append(entry)
    attempt = 0
    kept: list[TraceEntry] = []
    last_input: Any = given
    while True:
        attempt += 1
        entry.attempts = attempt
        if attempt > 1:
            entry.children = []
            if journal is not None and not leaf:
                journal.restart(path)
        at = Attempt(path, attempt, given, entry, inner)
        try:
            if bare:
                output = await _bare(rt, node, scope, at)
            else:
                output = await _attempt(rt, node, scope, at, breaker)
        except Failed as failed:
            error, where, failed_attempt, stop = (
                failed.error,
                failed.path,
                failed.attempt,
                failed.stop,
            )
        except Exception as exc:
            error, where, failed_attempt, stop = exc, path, attempt, _is_stop(rt, exc)
        except BaseException:
            _settle(entry, rt, since)
            raise
        else:
            _settle(entry, rt, since)
            entry.status = "ok"
            if rt.events_on:
                await _ended(rt, entry, output)
            return output
        last_input = at.input
        kept = entry.children
        _settle(entry, rt, since)
        if stop:
            entry.status = "failed"
            entry.error = StepFailure.of(where, error, failed_attempt)
            await _ended(rt, entry, None)
            raise Failed(error, path=where, attempt=failed_attempt, stop=True)
        delay = None if retry is None else retry.delay_for(attempt, error, rt.rng)
        if delay is None:
            break
        if rt.events_on:
            await rt.emit(
                WorkflowStepRetry(
                    rt.run_id, attempt, type(error).__name__, str(error), delay, path=path
                )
            )
        await rt.sleep(delay)
    entry.children = kept
    failure = StepFailure.of(where, error, failed_attempt)
    fallback = policy.fallback
    if fallback is not None:
        try:
            output = await run_node(
                rt, fallback, scope, f"{path}/fallback", inner, entry.children, last_input
            )
        except Failed as failed:
            if failed.error.__context__ is None and failed.error is not error:
                failed.error.__context__ = error
            error, where, failed_attempt = failed.error, failed.path, failed.attempt
            failure = StepFailure.of(where, error, failed_attempt)
            _settle_fallback(entry)
            if failed.stop:
                entry.status, entry.error = "failed", failure
                await _ended(rt, entry, None)
                raise
        else:
            _settle_fallback(entry)
            if node.output is not None and fallback.output != node.output:
                try:
                    scope.write(node.output, output, path=path)
                except Exception as exc:
                    error, where, failed_attempt = exc, path, attempt
                    failure = StepFailure.of(path, exc, attempt)
                else:
                    entry.status, entry.reason, entry.error = "ok", "fallback", failure
                    await _ended(rt, entry, output)
                    return output
            else:
                # The failure stays on the record: it is why the fallback answered.
                entry.status, entry.reason, entry.error = "ok", "fallback", failure
                await _ended(rt, entry, output)
                return output
    entry.error = failure
    if policy.on_error == "skip":
        entry.status = "skipped"
        await _ended(rt, entry, None)
        return None
    entry.status = "failed"
    await _ended(rt, entry, None)
    if policy.on_error == "continue":
        rt.errors.append(failure)
        return None
    raise Failed(error, path=where, attempt=failed_attempt, stop=False)


async def _journaled(
    rt: Runtime,
    journal: Journal,
    node: Node,
    scope: Scope,
    path: str,
    defaults: Defaults,
    into: list[TraceEntry],
    given: Any,
) -> Any:
    """A leaf of a durable run: its recorded outcome re-applied, or run on a tap and recorded.

    A failure of the journal itself (a checkpoint that cannot be written, a value with no JSON
    form, a run taken over) is a stop: the run ends with it.
    """

    async def run() -> StepDone:
        tap = Tap(scope)
        index = len(into)
        output = await run_node(rt, node, tap, path, defaults, into, given, journaled=True)
        entry = into[index]
        return StepDone(
            output=output,
            writes=tuple(tap.writes),
            status=entry.status or "ok",
            attempts=entry.attempts,
            duration=entry.duration,
            usage=entry.usage,
            reason=entry.reason,
            error=entry.error,
            run_ids=tuple(entry.run_ids),
            continued=entry.status == "failed",
        )

    try:
        done = await journal.step(path, run)
    except Failed:
        raise
    except Exception as exc:
        raise Failed(exc, path=path, attempt=1, stop=True) from exc
    if not done.resumed:
        return done.output
    entry = TraceEntry(
        path,
        kind_of(node),
        rt.now(),
        status=done.status,
        attempts=done.attempts,
        duration=done.duration,
        usage=done.usage,
        error=done.error,
        run_ids=list(done.run_ids),
        reason=done.reason,
        resumed=True,
    )
    into.append(entry)
    output = done.output
    try:
        for field, value in done.writes:
            scope.write(field, value, path=path)
        if isinstance(output, FieldValue):
            output = scope.adapter.get(scope.state, output.field)
    except Exception as exc:
        raise Failed(exc, path=path, attempt=1, stop=False) from exc
    if done.continued and done.error is not None:
        rt.errors.append(done.error)
    if rt.ledger is not None:
        rt.ledger.finish([], done.usage)
    await _ended(rt, entry, output)
    return output


def _settle_fallback(entry: TraceEntry) -> None:
    if entry.children:
        entry.usage = entry.usage + entry.children[-1].usage


async def _ended(rt: Runtime, entry: TraceEntry, output: Any) -> None:
    if not rt.events_on:
        return
    error = entry.error
    await rt.emit(
        WorkflowStepEnd(
            rt.run_id,
            entry.kind,
            entry.status or "failed",
            entry.attempts,
            entry.duration,
            entry.usage,
            output,
            None if error is None else error.error_type,
            None if error is None else error.message,
            entry.reason,
            path=entry.path,
        )
    )


async def _attempt(
    rt: Runtime, node: Node, scope: Scope, at: Attempt, breaker: CircuitBreaker | None
) -> Any:
    """One attempt: the breaker's permit, the timeout, the hooks, the executor, the write."""
    gate = rt.gate
    permit: Any = None
    if breaker is not None and gate is not None:
        try:
            permit = gate.acquire(breaker)
        except Exception as exc:
            chain = rt.hooks
            if chain is not None:
                await chain.error(_hook_context(rt, node, at, scope.state), exc)
            raise
    # The step's scope, set and reset inline (the cheapest way; see Runtime.scope_for).
    token = STEP_SCOPE.set(StepScope(rt.run_id, at.path, at.number))
    try:
        if rt.events_on:
            await rt.emit(WorkflowStepStart(rt.run_id, at.entry.kind, at.number, path=at.path))
        timeout = node.policy.timeout
        if timeout is None:
            output = await _hooked(rt, node, scope, at, None)
        else:
            limit = _Deadline(timeout, at.path)
            try:
                async with limit.timeout:
                    output = await _hooked(rt, node, scope, at, limit)
            except TimeoutError as exc:
                if not limit.timeout.expired():
                    raise
                raise limit.error() from exc
    except Exception as exc:
        STEP_SCOPE.reset(token)
        if permit is not None and gate is not None and breaker is not None:
            gate.release(permit, ok=False if breaker.counts(_cause(exc)) else None)
        raise
    except BaseException:
        STEP_SCOPE.reset(token)
        if permit is not None and gate is not None:
            gate.release(permit, ok=None)
        raise
    STEP_SCOPE.reset(token)
    if permit is not None and gate is not None:
        gate.release(permit, ok=True)
    return output


async def _bare(rt: Runtime, node: Node, scope: Scope, at: Attempt) -> Any:
    """An attempt with no breaker, no timeout, no hooks and no events: what :func:`_attempt`
    and :func:`_hooked` then do (the step scope, the input, the executor, the usage, the
    write), in one frame."""
    token = STEP_SCOPE.set(StepScope(rt.run_id, at.path, at.number))
    try:
        work = scope
        if at.input is UNSET:
            reader = node.input
            at.input = (
                scope.state
                if reader is None
                else reader.evaluate(scope.state, scope.adapter, path=at.path)
            )
            if reader is not None and not (isinstance(node, LeafNode) and node.kind != "workflow"):
                work = scope.isolated(at.input, node.state, what=f"input= of {at.path}")
        output = await rt.executors[type(node)](rt, node, work, at)
        if at.context is not None:
            _spent(rt, at)
        _write(node, scope, at.path, output)
    finally:
        STEP_SCOPE.reset(token)
    return output


def _spent(rt: Runtime, at: Attempt) -> None:
    """Count what the step's code spent through its ``StepContext`` for the step (and the
    ledger)."""
    assert at.context is not None
    spent = at.context.usage
    if not empty_usage(spent):
        at.entry.usage = add_usage(at.entry.usage, spent)
        if rt.ledger is not None:
            rt.ledger.finish([], spent)
            rt.ledger.check(before_request=False)


class _Deadline:
    """A step's ``timeout=`` for one attempt: the asyncio timeout and the error it becomes."""

    __slots__ = ("cancelling", "path", "seconds", "timeout")

    def __init__(self, seconds: float, path: str) -> None:
        self.seconds = seconds
        self.path = path
        self.timeout = asyncio.timeout(seconds)
        task = asyncio.current_task()
        self.cancelling = 0 if task is None else task.cancelling()

    def error(self) -> StepTimeoutError:
        """The step's timeout error."""
        return StepTimeoutError(
            f"Step {self.path!r} took longer than its timeout of {self.seconds:g} s.",
            path=self.path,
        )

    def mine(self) -> bool:
        """Whether the cancellation under way is this deadline's own, and no one else's."""
        task = asyncio.current_task()
        return (
            self.timeout.expired() and task is not None and task.cancelling() == self.cancelling + 1
        )


async def _timed(execute: Awaitable[Any], limit: _Deadline | None) -> Any:
    """Await the executor; its cancellation by the step's own timeout becomes StepTimeoutError
    here, inside the step hooks, so ``on_error`` hooks see the timeout, not a cancellation."""
    if limit is None:
        return await execute
    try:
        return await execute
    except asyncio.CancelledError as exc:
        if not limit.mine():
            raise
        expired = TimeoutError()
        expired.__cause__ = exc
        raise limit.error() from expired


def _cause(error: BaseException) -> BaseException:
    return error.error if isinstance(error, Failed) else error


def _hook_context(rt: Runtime, node: Node, at: Attempt, state: Any) -> HookContext:
    """The ``HookContext`` (kind "step") of an attempt; its ``StepContext`` kept on ``at``."""
    context = at.context = step_context(rt, at.entry, at.number, state)
    agent = getattr(node, "target", None) if at.entry.kind == "agent" else None
    return HookContext(
        kind="step",
        run=RunContext(
            rt.deps,
            run_id=rt.run_id,
            agent=getattr(agent, "name", ""),
            metadata=rt.metadata,
        ),
        path=at.path,
        attempt=at.number,
        step=context,
        started=time.perf_counter(),
    )


async def _hooked(
    rt: Runtime, node: Node, scope: Scope, at: Attempt, limit: _Deadline | None
) -> Any:
    """Resolve the input, run the executor inside the step hooks, write the output."""
    work = scope
    if at.input is UNSET:
        reader = node.input
        at.input = (
            scope.state
            if reader is None
            else reader.evaluate(scope.state, scope.adapter, path=at.path)
        )
        if reader is not None and not (isinstance(node, LeafNode) and node.kind != "workflow"):
            work = scope.isolated(at.input, node.state, what=f"input= of {at.path}")
    execute = rt.executors[type(node)]
    chain = rt.hooks
    if chain is None:
        if limit is None:
            output = await execute(rt, node, work, at)
        else:
            output = await _timed(execute(rt, node, work, at), limit)
    else:
        ctx = _hook_context(rt, node, at, work.state)
        output = await chain.call_step(
            ctx, at.input, lambda: _timed(execute(rt, node, work, at), limit)
        )
    if at.context is not None:
        _spent(rt, at)
    _write(node, scope, at.path, output)
    return output


def _write(node: Node, scope: Scope, path: str, output: Any) -> None:
    if node.output is not None:
        scope.write(node.output, output, path=path)
    elif isinstance(node, LeafNode) and node.kind != "workflow":
        scope.merge_output(output, path=path)


def empty_usage(usage: Usage) -> bool:
    """Whether ``usage`` counts nothing."""
    return not (usage.requests or usage.input_tokens or usage.output_tokens)
