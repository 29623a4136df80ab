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

Values are stored as plain JSON; a pydantic model inside a dict state or an output is stored
with its class (``{"$model": "module:Qualname", "data": ...}``) and rebuilt on resume when
that class's module is imported (it is never imported from the store's say). In a
model state a field's value may also be anything pydantic writes as JSON (dates, UUIDs …):
the model validates it back. A tuple comes back as a list.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from llmkit._json import dumps
from llmkit._redact import redact
from llmkit.durable._errors import (
    NotStorableError,
    StoreFormatError,
)
from llmkit.durable._store import JSON, Claim, Store, check_storable, is_plain_json
from llmkit.errors import UsageError
from llmkit.types import Usage
from llmkit.workflow._fingerprint import fingerprint
from llmkit.workflow._journal import FieldValue, StepDone
from llmkit.workflow._result import StepFailure
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

_MODEL = "$model"
_ESCAPE = "$dict"
_FIELD = "$field"
_STEP = "step:"


def check_store(store: object, method: str) -> Store:
    """``store`` if it is a Store, else a UsageError saying what to pass."""
    if not isinstance(store, Store):
        raise UsageError(
            f"Workflow.{method}(store=...) takes a durable store, such as "
            f"SQLiteStore('runs.db') or MemoryStore(), not {type(store).__name__}."
        )
    return store


# ------------------------------------------------------------------ values


def encode(value: Any, where: str, *, lenient: bool = False) -> JSON:
    """The stored form of ``value`` (see the module docstring); NotStorableError naming ``where``.

    ``lenient``: a value plain JSON cannot hold is given in pydantic's JSON form when it has
    one (for a model state's fields, which validate it back).
    """
    if _as_is(value):
        return value
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int:
        return value
    if kind is float:
        check_storable(value, where)
        return value
    if isinstance(value, dict):
        out: dict[str, JSON] = {}
        for key, item in value.items():
            if type(key) is not str:
                check_storable({key: None}, where)
            out[key] = encode(item, f"{where}[{key!r}]", lenient=lenient)
        return {_ESCAPE: out} if _MODEL in out or _ESCAPE in out or _FIELD in out else out
    if isinstance(value, list | tuple):
        return [encode(item, f"{where}[{i}]", lenient=lenient) for i, item in enumerate(value)]
    if isinstance(value, BaseModel):
        cls = type(value)
        try:
            data = value.model_dump(mode="json")
        except Exception as exc:
            raise NotStorableError(
                f"{where} is a {cls.__name__} that pydantic cannot write as JSON ({exc}); give "
                "its fields JSON-friendly types."
            ) from exc
        return {_MODEL: f"{cls.__module__}:{cls.__qualname__}", "data": data}
    if lenient:
        try:
            return to_jsonable_python(value)
        except Exception:
            pass
    check_storable(value, where)
    return value  # pragma: no cover  (check_storable raised)


def _as_is(value: Any) -> bool:
    """Whether ``value`` is its own stored form: plain JSON with no tuple, no model, and no
    dict holding a key the stored form reserves (checked without naming the parts)."""
    kind = type(value)
    if kind is dict:
        if _MODEL in value or _ESCAPE in value or _FIELD in value:
            return False
        for key, item in value.items():
            kind = type(key)
            if kind is not str:
                return False
            kind = type(item)
            if not (kind is str or kind is int or kind is bool or item is None) and not (
                _as_is(item)
            ):
                return False
        return True
    if kind is list:
        for item in value:
            kind = type(item)
            if not (kind is str or kind is int or kind is bool or item is None) and not (
                _as_is(item)
            ):
                return False
        return True
    return kind is not tuple and is_plain_json(value)


def _empty(usage: Usage) -> bool:
    """Whether ``usage`` counts nothing (a step with no model call)."""
    return not (
        usage.requests
        or usage.input_tokens
        or usage.output_tokens
        or usage.cache_read_tokens
        or usage.cache_write_tokens
        or usage.reasoning_tokens
        or usage.estimated
        or usage.cost is not None
    )


def _lookup(module: Any, qualname: str) -> type[BaseModel] | None:
    found = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None


def _model_class(name: str) -> type[BaseModel]:
    module, _, qualname = name.partition(":")
    found = _lookup(sys.modules.get(module), qualname)
    if found is None and module == "__main__":
        # Run as a script, resumed from an import of it (``llmkit runs resume --app``): the
        # one imported class of that name, if there is exactly one.
        seen = {id(c): c for m in list(sys.modules.values()) if (c := _lookup(m, qualname))}
        found = next(iter(seen.values())) if len(seen) == 1 else None
    if found is None:
        if "<locals>" in qualname:
            raise StoreFormatError(
                f"A checkpoint holds a {qualname} from {module}: a class defined inside a "
                "function cannot be found again; define it at the top level of its module."
            )
        raise StoreFormatError(
            f"A checkpoint holds a {qualname} from {module}, which is not imported here; import "
            "the module that defines it before resuming."
        )
    return found


def decode(data: JSON) -> Any:
    """A value from its stored form (the inverse of :func:`encode`)."""
    kind = type(data)
    if kind is list:
        return [decode(item) for item in data]
    if kind is dict:
        if len(data) == 1 and _ESCAPE in data:
            return {key: decode(item) for key, item in data[_ESCAPE].items()}
        if len(data) == 2 and _MODEL in data and "data" in data:
            return _model_class(data[_MODEL]).model_validate(data["data"])
        return {key: decode(item) for key, item in data.items()}
    return data


def _state_json(adapter: StateAdapter, state: Any) -> JSON:
    """The state's stored form; NotStorableError naming the first field with none."""
    if adapter.model is None:
        return encode(state, "state")
    try:
        return state.model_dump(mode="json")
    except Exception:
        for name in adapter.model.model_fields:
            try:
                state.model_dump(mode="json", include={name})
            except Exception as exc:
                raise NotStorableError(
                    f"state.{name} has no JSON form ({type(exc).__name__}: {exc}); give the "
                    "field a type pydantic can write as JSON."
                ) from exc
        raise


def _output_json(path: str, done: StepDone, lenient: bool) -> JSON:
    try:
        return encode(done.output, "its output")
    except NotStorableError:
        if lenient:
            # The value it wrote to a model state's field: read back from the state on resume.
            for field, value in reversed(done.writes):
                if value is done.output:
                    return {_FIELD: field}
        raise


def _done_json(path: str, done: StepDone, lenient: bool) -> JSON:
    try:
        writes = [
            [field, encode(value, f"state.{field}", lenient=lenient)]
            for field, value in done.writes
        ]
        output = _output_json(path, done, lenient)
    except NotStorableError as exc:
        raise NotStorableError(f"Step {path!r} cannot be checkpointed: {exc}") from exc
    d: dict[str, JSON] = {
        "output": output,
        "writes": writes,
        "status": done.status,
        "attempts": done.attempts,
        "duration": done.duration,
    }
    # What most steps leave at its default is left out (a smaller checkpoint).
    usage = done.usage
    if usage.requests or usage.input_tokens or usage.output_tokens or usage.cost is not None:
        d["usage"] = usage.to_dict()
    if done.reason:
        d["reason"] = done.reason
    if done.error is not None:
        d["error"] = _redacted_failure(done.error.to_dict())
    if done.run_ids:
        d["run_ids"] = list(done.run_ids)
    if done.continued:
        d["continued"] = True
    return d


def _redacted_failure(failure: Any) -> Any:
    """A failure's JSON form with secrets taken out of its message (what the store keeps)."""
    if isinstance(failure, dict) and isinstance(failure.get("message"), str):
        return {**failure, "message": redact(failure["message"])}
    return failure


def _redacted_result(result: dict[str, Any]) -> dict[str, Any]:
    """A result's JSON form with the failures it kept (trace records, ``errors``) redacted."""
    trace = result.get("trace")
    if isinstance(trace, list):
        result["trace"] = [
            {**record, "error": _redacted_failure(record["error"])}
            if isinstance(record, dict) and "error" in record
            else record
            for record in trace
        ]
    errors = result.get("errors")
    if isinstance(errors, list):
        result["errors"] = [_redacted_failure(failure) for failure in errors]
    return result


def _done_from(path: str, data: Any) -> StepDone:
    try:
        error = data.get("error")
        output = data["output"]
        is_field = type(output) is dict and len(output) == 1 and _FIELD in output
        return StepDone(
            output=FieldValue(output[_FIELD]) if is_field else decode(output),
            writes=tuple((str(field), decode(value)) for field, value in data["writes"]),
            status=data["status"],
            attempts=int(data["attempts"]),
            duration=float(data["duration"]),
            usage=Usage.from_dict(data.get("usage") or {}),
            reason=str(data.get("reason") or ""),
            error=None if error is None else StepFailure.from_dict(error),
            run_ids=tuple(data.get("run_ids") or ()),
            continued=bool(data.get("continued")),
            resumed=True,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StoreFormatError(
            f"The checkpoint of step {path!r} is malformed ({type(exc).__name__}: {exc}); delete "
            "the run and start it again."
        ) from exc


# ----------------------------------------------------------------- journal


_Snapshot = dict[str, tuple[Any, str | None]]
"""Each top-level field of a state: its value and, unless :func:`_frozen`, its stored JSON text."""


def _frozen(value: Any) -> bool:
    """Whether ``value`` cannot change in place (a str, number, bool, None, or tuple of those)."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return True
    return kind is tuple and all(_frozen(item) for item in value)


def _snapshot(adapter: StateAdapter, state: Any, stored: JSON = None) -> _Snapshot:
    """The state's top-level fields, each with the JSON text of its stored form unless its value
    cannot change in place (compared by identity instead). ``stored`` is the state's stored form
    when it was already made (for the checkpoint); a model state's is made when a field needs it.
    NotStorableError names a field with no JSON form."""
    is_model = adapter.model is not None
    items = dict(state).items() if is_model else state.items()
    out: _Snapshot = {}
    for field, value in items:
        if _frozen(value):
            out[field] = (value, None)
            continue
        if stored is None and is_model:
            stored = _state_json(adapter, state)
        if stored is None:
            out[field] = (value, dumps(encode(value, f"state[{field!r}]")))
            continue
        data = stored
        if type(data) is dict and len(data) == 1 and _ESCAPE in data:
            data = data[_ESCAPE]
        if type(data) is dict and field in data:  # a model's excluded field is not stored
            out[field] = (value, dumps(data[field]))
    return out


def _changed(old: tuple[Any, str | None] | None, new: tuple[Any, str | None], field: str) -> bool:
    """Whether a field went from ``old`` (None: it was not there) to ``new`` (see :func:`_snapshot`)."""
    if old is None:
        return True
    old_value, old_text = old
    value, text = new
    if value is old_value and text is None:
        return False  # the same value, which cannot have changed in place
    where = f"state[{field!r}]"
    if old_text is None:
        old_text = dumps(encode(old_value, where))
    if text is None:
        text = dumps(encode(value, where))
    return text != old_text


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
            key[len(_STEP) :]: value for key, value in recorded.items() if key.startswith(_STEP)
        }
        self._written: set[str] = set()
        self._before: _Snapshot | None = None  # the state's fields after the last step run
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
                return _done_from(path, data)
            before = self._before
            if before is None:
                before = _snapshot(self._scope.adapter, self._scope.state)
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

    def _changed_in_place(self, path: str, done: StepDone, before: _Snapshot) -> StepDone:
        """``done`` with a write added for each field of the state it changed in place (a list
        it appended to), so a resume applies that change again where the step stands.

        A field whose value cannot change in place (a str, number, tuple of those …) and is the
        same object as before the step is not encoded; the state's stored form is made only
        when the step wrote (it is checkpointed), and its fields' texts are taken from it."""
        adapter, state = self._scope.adapter, self._scope.state
        try:
            stored = _state_json(adapter, state) if done.writes else None
            after = _snapshot(adapter, state, stored)
            written = {field for field, _ in done.writes}
            extra = tuple(
                (field, adapter.get(state, field))
                for field, new in after.items()
                if field not in written and _changed(before.get(field), new, field)
            )
            if extra and stored is None:
                stored = _state_json(adapter, state)
        except NotStorableError as exc:
            _done_json(path, done, self._lenient)  # names the write that has no JSON form
            raise NotStorableError(f"Step {path!r} cannot be checkpointed: {exc}") from exc
        self._before = after
        self._state = stored
        return dataclasses.replace(done, writes=done.writes + extra) if extra else done

    async def _record(self, path: str, done: StepDone) -> None:
        put: dict[str, JSON] = {_STEP + path: _done_json(path, done, self._lenient)}
        if done.writes:
            put["state"] = self._state
        self._steps += 1
        # A fallback's usage is counted in its step's.
        if "/fallback" not in path and not _empty(done.usage):
            self._usage = self._usage + done.usage
            self._usage_json = None
        if self._usage_json is None:
            self._usage_json = self._usage.to_dict()
        forget = self._forget
        self._forget = set()
        try:
            await self.store.checkpoint(
                self.claim, put, delete=forget, steps=self._steps, usage=self._usage_json
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
                self._forget.add(_STEP + key)

    async def finish(self, result: WorkflowResult[Any]) -> None:
        """Record the run as finished with ``result``'s JSON form."""
        await self.store.finish_run(
            self.claim, status="finished", result=_redacted_result(result.to_dict())
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
    data = _state_json(scope.adapter, scope.state)
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
        model = _model_class(name)
    if model is None:
        return decode(data)
    return model.model_validate(data)
