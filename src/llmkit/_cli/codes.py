"""The exit statuses of the ``llmkit`` command: one table for every subcommand.

Subcommands return :attr:`ExitCode.OK` or :attr:`ExitCode.FAILURE` for an
outcome they judged themselves (a missed threshold), and raise llmkit's
typed errors for everything else; :func:`exit_code_for` turns an error into
its status, so a new subcommand gets the same codes without choosing any.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum

from llmkit.errors import (
    AgentError,
    ConfigurationError,
    NetworkBlockedError,
    ProviderTimeoutError,
    RunTimeoutError,
    StepTimeoutError,
    UsageError,
    WorkflowError,
)

__all__ = ["ExitCode", "as_configuration", "error_line", "exit_code_for"]


class ExitCode(IntEnum):
    """What the exit status of an ``llmkit`` command means (the same for every subcommand).

    Each member's ``__doc__`` says what it means (``llmkit --help`` prints them).
    """

    def __new__(cls, value: int, meaning: str) -> ExitCode:
        member = int.__new__(cls, value)
        member._value_ = value
        member.__doc__ = meaning
        return member

    OK = 0, "the command did what was asked (thresholds met, the run completed)"
    FAILURE = 1, "it ran, and the outcome is a failure: a missed threshold, a failed run"
    USAGE = 2, "the command line is wrong: an unknown option, a bad value, a missing argument"
    CONFIG = 3, "the setup is wrong: no API key, model or extra; an invalid eval set file"
    TIMEOUT = 4, "a time limit passed: the run's --timeout, or the provider did not answer"
    SANDBOX = (
        5,
        (
            "a safety rule refused something: a built-in tool's rule, the network guard, a script's sandbox"
        ),
    )
    INTERRUPTED = 130, "stopped with Ctrl-C (128 + SIGINT, as shells report it)"


_TIMEOUTS: tuple[type[BaseException], ...] = (
    RunTimeoutError,
    StepTimeoutError,
    ProviderTimeoutError,
    TimeoutError,
)


def _is_sandbox_refusal(exc: BaseException) -> bool:
    if isinstance(exc, NetworkBlockedError):
        return True
    # A built-in tool's refusal, or a script's sandbox violation, can only exist once its
    # module is loaded: no import here.
    policy = sys.modules.get("llmkit.tools.builtin._policy")
    if policy is not None and isinstance(exc, policy.Refused):
        return True
    scripting = sys.modules.get("llmkit.scripting._errors")
    return scripting is not None and isinstance(exc, scripting.ScriptSandboxError)


def exit_code_for(exc: BaseException) -> ExitCode:
    """The exit status for ``exc``, an error that ended a command.

    An agent or workflow error that wraps another (a tool, hook or step that
    raised) takes the status of its cause when that is a timeout or a
    sandbox refusal, so a refusal inside a run is still reported as one.
    """
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if _is_sandbox_refusal(exc):
        return ExitCode.SANDBOX
    if isinstance(exc, _TIMEOUTS):
        return ExitCode.TIMEOUT
    if isinstance(exc, ConfigurationError):
        return ExitCode.CONFIG
    if isinstance(exc, UsageError):
        return ExitCode.USAGE
    cause = exc.__cause__
    if isinstance(exc, AgentError | WorkflowError) and cause is not None:
        inner = exit_code_for(cause)
        if inner in (ExitCode.TIMEOUT, ExitCode.SANDBOX):
            return inner
    return ExitCode.FAILURE


@contextmanager
def as_configuration() -> Iterator[None]:
    """Inside the block, a :class:`UsageError` becomes a :class:`ConfigurationError` (same message).

    For commands that read a file the user prepared (an evaluation set): a
    mistake in it is a configuration error (status 3), not a command-line one.
    """
    try:
        yield
    except ConfigurationError:
        raise
    except UsageError as exc:
        raise ConfigurationError(str(exc)) from exc


def error_line(exc: BaseException) -> str:
    """How a command reports ``exc`` on stderr: ``error: <message>`` on one line."""
    return "error: " + (" ".join(str(exc).split()) or type(exc).__name__)
