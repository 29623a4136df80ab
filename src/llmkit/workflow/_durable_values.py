"""The stored forms of a durable workflow run's values: states, outputs, finished steps.

Values are stored as plain JSON; a pydantic model inside a dict state or an output is stored
with its class (``{"$model": "module:Qualname", "data": ...}``) and rebuilt on resume when
that class's module is imported (it is never imported from the store's say). In a model
state a field's value may also be anything pydantic writes as JSON (dates, UUIDs …): the model
validates it back. A tuple comes back as a list. A finished step is stored with its output,
its writes and its trace record, secrets redacted; :func:`snapshot` and :func:`changed` find
the top-level fields a step changed in place. Used by ``_durable`` (the store journal) and
``_dbos``.
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from llmkit._json import dumps
from llmkit._redact import redact
from llmkit.durable._errors import (
    NotStorableError,
    StoreFormatError,
)
from llmkit.durable._store import JSON, check_storable, is_plain_json
from llmkit.types import Usage
from llmkit.workflow._journal import FieldValue, StepDone
from llmkit.workflow._result import StepFailure
from llmkit.workflow._state import StateAdapter

if TYPE_CHECKING:
    pass

__all__ = [
    "STEP_PREFIX",
    "Snapshot",
    "changed",
    "decode",
    "done_from",
    "done_json",
    "encode",
    "model_class",
    "redacted_result",
    "snapshot",
    "state_json",
    "usage_json",
]

_MODEL = "$model"
_ESCAPE = "$dict"
_FIELD = "$field"
STEP_PREFIX = "step:"


# ------------------------------------------------------------------ values


def encode(value: Any, where: str, *, lenient: bool = False) -> JSON:
    """The stored form of ``value`` (see the module docstring); NotStorableError naming ``where``.

    What it returns is plain JSON (``is_plain_json``), so a store need not check it again.

    ``lenient``: a value plain JSON cannot hold is given in pydantic's JSON form when it has
    one (for a model state's fields, which validate it back).
    """
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int:
        return value
    if _as_is(value):
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
        check_storable(data, where)  # pydantic writes NaN and infinities as they are
        return {_MODEL: f"{cls.__module__}:{cls.__qualname__}", "data": data}
    if lenient:
        try:
            data = to_jsonable_python(value)
        except Exception:
            pass
        else:
            if is_plain_json(data):
                return data
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


def _lookup(module: Any, qualname: str) -> type[BaseModel] | None:
    found = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None


def model_class(name: str) -> type[BaseModel]:
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
            return model_class(data[_MODEL]).model_validate(data["data"])
        return {key: decode(item) for key, item in data.items()}
    return data


def state_json(adapter: StateAdapter, state: Any) -> JSON:
    """The state's stored form; NotStorableError naming the first field with none."""
    if adapter.model is None:
        return encode(state, "state")
    try:
        data: JSON = state.model_dump(mode="json")
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
    check_storable(data, "state")  # pydantic writes NaN and infinities as they are
    return data


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


def done_json(path: str, done: StepDone, lenient: bool) -> JSON:
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
    if type(done.duration) is not float or not math.isfinite(done.duration):  # a clock= of its own
        check_storable(done.duration, f"step {path!r}'s duration")
    # What most steps leave at its default is left out (a smaller checkpoint).
    usage = done.usage
    if usage.requests or usage.input_tokens or usage.output_tokens or usage.cost is not None:
        d["usage"] = usage_json(usage, f"step {path!r}'s usage")
    if done.reason:
        d["reason"] = done.reason
    if done.error is not None:
        d["error"] = _redacted_failure(done.error.to_dict())
    if done.run_ids:
        d["run_ids"] = list(done.run_ids)
    if done.continued:
        d["continued"] = True
    return d


def usage_json(usage: Usage, where: str) -> dict[str, JSON]:
    """``usage.to_dict()``, checked (a cost or a count given by hand may be a NaN)."""
    data = usage.to_dict()
    if not is_plain_json(data):
        check_storable(data, where)
    return data


def _redacted_failure(failure: Any) -> Any:
    """A failure's JSON form with secrets taken out of its message (what the store keeps)."""
    if isinstance(failure, dict) and isinstance(failure.get("message"), str):
        return {**failure, "message": redact(failure["message"])}
    return failure


def redacted_result(result: dict[str, Any]) -> dict[str, Any]:
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


def done_from(path: str, data: Any) -> StepDone:
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


Snapshot = dict[str, tuple[Any, str | None]]
"""Each top-level field of a state: its value and, unless :func:`_frozen`, its stored JSON text."""


def _frozen(value: Any) -> bool:
    """Whether ``value`` cannot change in place (a str, number, bool, None, or tuple of those)."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return True
    return kind is tuple and all(_frozen(item) for item in value)


def snapshot(adapter: StateAdapter, state: Any, stored: JSON = None) -> Snapshot:
    """The state's top-level fields, each with the JSON text of its stored form unless its value
    cannot change in place (compared by identity instead). ``stored`` is the state's stored form
    when it was already made (for the checkpoint); a model state's is made when a field needs it.
    NotStorableError names a field with no JSON form."""
    is_model = adapter.model is not None
    items = dict(state).items() if is_model else state.items()
    out: Snapshot = {}
    for field, value in items:
        if _frozen(value):
            out[field] = (value, None)
            continue
        if stored is None and is_model:
            stored = state_json(adapter, state)
        if stored is None:
            out[field] = (value, dumps(encode(value, f"state[{field!r}]")))
            continue
        data = stored
        if type(data) is dict and len(data) == 1 and _ESCAPE in data:
            data = data[_ESCAPE]
        if type(data) is dict and field in data:  # a model's excluded field is not stored
            out[field] = (value, dumps(data[field]))
    return out


def changed(old: tuple[Any, str | None] | None, new: tuple[Any, str | None], field: str) -> bool:
    """Whether a field went from ``old`` (None: it was not there) to ``new`` (see :func:`snapshot`)."""
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
