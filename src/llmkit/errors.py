"""One error hierarchy for everything llmkit raises.

::

    LLMKitError
    ├── UsageError                    the caller did something wrong; fix the code or config
    │   ├── ConfigurationError        the environment or a configuration file is wrong
    │   │   ├── MissingAPIKeyError    no key given and its environment variable is unset
    │   │   └── MissingExtraError     an optional dependency is not installed; names the extra
    │   ├── UnsupportedError          the model or provider cannot do what was asked
    │   ├── NetworkBlockedError       a request to a non-local host while the test network guard is on
    │   └── WorkflowDefinitionError   a workflow or its definition file is malformed; names the step,
    │                                 or the file and line
    ├── SerializationError            JSON data llmkit cannot read (malformed, or from a newer version)
    │   └── RecordingError            a recording file is corrupt or truncated; names the line
    │       └── RecordingVersionError   the recording comes from a newer llmkit: upgrade to read it
    ├── ExtractionError               a text held no value of the asked type (none found, or invalid
    │   │                             after recovery and coercion); the raw text, each error by path
    │   └── UnsafeDocumentError       refused unread: an XML DTD or entity (bombs, external entities),
    │                                 a YAML alias bomb or a tag that would build a Python object
    ├── ToolError                     raised by a tool on purpose: its message goes to the model
    ├── AgentError                    an agent run stopped early; carries the messages and usage so far
    │   ├── MaxStepsExceeded          no final answer within max_steps model calls
    │   ├── UsageLimitExceeded        a token, request or cost limit of the run was reached
    │   ├── OutputValidationError     the answer stayed invalid after output_retries; has the raw output
    │   ├── ToolRetriesExceeded       the model kept calling a tool wrongly, past tool_retries
    │   ├── ToolExecutionError        a tool declared errors="raise" raised (the cause is chained)
    │   ├── RunTimeoutError           the run took longer than its timeout
    │   ├── HookError                 a hook raised; names the hook (the cause is chained)
    │   │   └── GuardrailTripped      a guardrail rejected the input or the output
    │   └── ReplayDivergence          a replayed run asked for something the recording does not hold
    ├── WorkflowError                 a workflow run failed: path, state as it was, trace, usage;
    │   │                             __cause__ says why
    │   ├── StepTimeoutError          a step (or the whole run) took longer than its timeout
    │   ├── CircuitOpenError          a circuit breaker refused the call; key, retry_in
    │   ├── NoBranchMatched           no case matched and the branch has no otherwise
    │   ├── StateValidationError      a value written to the state failed validation; names the step
    │   │                             and the field
    │   ├── PredicateError            a predicate (when, until, while) raised or was refused
    │   └── StepInputError            input= or over= raised, or gave what the step cannot take
    ├── ReplayedError                 (a replay only) a recorded step error whose class cannot be
    │                                 rebuilt; error_type names it
    └── ProviderError                 a model call failed at run time
        ├── AuthenticationError       401: the key is missing, wrong or revoked
        ├── PermissionDeniedError     403: the key may not use this model or feature
        ├── NotFoundError             404: unknown model or endpoint
        ├── BadRequestError           400/413/422: the provider rejected the request body
        │   └── ContextLengthError    the conversation does not fit the model's context window
        ├── ContentFilterError        the provider refused or filtered the content
        ├── ConflictError             409: a conflicting request was in flight (retryable)
        ├── RateLimitError            429: too many requests or tokens; see retry_after
        ├── ServerError               5xx: the provider failed
        │   └── OverloadedError       503/529: the provider is overloaded
        ├── ProviderTimeoutError      no answer in time (connect, read or total)
        ├── ProviderConnectionError   could not connect, or the connection dropped
        │   └── StreamInterruptedError  a stream broke part-way; what arrived is kept
        ├── InvalidResponseError      the provider answered something that is not its protocol
        └── AllModelsFailedError      every model of a fallback, race or consensus failed

Every :class:`AgentError` carries ``messages`` (the conversation up to the
failure, with every tool call answered, so it can be inspected or continued)
and ``usage`` (everything the run consumed, retries included).

Every :class:`WorkflowError` carries ``path`` (the step it failed at),
``state`` (the workflow state as it was, every completed write kept),
``trace`` (the steps that ran) and ``usage`` (what every agent of the run
consumed).

Every :class:`ProviderError` carries the HTTP status, the provider's error
type/code/message, the provider's request id, and ``retryable`` (whether
sending the same request again may succeed). API keys never appear in a
message, a repr or a traceback: the transport redacts them before an error is
built.
"""

from __future__ import annotations

from typing import Any, TypedDict, Unpack

__all__ = [
    "AgentError",
    "AllModelsFailedError",
    "AuthenticationError",
    "BadRequestError",
    "CircuitOpenError",
    "ConfigurationError",
    "ConflictError",
    "ContentFilterError",
    "ContextLengthError",
    "ExtractionError",
    "GuardrailTripped",
    "HookError",
    "InvalidResponseError",
    "LLMKitError",
    "MaxStepsExceeded",
    "MissingAPIKeyError",
    "MissingExtraError",
    "NetworkBlockedError",
    "NoBranchMatched",
    "NotFoundError",
    "OutputValidationError",
    "OverloadedError",
    "PermissionDeniedError",
    "PredicateError",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderTimeoutError",
    "RateLimitError",
    "RecordingError",
    "RecordingVersionError",
    "ReplayDivergence",
    "ReplayedError",
    "RunTimeoutError",
    "SerializationError",
    "ServerError",
    "StateValidationError",
    "StepInputError",
    "StepTimeoutError",
    "StreamInterruptedError",
    "ToolError",
    "ToolExecutionError",
    "ToolRetriesExceeded",
    "UnsafeDocumentError",
    "UnsupportedError",
    "UsageError",
    "UsageLimitExceeded",
    "WorkflowDefinitionError",
    "WorkflowError",
    "error_for_status",
]


class LLMKitError(Exception):
    """Base of every error llmkit raises."""


def _rebuild(cls: type[Exception], message: str, state: dict[str, Any]) -> Exception:
    """Unpickle an error of ``cls``: its message, then every attribute it had (``__reduce__``)."""
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class UsageError(LLMKitError):
    """The caller used llmkit wrongly: a bad argument, option, model string or config.

    The message says what to change. Retrying never helps.
    """


class ConfigurationError(UsageError):
    """The environment or a configuration file is wrong, not the call itself.

    A missing API key, model name or optional extra, or a data file (an
    evaluation set …) that cannot be used. The message says what to set,
    install or fix. The ``llmkit`` command exits with status 3 for it.
    """


class MissingAPIKeyError(ConfigurationError):
    """No API key was given and the environment variable that supplies it is unset."""

    def __init__(self, provider: str, env_var: str | None) -> None:
        self.provider = provider
        self.env_var = env_var
        where = f"set the {env_var} environment variable or " if env_var else ""
        super().__init__(f"No API key for {provider}: {where}pass api_key=... to llmkit.model().")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.provider, self.env_var))


class MissingExtraError(ConfigurationError):
    """A feature needs an optional dependency that is not installed.

    The message names the package and the extra that brings it
    (``pip install 'llmkit[mcp]'``); ``extra`` and ``package`` carry them.
    """

    def __init__(self, feature: str, extra: str, package: str) -> None:
        self.feature = feature
        self.extra = extra
        self.package = package
        super().__init__(f"{feature} needs {package}: pip install 'llmkit[{extra}]'.")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.feature, self.extra, self.package))


class UnsupportedError(UsageError):
    """The model or provider cannot do what was asked (e.g. embeddings on a chat-only model)."""


class NetworkBlockedError(UsageError):
    """A model request to a non-local host was made while the network guard was on.

    Tests must not reach real providers: point the model at the fake provider
    server (``llmkit.testing``), use a ``ScriptedModel``, replay a cassette,
    or allow the host explicitly.
    """


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


class SerializationError(LLMKitError):
    """Data could not be read back: malformed JSON, a wrong shape, or a newer format version."""


class ExtractionError(LLMKitError):
    """A text (a model's answer) held no value of the type asked for.

    Either no JSON, YAML or XML value was found in it, or the value found was
    still invalid after recovery and schema-guided coercion. ``raw`` is the
    whole text, ``format`` the format it was read as (``"json"``, ``"yaml"``,
    ``"xml"``, or None when none was found), and ``errors`` one
    ``(path, message)`` pair per validation error (the path is dotted, such as
    ``"lines.0.amount"``, or ``"(root)"``). The message shows the start of the
    text and every error.
    """

    def __init__(
        self,
        message: str,
        *,
        raw: str = "",
        format: str | None = None,
        errors: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(message)
        self.raw = raw
        """The whole text that was read."""
        self.format = format
        """The format the text was read as, or None."""
        self.errors = errors
        """One ``(path, message)`` pair per validation error."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), self.__dict__.copy()))


class UnsafeDocumentError(ExtractionError):
    """A text was refused without being loaded, because loading it could harm the process.

    An XML document type declaration (where entity bombs and external
    entities are declared), a YAML document past its bounds (an alias bomb)
    or holding a tag that would build a Python object. No other reading of
    the same text is tried.
    """


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


class RecordingError(SerializationError):
    """A recording file cannot be read: not JSON, truncated, or not an llmkit recording.

    ``path`` and ``line`` (1-based) say where; nothing is written to the file.
    """

    def __init__(self, message: str, *, path: str = "", line: int = 0) -> None:
        super().__init__(message)
        self.path = path
        self.line = line

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), self.__dict__.copy()))


class RecordingVersionError(RecordingError):
    """The recording was written by a newer llmkit, in a format this one cannot read: upgrade."""


class ProviderError(LLMKitError):
    """A model call failed at run time.

    Attributes say what happened, for logs and retry decisions:

    - ``status``: HTTP status code, or None when no response arrived;
    - ``provider``: the provider name (``"openai"``, ``"groq"``, …);
    - ``error_type`` / ``code`` / ``param``: the provider's own error classification;
    - ``provider_message``: the provider's message, unchanged (secrets redacted);
    - ``request_id``: the provider's request id, for support tickets;
    - ``body``: the raw error body (text, secrets redacted);
    - ``retryable``: True when sending the same request again may succeed;
    - ``retry_after``: seconds the provider asked us to wait, when it said.

    Raised inside an agent run, it also carries ``messages`` (the
    conversation so far) and ``usage`` (what the run consumed), as an
    :class:`AgentError` does; for a plain model call they stay empty.
    """

    default_retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        provider: str | None = None,
        error_type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        provider_message: str | None = None,
        request_id: str | None = None,
        body: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.provider = provider
        self.error_type = error_type
        self.code = code
        self.param = param
        self.provider_message = provider_message
        self.request_id = request_id
        self.body = body
        self.retryable = self.default_retryable if retryable is None else retryable
        self.retry_after = retry_after
        self.messages: Any = []
        """The conversation up to the failed call (a list of :class:`~llmkit.types.Message`),
        when an agent run made the call; empty otherwise."""
        self.usage: Any = None
        """The :class:`~llmkit.types.Usage` of the run up to the failed call, when an agent
        run made it; None otherwise."""

    def __str__(self) -> str:
        text = self.message
        if self.request_id:
            text += f" (request id: {self.request_id})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, "
            f"provider={self.provider!r}, retryable={self.retryable!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Keeps every attribute across pickling (multiprocessing, Ray).
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))


class AuthenticationError(ProviderError):
    """401: the API key is missing, wrong or revoked."""


class PermissionDeniedError(ProviderError):
    """403: the key is valid but may not use this model, feature or region."""


class NotFoundError(ProviderError):
    """404: the model (or endpoint) does not exist or the key cannot see it."""


class BadRequestError(ProviderError):
    """400/413/422: the provider rejected the request; the message says which part."""


class ContextLengthError(BadRequestError):
    """The conversation is longer than the model's context window: trim it or pick a larger model."""


class ContentFilterError(ProviderError):
    """The provider refused the prompt or filtered the answer on content grounds."""


class ConflictError(ProviderError):
    """409: a conflicting request was in flight; retrying usually helps."""

    default_retryable = True


class RateLimitError(ProviderError):
    """429: too many requests or tokens; wait ``retry_after`` seconds (when given) and retry."""

    default_retryable = True


class ServerError(ProviderError):
    """5xx: the provider failed to answer; retrying may help."""

    default_retryable = True


class OverloadedError(ServerError):
    """503/529: the provider is overloaded; back off and retry."""


class ProviderTimeoutError(ProviderError):
    """No answer in time (connecting, reading, or the whole call)."""

    default_retryable = True


class ProviderConnectionError(ProviderError):
    """Could not connect to the provider, or the connection dropped."""

    default_retryable = True


class StreamInterruptedError(ProviderConnectionError):
    """A streamed answer broke part-way. Events already yielded stay delivered.

    ``partial`` holds the response assembled from what arrived before the
    break (text so far, complete tool calls), when there was any.
    """

    partial: Any = None
    """The :class:`~llmkit.types.Response` assembled before the break, or None when nothing
    arrived (typed ``Any``: this module imports nothing from llmkit)."""


class InvalidResponseError(ProviderError):
    """The provider answered with something that is not its protocol (HTML, broken JSON…)."""


class AllModelsFailedError(ProviderError):
    """Every model of a fallback, race or consensus failed; ``errors`` holds each failure.

    ``errors`` is a list of ``(model name, exception)`` pairs in the order tried.
    It is retryable when any of the failures was.
    """

    def __init__(self, message: str, errors: list[tuple[str, BaseException]]) -> None:
        retryable = any(getattr(e, "retryable", False) for _, e in errors)
        last = errors[-1][1] if errors else None
        super().__init__(
            message,
            status=getattr(last, "status", None),
            provider=getattr(last, "provider", None),
            retryable=retryable,
        )
        self.errors = errors


_BY_STATUS: dict[int, type[ProviderError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: ProviderTimeoutError,
    409: ConflictError,
    413: BadRequestError,
    422: BadRequestError,
    429: RateLimitError,
    503: OverloadedError,
    529: OverloadedError,
}


def error_for_status(status: int) -> type[ProviderError]:
    """The error class llmkit uses for an HTTP status code."""
    cls = _BY_STATUS.get(status)
    if cls is not None:
        return cls
    if status >= 500:
        return ServerError
    return ProviderError
