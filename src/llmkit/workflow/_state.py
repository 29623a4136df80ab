"""The workflow state: reading and writing it the same way for pydantic models and dicts.

A state is a pydantic model instance or a dict. One :class:`StateAdapter` per state type
(cached) does every read and write, so the rules hold everywhere:

- a write to a model checks the field exists (else :class:`~llmkit.errors.StateValidationError`
  naming the step, the field and the model's fields), then validates the value as pydantic's
  ``validate_assignment`` does (field validators, assignment model validators, coercion) and
  sets it in place; a value that fails validation raises ``StateValidationError`` with the
  ``ValidationError`` as its cause, and the field keeps its old value;
- a write to a dict sets the key;
- an output merged field by field (a model or a mapping returned by a step without
  ``output=``) writes each field in the output's order; the first invalid one raises and the
  fields written before it stay.

A :class:`Scope` is the state a subtree works on and, for a branch working on its own copy,
the log of its writes, replayed onto the parent state in declared order when the branches end.
Nothing here changes the caller's object: a run works on :meth:`StateAdapter.copy`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from llmkit.errors import StateValidationError, StepInputError, UsageError

__all__ = [
    "Scope",
    "StateAdapter",
    "WriteLog",
    "adapter_for",
    "adapter_of",
    "initial_state",
    "structured_items",
]

WriteLog: TypeAlias = list[tuple[str, Any, str]]
"""The writes of a branch working on a copy: ``(field, value, step path)`` in the order made."""


def _fields_text(fields: Any) -> str:
    return ", ".join(sorted(fields)) or "none"


class StateAdapter:
    """Reads, writes, copies and serialises states of one type (a model class, or ``dict``)."""

    __slots__ = ("_fields", "model")

    def __init__(self, model: type[BaseModel] | None) -> None:
        self.model = model
        """The state's model class, or None for dict states."""
        self._fields = None if model is None else frozenset(model.model_fields)

    @property
    def fields(self) -> frozenset[str] | None:
        """The fields a state of this type has (None for dicts: any key)."""
        return self._fields

    def _name(self) -> str:
        return "the state" if self.model is None else self.model.__name__

    def copy(self, state: Any) -> Any:
        """A shallow copy of ``state``."""
        if self.model is None:
            return dict(state)
        return state.model_copy()

    def get(self, state: Any, field: str) -> Any:
        """The value of ``field`` (None when a dict state lacks the key)."""
        if self.model is None:
            return state.get(field)
        return getattr(state, field)

    def view(self, state: Any) -> Mapping[str, Any]:
        """The top-level fields as plain data, for the expression evaluator."""
        fields: Mapping[str, Any] = state if self.model is None else state.model_dump(mode="python")
        return fields

    def check_field(self, field: str, *, path: str) -> None:
        """Raise StateValidationError when a state of this type has no ``field``."""
        if self._fields is not None and field not in self._fields:
            raise StateValidationError(
                f"Step {path!r} writes {field!r}, which {self._name()} does not have "
                f"(its fields: {_fields_text(self._fields)}).",
                path=path,
            )

    def write(self, state: Any, field: str, value: Any, *, path: str) -> None:
        """Validate ``value`` and set ``field`` of ``state`` in place; StateValidationError if invalid."""
        if self.model is None:
            state[field] = value
            return
        self.check_field(field, path=path)
        before = state.__dict__.get(field)
        fields_set = set(state.model_fields_set)
        try:
            self.model.__pydantic_validator__.validate_assignment(state, field, value)
        except ValidationError as exc:
            # A model validator runs after the field is set: put the old value back.
            state.__dict__[field] = before
            state.__pydantic_fields_set__ = fields_set
            raise StateValidationError(
                f"Step {path!r} wrote an invalid value to {field!r}: {_first_error(exc)}",
                path=path,
            ) from exc

    def merge(self, state: Any, output: Any, *, path: str) -> bool:
        """Write a model's or a mapping's fields one by one; False (nothing written) for other outputs."""
        items = structured_items(output, path=path)
        if items is None:
            return False
        for field, value in items:
            self.write(state, field, value, path=path)
        return True

    def to_json(self, state: Any) -> Any:
        """The state as JSON data (models in pydantic's JSON mode, other values by repr)."""
        if self.model is not None:
            return state.model_dump(mode="json")
        return to_jsonable_python(state, fallback=repr)

    def from_json(self, data: Any) -> Any:
        """A state of this type from its JSON data."""
        if self.model is None:
            return dict(data)
        return self.model.model_validate(data)


@functools.cache
def adapter_of(model: type[BaseModel] | None) -> StateAdapter:
    """The (cached) adapter of states of type ``model`` (None: dict states)."""
    return StateAdapter(model)


def adapter_for(state: Any) -> StateAdapter:
    """The adapter of ``state``'s type."""
    if type(state) is dict:
        return adapter_of(None)
    return adapter_of(type(state) if isinstance(state, BaseModel) else None)


def initial_state(value: Any, model: type[BaseModel] | None = None, *, what: str) -> Any:
    """The state a run (or an isolated subtree) works on: a copy of ``value``, never the object itself.

    None is ``{}``; a mapping is copied into a dict (validated into ``model`` when given); a
    model is shallow-copied (a model of another type than ``model`` is refused). ``what``
    names the caller in messages (``"Workflow.run()"``, ``"input= of article/review"``).
    """
    if value is None:
        value = {}
    if type(value) is dict and model is None:
        return dict(value)  # what the Mapping case below gives, without the ABC checks
    if isinstance(value, BaseModel):
        if model is not None and not isinstance(value, model):
            raise StepInputError(
                f"{what} takes a {model.__name__} (or a dict of its fields) as the state, not a "
                f"{type(value).__name__}."
            )
        return value.model_copy()
    if isinstance(value, Mapping):
        if model is None:
            return dict(value)
        try:
            return model.model_validate(dict(value))
        except ValidationError as exc:
            raise StepInputError(
                f"{what}: the state does not fit {model.__name__}: {_first_error(exc)}"
            ) from exc
    raise UsageError(
        f"{what} takes a pydantic model or a dict as the state, not {type(value).__name__}."
    )


def structured_items(output: Any, *, path: str) -> list[tuple[str, Any]] | None:
    """The ``(field, value)`` pairs a structured output merges, in its order; None for other outputs."""
    if isinstance(output, BaseModel):
        return [(name, getattr(output, name)) for name in type(output).model_fields]
    if not isinstance(output, Mapping):
        return None
    items = list(output.items())
    for key, _ in items:
        if not isinstance(key, str):
            raise StateValidationError(
                f"Step {path!r} returned a mapping with the key {key!r}; state fields are "
                "names (str).",
                path=path,
            )
    return items


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    if not errors:
        return str(exc)
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    message = str(first.get("msg", "invalid"))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{message}{more}" if not where else f"{message} (at {where}){more}"


@dataclass(slots=True)
class Scope:
    """The state a subtree works on, with the log of its writes when it works on a copy."""

    state: Any
    """The state (a model or a dict)."""
    adapter: StateAdapter
    """The adapter of its type."""
    log: WriteLog | None = None
    """Writes made on this copy, in order (None for a scope that is not a branch copy)."""

    def write(self, field: str, value: Any, *, path: str) -> None:
        """Validate and set ``field``; logged when this scope is a branch copy."""
        self.adapter.write(self.state, field, value, path=path)
        if self.log is not None:
            self.log.append((field, value, path))

    def merge_output(self, output: Any, *, path: str) -> bool:
        """Write a structured output field by field (see :meth:`StateAdapter.merge`); logged too."""
        items = structured_items(output, path=path)
        if items is None:
            return False
        for field, value in items:
            self.write(field, value, path=path)
        return True

    def branch(self, *, writes: bool) -> Scope:
        """The scope of a parallel branch: a logged copy when it writes, else this state shared."""
        if not writes:
            return Scope(self.state, self.adapter)
        return Scope(self.adapter.copy(self.state), self.adapter, [])

    def replay(self, log: WriteLog) -> None:
        """Replay a branch's writes onto this scope, in their order (validated again)."""
        for field, value, path in log:
            self.write(field, value, path=path)

    def isolated(self, value: Any, model: type[BaseModel] | None, *, what: str) -> Scope:
        """A new root scope for an isolated subtree (``input=`` on a combinator, a map item)."""
        if value is not None and not isinstance(value, BaseModel | Mapping):
            raise StepInputError(f"{what} gave a {type(value).__name__}, not a dict or a model.")
        state = initial_state(value, model, what=what)
        return Scope(state, adapter_for(state))
