"""The errors of agent runs: a tool's message to the model, and every way a run stops early.

Served by :mod:`llmkit.errors`; import from it. Every :class:`AgentError` keeps
the conversation so far (``messages``) and the run's ``usage``, across pickling too.
"""

from __future__ import annotations

from typing import Any

from llmkit._errors.base import LLMKitError, _rebuild

__all__ = [
    "AgentError",
    "GuardrailTripped",
    "HookError",
    "MaxStepsExceeded",
    "OutputValidationError",
    "ReplayDivergence",
    "RunTimeoutError",
    "ToolError",
    "ToolExecutionError",
    "ToolRetriesExceeded",
    "UsageLimitExceeded",
]


class ToolError(LLMKitError):
    """Raise it in a tool to tell the model what went wrong, so it can act on it.

    The message is sent to the model as the tool's (error) result, without a
    traceback; the run goes on. Use it for "no such city, try another
    spelling" kinds of failure. Each one counts toward the agent's
    ``tool_retries`` for that tool.
    """


class AgentError(LLMKitError):
    """An agent run stopped before a final answer.

    Nothing is lost: ``messages`` holds the conversation up to the failure
    (every tool call in it answered) and ``usage`` what the run consumed, so
    the run can be inspected, logged, or continued with
    ``agent.run(..., message_history=err.messages)``.

    When a hook raised it (a :class:`HookError`, or a limit or replay
    divergence met inside a hook), ``hook`` and ``point`` say which hook and
    where; both are ``""`` otherwise.
    """

    hook: str = ""
    """The name of the hook that raised this error, or ``""``."""
    point: str = ""
    """The hook method it was raised in (``"before_model"``, ``"after_tool"`` …), or ``""``."""

    def __init__(self, message: str, *, messages: Any = None, usage: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.messages: Any = messages if messages is not None else []
        """The conversation so far (a list of :class:`~llmkit.types.Message`)."""
        self.usage: Any = usage
        """The :class:`~llmkit.types.Usage` of the run so far."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))


class MaxStepsExceeded(AgentError):
    """No final answer within ``max_steps`` model calls (the model kept calling tools).

    Raise ``max_steps``, or continue with ``message_history=err.messages``.
    """


class UsageLimitExceeded(AgentError):
    """A limit of :class:`~llmkit.run.UsageLimits` (tokens, requests, cost) was reached."""


class OutputValidationError(AgentError):
    """The model's answer did not fit ``output_type``, also after ``output_retries`` retries.

    ``raw_output`` is the last answer as the model sent it (text, or the
    arguments of the final-result tool); ``errors`` says what was wrong.
    """

    def __init__(
        self,
        message: str,
        *,
        raw_output: Any = None,
        errors: str = "",
        messages: Any = None,
        usage: Any = None,
    ) -> None:
        super().__init__(message, messages=messages, usage=usage)
        self.raw_output = raw_output
        """The last answer as the model sent it."""
        self.errors = errors
        """What was wrong with it (validation errors, as text)."""


class ToolRetriesExceeded(AgentError):
    """The model called a tool wrongly (unknown name, bad arguments) more than ``tool_retries`` times."""

    def __init__(
        self, message: str, *, tool_name: str = "", messages: Any = None, usage: Any = None
    ) -> None:
        super().__init__(message, messages=messages, usage=usage)
        self.tool_name = tool_name
        """The tool name the model kept getting wrong."""


class ToolExecutionError(AgentError):
    """A tool declared with ``errors="raise"`` raised; ``__cause__`` is its exception."""

    def __init__(
        self, message: str, *, tool_name: str = "", messages: Any = None, usage: Any = None
    ) -> None:
        super().__init__(message, messages=messages, usage=usage)
        self.tool_name = tool_name
        """The tool that raised."""


class RunTimeoutError(AgentError):
    """The run took longer than its ``timeout``; what happened before is in ``messages``."""


class HookError(AgentError):
    """A hook raised, so the run stopped; ``hook`` names it and ``__cause__`` is its exception.

    ``messages`` holds the conversation up to the failure, as for every
    :class:`AgentError` (for a plain model call through ``with_hooks``, the
    request's messages).
    """

    def __init__(
        self,
        message: str,
        *,
        hook: str = "",
        point: str = "",
        messages: Any = None,
        usage: Any = None,
    ) -> None:
        super().__init__(message, messages=messages, usage=usage)
        self.hook = hook
        """The name of the hook that raised."""
        self.point = point
        """Where it raised: ``"before_model"``, ``"after_tool"`` …"""


class GuardrailTripped(HookError):
    """A guardrail rejected the run's input or the model's output.

    ``stage`` is ``"input"`` or ``"output"``; ``reason`` is what the check said.
    """

    def __init__(
        self,
        message: str,
        *,
        hook: str = "",
        point: str = "",
        stage: str = "",
        reason: str = "",
        messages: Any = None,
        usage: Any = None,
    ) -> None:
        super().__init__(message, hook=hook, point=point, messages=messages, usage=usage)
        self.stage = stage
        """``"input"`` or ``"output"``."""
        self.reason = reason
        """Why the guardrail tripped."""


class ReplayDivergence(AgentError):
    """A replayed run sent a request, or called a tool, that differs from the recording.

    ``line`` is the line of the recording that was expected, ``diff`` a short
    description of the first difference. The code changed since the
    recording was made: record the run again, or fix what changed.
    """

    def __init__(
        self,
        message: str,
        *,
        line: int = 0,
        diff: str = "",
        messages: Any = None,
        usage: Any = None,
    ) -> None:
        super().__init__(message, messages=messages, usage=usage)
        self.line = line
        """The line of the recording the run departed from (1-based)."""
        self.diff = diff
        """The first difference, recorded against now."""
