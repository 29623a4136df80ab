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

This module only re-exports: the classes are defined by topic in ``llmkit._errors``
(``base``, ``agent``, ``workflow``, ``provider``). Each names ``llmkit.errors``
as its module, so tracebacks, pickles and the ``module:qualname`` a recording
writes name this module.
"""

from __future__ import annotations

# The classes name this module as theirs, so their annotations resolve here (get_type_hints).
from typing import Any  # noqa: F401

from llmkit._errors.agent import (
    AgentError,
    GuardrailTripped,
    HookError,
    MaxStepsExceeded,
    OutputValidationError,
    ReplayDivergence,
    RunTimeoutError,
    ToolError,
    ToolExecutionError,
    ToolRetriesExceeded,
    UsageLimitExceeded,
)
from llmkit._errors.base import (
    ConfigurationError,
    ExtractionError,
    LLMKitError,
    MissingAPIKeyError,
    MissingExtraError,
    NetworkBlockedError,
    RecordingError,
    RecordingVersionError,
    SerializationError,
    UnsafeDocumentError,
    UnsupportedError,
    UsageError,
)
from llmkit._errors.base import _rebuild as _rebuild  # pickles of errors name it here
from llmkit._errors.provider import (
    AllModelsFailedError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ContentFilterError,
    ContextLengthError,
    InvalidResponseError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
    error_for_status,
)
from llmkit._errors.workflow import (
    CircuitOpenError,
    NoBranchMatched,
    PredicateError,
    ReplayedError,
    StateValidationError,
    StepInputError,
    StepTimeoutError,
    WorkflowDefinitionError,
    WorkflowError,
)
from llmkit._lazy import set_public_module

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

# Tracebacks, pickles and recordings name this module, which serves every class.
set_public_module(__name__, globals(), [*__all__, "_rebuild"])
