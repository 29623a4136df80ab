"""What ``Agent.override(...)`` swaps for the runs started in a ``with`` block.

One :class:`Overrides` per agent, held in a context variable: a block
applies to runs started in its thread or task and in tasks it starts
(``run_sync`` included), blocks nest (an inner one changes what it names and
keeps the rest of the outer one), and leaving a block restores what was
before. A run reads it once, when it starts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from llmkit.errors import UsageError

if TYPE_CHECKING:
    from llmkit.providers.base import Model

__all__ = ["UNSET", "Overrides"]

UNSET: Any = object()
"""An option not given (``None`` may be a value: ``deps=None``)."""


class Overrides:
    """An agent's overrides of its model, its runs' deps and the next run's id."""

    __slots__ = ("_current",)

    def __init__(self, name: str) -> None:
        self._current: ContextVar[dict[str, Any] | None] = ContextVar(name, default=None)

    @contextmanager
    def scope(
        self, *, model: Model | str = UNSET, deps: Any = UNSET, run_id: str = UNSET
    ) -> Iterator[None]:
        """Within the block, the values given replace the agent's (and an outer block's)."""
        new: dict[str, Any] = dict(self._current.get() or {})
        if model is not UNSET:
            from llmkit.providers import model as make_model

            new["model"] = make_model(model)
        if deps is not UNSET:
            new["deps"] = deps
        if run_id is not UNSET:
            if not isinstance(run_id, str) or not run_id:
                raise UsageError(f"override(run_id=...) takes a non-empty string, not {run_id!r}.")
            new["run_id"] = run_id
        token = self._current.set(new)
        try:
            yield
        finally:
            self._current.reset(token)

    def model(self) -> Model | None:
        """The model put in place, or None."""
        current = self._current.get()
        if current is None:
            return None
        model: Model | None = current.get("model")
        return model

    def deps(self, deps: Any) -> Any:
        """The deps put in place, else ``deps`` (the run's, else the agent's)."""
        current = self._current.get()
        if current is not None and "deps" in current:
            return current["deps"]
        return deps

    def run_id(self) -> str:
        """The id of a run starting now: the one put in place, else a new one."""
        current = self._current.get()
        if current is not None and "run_id" in current:
            run_id: str = current["run_id"]
            return run_id
        return uuid.uuid4().hex
