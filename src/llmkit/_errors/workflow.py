"""The errors of workflows: a malformed definition, a failed run, and a replayed step error.

Served by :mod:`llmkit.errors`; import from it. Every :class:`WorkflowError`
keeps the path it failed at, the state as it was, the trace and the usage,
across pickling too.
"""

from __future__ import annotations

from typing import Any, TypedDict, Unpack

from llmkit._errors.base import LLMKitError, UsageError, _rebuild

__all__ = [
    "CircuitOpenError",
    "NoBranchMatched",
    "PredicateError",
    "ReplayedError",
    "StateValidationError",
    "StepInputError",
    "StepTimeoutError",
    "WorkflowDefinitionError",
    "WorkflowError",
]


class WorkflowDefinitionError(UsageError):
    """A workflow, or the file that defines it, is malformed: the message says what to change.

    ``path`` is the step the mistake is in (``""`` when it is not in one
    step); ``file`` and ``line`` (1-based) say where a definition file has it
    (``""`` and 0 for a workflow built in code). ``state`` is the workflow
    state a run had reached when the mistake showed at run time (a step that
    runs the workflow it is in), None when no run had started.
    """

    def __init__(
        self, message: str, *, path: str = "", file: str = "", line: int = 0, state: Any = None
    ) -> None:
        super().__init__(message)
        self.path = path
        """The path of the step the mistake is in, or ``""``."""
        self.file = file
        """The definition file, or ``""``."""
        self.line = line
        """The line of the definition file (1-based), or 0."""
        self.state: Any = state
        """The state a run had reached, or None when no run had started."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), self.__dict__.copy()))


class WorkflowError(LLMKitError):
    """A workflow run failed. Nothing computed is lost.

    ``path`` is the step it failed at (``"article/reviews[1]/critic_b"``;
    the workflow's name when the whole run failed), ``state`` the workflow
    state as it was then (every completed write kept, those of parallel
    branches merged in declared order), ``trace`` the steps that ran (a list
    of ``llmkit.workflow.StepRecord``), ``usage`` what every agent of the run
    consumed, failed attempts included.

    ``__cause__`` says why. A plain ``WorkflowError`` wraps what a step
    raised (an agent's, a provider's or your code's error); the subclasses
    are conditions the workflow itself found (a timeout, an open circuit, no
    branch matched …).
    """

    def __init__(
        self,
        message: str,
        *,
        path: str = "",
        state: Any = None,
        trace: Any = (),
        usage: Any = None,
        run_id: str = "",
        workflow: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        """The path of the step the run failed at."""
        self.state: Any = state
        """The workflow state as it was (a pydantic model or a dict)."""
        self.trace: Any = list(trace)
        """The steps that ran, in tree order (a list of ``llmkit.workflow.StepRecord``)."""
        self.usage: Any = usage
        """The :class:`~llmkit.types.Usage` of every agent of the run so far."""
        self.run_id = run_id
        """The workflow run's id."""
        self.workflow = workflow
        """The workflow's name."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))


class _WorkflowErrorFields(TypedDict, total=False):
    """The keyword arguments of :class:`WorkflowError` (what every workflow error carries)."""

    path: str
    state: Any
    trace: Any
    usage: Any
    run_id: str
    workflow: str


class StepTimeoutError(WorkflowError):
    """A step took longer than its ``timeout``, or the whole run longer than the run's (at its root path).

    A step's timeout is retried by default; the run's never is.
    """


class CircuitOpenError(WorkflowError):
    """A circuit breaker refused the call: ``key`` has failed too often lately.

    ``retry_in`` is how many seconds remain before the breaker lets a probe
    through. Give the step a ``fallback`` to go on meanwhile.
    """

    def __init__(
        self,
        message: str,
        *,
        key: str = "",
        retry_in: float = 0.0,
        **context: Unpack[_WorkflowErrorFields],
    ) -> None:
        super().__init__(message, **context)
        self.key = key
        """The breaker's key."""
        self.retry_in = retry_in
        """Seconds until the breaker lets a probe through."""


class NoBranchMatched(WorkflowError):
    """No case of a branch matched and it has no ``otherwise``; the message lists each case's value."""


class StateValidationError(WorkflowError):
    """A value a step wrote to the state failed validation; the message names the step and the field.

    ``__cause__`` is pydantic's ``ValidationError`` when there is one; the
    field keeps its old value.
    """


class PredicateError(WorkflowError):
    """A predicate (``when``, ``until``, ``while_``) raised, or its expression was refused.

    The message names the step and the predicate; ``__cause__`` is what it raised.
    """


class StepInputError(WorkflowError):
    """``input=`` or ``over=`` raised, or picked what the step cannot take (``over=`` gave no list)."""


class ReplayedError(LLMKitError):
    """In a replay, a step error from the recording whose class cannot be rebuilt.

    ``error_type`` names the class the step raised when it was recorded; the
    message is its message. Retry and ``on_error`` decide on it as they did
    then.
    """

    def __init__(self, message: str, *, error_type: str = "") -> None:
        super().__init__(message)
        self.error_type = error_type
        """The name of the error class the recorded step raised."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), self.__dict__.copy()))
