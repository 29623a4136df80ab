"""What a step is: the ``Step`` protocol and the ``StepContext`` a running step receives.

Anything with a ``name`` and an async ``run(input, context)`` is a step (``Step``); functions,
agents and tools are wrapped by the builders. ``StepContext`` is frozen: a step learns where it
runs (path, attempt, run id), the run's ``deps`` and the state it reads, and reports usage
it consumed outside an agent through :meth:`StepContext.add_usage`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from llmkit.types import Usage

__all__ = ["Step", "StepContext"]


@runtime_checkable
class Step(Protocol):
    """Anything a workflow can run as a step: a ``name`` and an async ``run(input, context)``."""

    name: str

    async def run(self, input: Any, context: StepContext) -> Any:
        """Do the step's work on ``input`` and return its output."""
        ...


@dataclass(frozen=True, slots=True, eq=False)
class StepContext:
    """What a running step knows: its path, attempt, the run's deps and the state it reads."""

    path: str
    """The step's path (``article/reviews[1]/critic_b``)."""
    kind: str
    """The step's kind (``"function"``, ``"agent"``, ``"step"`` …)."""
    attempt: int
    """The attempt this is (1-based)."""
    run_id: str
    """The workflow run's id."""
    deps: Any
    """The run's ``deps`` (what ``Workflow.run(deps=...)`` was given)."""
    state: Any
    """The state the step reads (read it; return results instead of changing it)."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Free-form data of the run."""
    _spent: list[Usage] = field(default_factory=list, repr=False)

    def add_usage(self, usage: Usage) -> None:
        """Count usage this step consumed outside an agent (a model called directly)."""
        self._spent.append(usage)

    @property
    def usage(self) -> Usage:
        """The usage added so far in this attempt."""
        return sum(self._spent, Usage())
