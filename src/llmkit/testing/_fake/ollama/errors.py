"""Ollama error answers: ``{"error": message}`` with a status, and the answers for scripted
exceptions and faults (worded as Ollama's server words them)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from llmkit.errors import ContextLengthError, ProviderError
from llmkit.testing._fault import Fault, retry_after_seconds, status_for

__all__ = ["OllamaWireError", "bad", "error_for_exception", "error_for_fault"]


@dataclass(slots=True)
class OllamaWireError:
    """An Ollama error answer: a status and ``{"error": message}``."""

    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        """The JSON error body."""
        return json.dumps({"error": self.message}).encode()


def bad(message: str) -> OllamaWireError:
    """A 400 with ``message``."""
    return OllamaWireError(400, message)


# ------------------------------------------------------------ scripted errors

_DEFAULTS = {
    400: "invalid request",
    401: "unauthorized",
    403: "forbidden",
    408: "request timed out",
    409: "conflict",
    429: "too many requests",
    500: "an error was encountered while running the model",
    502: "bad gateway",
    503: "server busy, please try again.  maximum pending requests exceeded",
}
_CONTEXT = "input length exceeds the context length"


def _message(status: int, model: str) -> str:
    if status == 404:
        return f"model '{model}' not found"
    return _DEFAULTS.get(status, f"the server answered HTTP {status}")


def _retry_headers(seconds: float | None) -> dict[str, str]:
    return {"retry-after": f"{seconds:g}"} if seconds is not None else {}


def error_for_fault(fault: Fault, model: str) -> OllamaWireError:
    """The Ollama error answer for a ``status`` or ``context_length`` fault."""
    if fault.kind == "context_length":
        return OllamaWireError(400, fault.message or _CONTEXT)
    status = fault.http_status
    return OllamaWireError(
        status, fault.message or _message(status, model), _retry_headers(retry_after_seconds(fault))
    )


def error_for_exception(exc: BaseException, model: str) -> OllamaWireError:
    """The Ollama error answer for a scripted exception (its own message wins)."""
    status = status_for(exc)
    if isinstance(exc, ContextLengthError) and not exc.provider_message:
        return OllamaWireError(status, _CONTEXT)
    if not isinstance(exc, ProviderError):
        return OllamaWireError(status, _message(status, model))
    return OllamaWireError(
        status,
        exc.provider_message or exc.message or _message(status, model),
        _retry_headers(exc.retry_after),
    )
