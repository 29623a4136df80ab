"""The failure of a C ABI call: a status and a message, and the status any exception stands for.

Guarantees: :func:`status_for` answers for every exception (a bug in llmkit is
``ERR_INTERNAL``), and its message never holds a traceback; a :class:`CallError`
anywhere in an exception's chain (a tool callback's failure inside a run's
error) decides the status. Advice written for Python users (``message_history=err.messages``)
is reworded for C: what a C caller can pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from llmkit.capi._abi import Status
from llmkit.errors import LLMKitError, MaxStepsExceeded, RunTimeoutError, UsageError

__all__ = ["CallError", "for_c", "status_for"]


class CallError(LLMKitError):
    """A call of the C ABI that fails with ``status``; the message says what to pass instead."""

    def __init__(self, status: Status, message: str) -> None:
        super().__init__(message)
        self.status = status


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        found.append(current)
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return found


_KEYWORD = re.compile(r"""(?<!\S)([a-z_]+)=(?=(\s)|[\d{\["'])""")
"""A Python keyword written alone (``timeout= takes``) or with a value (``timeout=30``)."""


def for_c(message: str, keys: Mapping[str, str] | None = None) -> str:
    """``message``, written for Python callers, in the words of the JSON a C caller passes.

    A keyword (``timeout=``) is named as its JSON key (``"timeout"``, or the
    key ``keys`` gives for it), an example value follows the key as in JSON
    (``"timeout": 30``), and ``None`` is ``null``.
    """
    names = keys or {}

    def key(match: re.Match[str]) -> str:
        name = f'"{names.get(match[1], match[1])}"'
        return name if match[2] else f"{name}: "

    text = _KEYWORD.sub(key, message).replace("(or None)", "(or null)")
    for keyword, name in names.items():
        if keyword != name:
            text = re.sub(rf"(?<![\w\"]){keyword}\b", name, text)
    return text


def status_for(exc: BaseException) -> tuple[Status, str]:
    """The status and message a failed call reports for ``exc``."""
    chain = _chain(exc)
    for link in chain:
        if isinstance(link, CallError):
            return link.status, str(link)
    if any(isinstance(link, RunTimeoutError | TimeoutError) for link in chain):
        return Status.ERR_TIMEOUT, str(exc) or "the run took longer than its timeout"
    if isinstance(exc, UsageError):
        return Status.ERR_ARGUMENT, for_c(str(exc))
    if isinstance(exc, MaxStepsExceeded):
        steps = re.search(r"max_steps=(\d+)", str(exc))
        return Status.ERR_RUN, (
            f"MaxStepsExceeded: no final answer after {steps[1] if steps else 'max_steps'} model "
            'calls: raise "max_steps" (in the request, or the client\'s options)'
        )
    if isinstance(exc, LLMKitError):
        return Status.ERR_RUN, f"{type(exc).__name__}: {exc}"
    return Status.ERR_INTERNAL, f"internal error, please report it: {type(exc).__name__}: {exc}"
