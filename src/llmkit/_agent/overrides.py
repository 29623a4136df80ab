"""What ``Agent.override(...)`` swaps for the runs started in a ``with`` block.

One :class:`Overrides` per agent, held in a context variable: a block
applies to runs started in its thread or task and in tasks it starts
(``run_sync`` included), blocks nest (an inner one changes what it names and
keeps the rest of the outer one), and leaving a block restores what was
before. A run reads it once, when it starts.

The block is an :class:`OverrideScope`, a plain class rather than a
generator-based context manager: the workflow runner enters one around every
agent step, so entering and leaving costs one dict and one context-variable
set and reset. It checks and applies its values when entered, not when made,
and is entered once.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from types import TracebackType
from typing import TYPE_CHECKING, Any

from llmkit._ids import new_id
from llmkit.errors import UsageError

if TYPE_CHECKING:
    from llmkit.providers.base import Model

__all__ = ["UNSET", "OverrideScope", "Overrides"]

UNSET: Any = object()
"""An option not given (``None`` may be a value: ``deps=None``)."""


class Overrides:
    """An agent's overrides of its model, its runs' deps and the next run's id."""

    __slots__ = ("_current",)

    def __init__(self, name: str) -> None:
        self._current: ContextVar[dict[str, Any] | None] = ContextVar(name, default=None)

    def scope(
        self, *, model: Model | str = UNSET, deps: Any = UNSET, run_id: str = UNSET
    ) -> OverrideScope:
        """Within the block, the values given replace the agent's (and an outer block's)."""
        return OverrideScope(self._current, model, deps, run_id)

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
        return new_id()


class OverrideScope:
    """One ``with agent.override(...)`` block: sets the agent's overrides on entry, restores on exit.

    Entered once; entering it again while it is active raises :class:`UsageError`.
    """

    __slots__ = ("_deps", "_model", "_run_id", "_token", "_var")

    def __init__(
        self, var: ContextVar[dict[str, Any] | None], model: Any, deps: Any, run_id: Any
    ) -> None:
        self._var = var
        self._model = model
        self._deps = deps
        self._run_id = run_id
        self._token: Token[dict[str, Any] | None] | None = None

    def __enter__(self) -> None:
        if self._token is not None:
            raise UsageError(
                "This override block is already active; call agent.override(...) again "
                "for a second block."
            )
        current = self._var.get()
        new: dict[str, Any] = {} if current is None else dict(current)
        if self._model is not UNSET:
            from llmkit.providers import model as make_model

            new["model"] = make_model(self._model)
        if self._deps is not UNSET:
            new["deps"] = self._deps
        run_id = self._run_id
        if run_id is not UNSET:
            if not isinstance(run_id, str) or not run_id:
                raise UsageError(f"override(run_id=...) takes a non-empty string, not {run_id!r}.")
            new["run_id"] = run_id
        self._token = self._var.set(new)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        token, self._token = self._token, None
        if token is not None:
            self._var.reset(token)
