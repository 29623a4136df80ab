"""The workflow step a piece of code runs in, for the layers below workflows to read.

A workflow sets :data:`STEP_SCOPE` for the duration of each step attempt;
everything that runs inside it (agent runs, model calls, tools, hooks)
inherits it through ``contextvars`` (tasks copy it). Events and hook contexts
read :func:`current_path` when they are built, so the agent layer tags its
events with the step path without knowing anything about workflows.

Guarantees: outside a workflow step :func:`current_scope` is None and
:func:`current_path` is ``""``; reading either costs one context-variable
lookup and imports nothing.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["STEP_SCOPE", "StepScope", "current_path", "current_scope"]


@dataclass(frozen=True, slots=True)
class StepScope:
    """Where code runs in a workflow: the workflow run, the step's path, the attempt (1-based)."""

    run_id: str
    """The workflow run's id."""
    path: str
    """The step's path, e.g. ``"article/reviews[1]/critic_b"``."""
    attempt: int
    """The attempt of that step, 1 for the first."""


STEP_SCOPE: ContextVar[StepScope | None] = ContextVar("llmkit_step_scope", default=None)
"""The step the current context runs in; None outside workflows."""


def current_scope() -> StepScope | None:
    """The workflow step the caller runs in, or None outside workflows."""
    return STEP_SCOPE.get()


def current_path() -> str:
    """The path of the workflow step the caller runs in (``""`` outside workflows)."""
    scope = STEP_SCOPE.get()
    return "" if scope is None else scope.path
