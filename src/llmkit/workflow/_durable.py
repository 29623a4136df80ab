"""Durable workflow runs on a store: checkpoints at step boundaries, resume, the definition's fingerprint.

``flow.run(state, store=store, run_id=...)`` creates the run in the store
(:meth:`~llmkit.durable.Store.start_run`, kind ``"workflow"``, with the definition's
:func:`~llmkit.workflow._fingerprint.fingerprint`) and stores beside it the state it starts
from (``meta["input"]``; a state with no JSON form fails here with
:class:`~llmkit.durable.NotStorableError` naming the field, and no run is created). Then
:class:`StoreJournal` (the store side of ``_journal``'s seam) checkpoints each finished leaf
step under ``"step:<path>"``: its output, the state writes it made, its trace record (status,
attempts, duration, usage, error, agent run ids), with the run's step count and usage, and,
when it wrote, the state after it under ``"state"``, all in one transaction. A top-level field
the step changed in place (``s["log"].append(...)``, no write) is recorded as a write of that
field's new value, so a resume re-applies it where the step stands and the resumed run's state
equals the uninterrupted one's (a change inside a parallel branch's copy is not seen). A value with no
JSON form stops the run with ``NotStorableError`` naming the field (``state.draft``) or the
step's output, when that step's checkpoint is written; a write that fails stops it with
:class:`~llmkit.durable.CheckpointError`; in both cases the last good checkpoint stays and a
resume continues from it. The run ends with ``finish_run``: finished with the result's JSON
form, or failed with the error (a failed run can be resumed). Every error message the store
keeps (the run's, a step's kept failure) has its secrets redacted (``llmkit._redact``).

``Workflow.resume`` (``_resume``) claims the run and runs the workflow again with a
:class:`StoreJournal` made from the checkpoints it had (:class:`Reopened`), so every step
already checkpointed is answered by the journal (see ``_journal`` for what that means for
combinators).

The stored forms of states, outputs and finished steps are in ``_durable_values``.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from llmkit._redact import redact
from llmkit.durable._errors import (
    NotStorableError,
    StoreFormatError,
)
from llmkit.durable._store import JSON, Claim, Store, checkpoint_checked
from llmkit.errors import UsageError
from llmkit.types import Usage
from llmkit.workflow._durable_values import (
    STEP_PREFIX,
    Snapshot,
    changed,
    decode,
    done_from,
    done_json,
    encode,
    model_class,
    redacted_result,
    snapshot,
    state_json,
    usage_json,
)
from llmkit.workflow._fingerprint import fingerprint
from llmkit.workflow._journal import StepDone
from llmkit.workflow._result import blank_usage
from llmkit.workflow._state import Scope, StateAdapter

if TYPE_CHECKING:
    from llmkit.workflow._result import WorkflowResult
    from llmkit.workflow._spec import Node

__all__ = [
    "Reopened",
    "StoreJournal",
    "check_store",
    "decode",
    "encode",
    "first_state",
    "open_journal",
]


_NOTHING = (object(), None)  # a field that was not there before the step


def check_store(store: object, method: str) -> Store:
    """``store`` if it is a Store, else a UsageError saying what to pass."""
    if not isinstance(store, Store):
        raise UsageError(
            f"Workflow.{method}(store=...) takes a durable store, such as "
            f"SQLiteStore('runs.db') or MemoryStore(), not {type(store).__name__}."
        )
    return store


class StoreJournal:
    """The journal of one durable run on a store (see ``_journal`` and the module docstring)."""

    def __init__(
        self,
        store: Store,
        claim: Claim,
        scope: Scope,
        recorded: Mapping[str, JSON],
        *,
        steps: int = 0,
        usage: Usage | None = None,
    ) -> None:
        self.store = store
        self.claim = claim
        self._scope = scope
        self._lenient = scope.adapter.model is not None
        self._recorded = {
            key[len(STEP_PREFIX) :]: value
            for key, value in recorded.items()
            if key.startswith(STEP_PREFIX)
        }
        self._written: set[str] = set()
        self._before: Snapshot | None = None  # the state's fields after the last step run
        self._forget: set[str] = set()
        self._steps = steps
        self._usage = usage or Usage()
        self._usage_json: dict[str, JSON] | None = None  # the JSON form of _usage, once made
        self._state: JSON = None  # the state's stored form after the last step run
        self.error: Exception | None = None
        """The error that stopped the run here (a checkpoint that failed), once one did."""

    async def step(self, path: str, run: Callable[[], Awaitable[StepDone]]) -> StepDone:
        """The recorded outcome of the step at ``path``, else ``run()``'s, checkpointed."""
        data = self._recorded.get(path)
        try:
            if data is not None:
                self._before = None  # the state moves on as its writes are applied again
                return done_from(path, data)
            before = self._before
            if before is None:
                before = snapshot(self._scope.adapter, self._scope.state)
            done = await run()
        except StoreFormatError as exc:
            self.error = exc
            raise
        try:
            done = self._changed_in_place(path, done, before)
            await self._record(path, done)
        except Exception as exc:
            self.error = exc
            raise
        return done

    def _changed_in_place(self, path: str, done: StepDone, before: Snapshot) -> StepDone:
        """``done`` with a write added for each field of the state it changed in place (a list
        it appended to), so a resume applies that change again where the step stands.

        A field whose value cannot change in place (a str, number, tuple of those …) and is the
        same object as before the step is not encoded; the state's stored form is made only
        when the step wrote (it is checkpointed), and its fields' texts are taken from it."""
        adapter, state = self._scope.adapter, self._scope.state
        try:
            stored = state_json(adapter, state) if done.writes else None
            after = snapshot(adapter, state, stored)
            writes = done.writes
            extra: tuple[tuple[str, Any], ...] = ()
            for field, new in after.items():
                if new[1] is None and before.get(field, _NOTHING)[0] is new[0]:
                    continue  # the same value, which cannot have changed in place
                for name, _ in writes:
                    if name == field:
                        break  # written: its write is recorded
                else:
                    if changed(before.get(field), new, field):
                        extra += ((field, adapter.get(state, field)),)
            if extra and stored is None:
                stored = state_json(adapter, state)
        except NotStorableError as exc:
            done_json(path, done, self._lenient)  # names the write that has no JSON form
            raise NotStorableError(f"Step {path!r} cannot be checkpointed: {exc}") from exc
        self._before = after
        self._state = stored
        return dataclasses.replace(done, writes=done.writes + extra) if extra else done

    async def _record(self, path: str, done: StepDone) -> None:
        put: dict[str, JSON] = {STEP_PREFIX + path: done_json(path, done, self._lenient)}
        if done.writes:
            put["state"] = self._state
        self._steps += 1
        # A fallback's usage is counted in its step's.
        if "/fallback" not in path and not blank_usage(done.usage):
            self._usage = self._usage + done.usage
            self._usage_json = None
        if self._usage_json is None:
            self._usage_json = usage_json(self._usage, "the run's usage")
        forget = self._forget
        self._forget = set()
        try:
            # Every value here is plain JSON already (``_durable_values``): not checked again.
            await checkpoint_checked(
                self.store,
                self.claim,
                put,
                delete=forget,
                steps=self._steps,
                usage=self._usage_json,
            )
        except BaseException:
            self._forget |= forget
            raise
        self._written.add(path)

    def restart(self, path: str) -> None:
        """Forget (here and, at the next checkpoint, in the store) every step under ``path``."""
        prefixes = (path + "/", path + "[")
        for known in (self._recorded, self._written):
            for key in [key for key in known if key.startswith(prefixes)]:
                if isinstance(known, dict):
                    del known[key]
                else:
                    known.discard(key)
                self._forget.add(STEP_PREFIX + key)

    async def finish(self, result: WorkflowResult[Any]) -> None:
        """Record the run as finished with ``result``'s JSON form."""
        await self.store.finish_run(
            self.claim, status="finished", result=redacted_result(result.to_dict())
        )

    async def fail(self, error: BaseException) -> None:
        """Record the run as failed (resumable), if the store still lets this process write it."""
        message = redact(f"{type(error).__name__}: {error}")
        with contextlib.suppress(Exception):
            await self.store.finish_run(self.claim, status="failed", error=message)


# ---------------------------------------------------------------- open/resume


class Reopened:
    """A stored run claimed for a resume: the claim and the checkpoints it had."""

    __slots__ = ("checkpoints", "claim", "steps", "usage")

    def __init__(
        self, claim: Claim, checkpoints: dict[str, JSON], *, steps: int, usage: Usage
    ) -> None:
        self.claim = claim
        self.checkpoints = checkpoints
        self.steps = steps
        self.usage = usage


def _state_type(adapter: StateAdapter) -> str | None:
    model = adapter.model
    return None if model is None else f"{model.__module__}:{model.__qualname__}"


async def open_journal(
    store: Store, root: Node, scope: Scope, run_id: str, reopened: Reopened | None
) -> StoreJournal:
    """The journal of a new durable run (created in ``store``), or of a resumed one."""
    if reopened is not None:
        return StoreJournal(
            store,
            reopened.claim,
            scope,
            reopened.checkpoints,
            steps=reopened.steps,
            usage=reopened.usage,
        )
    data = state_json(scope.adapter, scope.state)
    claim = await store.start_run(
        run_id,
        kind="workflow",
        name=root.name,
        fingerprint=fingerprint(root),
        meta={"state_type": _state_type(scope.adapter), "input": data},
    )
    return StoreJournal(store, claim, scope, {})


def first_state(root: Node, meta: Mapping[str, JSON]) -> Any:
    """The state a stored run of ``root`` started from (its ``meta["input"]``), rebuilt."""
    data = meta.get("input")
    if data is None:
        raise StoreFormatError("The run has no stored first state; it cannot be resumed.")
    model = root.state
    name = meta.get("state_type")
    if model is None and isinstance(name, str):
        model = model_class(name)
    if model is None:
        return decode(data)
    return model.model_validate(data)
