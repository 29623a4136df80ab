"""Ollama's error answers, read into llmkit's error tree with a hint that says what to do.

Ollama answers errors as ``{"error": "…"}``: with an HTTP status before a
stream starts, and as a line of its own once content has been sent. The
wording carries the cause (``model 'x' not found``, ``… does not support
tools``), so the hints are chosen from it.

Pure, no I/O. :class:`OllamaErrors` reads the body of a failed call for the
transport; :func:`error_in_body` and :func:`error_from_message` turn an error
line or object into the :class:`~llmkit.errors.ProviderError` to raise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from llmkit._json import dumps
from llmkit.errors import ContextLengthError, ProviderError, ServerError
from llmkit.http import ErrorInfo, parse_error_body

__all__ = ["KEY_ENV", "OllamaErrors", "error_from_message", "error_in_body"]

KEY_ENV = "OLLAMA_API_KEY"
"""The variable holding the key of a hosted Ollama (ollama.com); a local one needs none."""

_NOT_FOUND = re.compile(r"model ['\"]([^'\"]+)['\"] not found")


def _hint(
    status: int | None, text: str, model_id: str
) -> tuple[str | None, type[ProviderError] | None]:
    """What to tell the user about an error whose message is ``text``, and the class to use."""
    lower = text.lower()
    if "context length" in lower or "context window" in lower or "exceeds the context" in lower:
        return (
            "Shorten the input, or raise the context window with "
            "Request(extra={'options': {'num_ctx': ...}}).",
            ContextLengthError,
        )
    if "not found" in lower and (status == 404 or "model" in lower):
        found = _NOT_FOUND.search(text)
        name = found.group(1) if found else model_id
        return (
            f"Download it with `ollama pull {name}` (`ollama list` shows the models you have).",
            None,
        )
    if "does not support tools" in lower:
        return (
            "This model cannot call tools: send the request without tools, or pick a model "
            "with tool support (https://ollama.com/search?c=tools).",
            None,
        )
    if "does not support thinking" in lower:
        return (
            "This model does not think: leave Request.reasoning unset, or pick a thinking "
            "model (https://ollama.com/search?c=thinking).",
            None,
        )
    if "think value" in lower and "not supported" in lower:
        return (
            "This model switches thinking on or off only; it takes no level "
            "(think: true or false).",
            None,
        )
    if "does not support chat" in lower or "does not support generate" in lower:
        return ("It is an embedding model: call embed() with it instead.", None)
    if status in (401, 403):
        return (
            f"A hosted Ollama needs a key: set {KEY_ENV} or pass api_key=... to llmkit.model().",
            None,
        )
    return None, None


@dataclass(frozen=True, slots=True)
class OllamaErrors:
    """How one Ollama model's error bodies (``{"error": …}``) are read: the class and the hint.

    A model passes ``OllamaErrors(...).read`` to its
    :class:`~llmkit.http.Endpoint` as the ``error_parser``.
    """

    model_id: str
    """The model name, used in the ``ollama pull`` hint when the message names none."""

    def read(self, status: int, body: bytes) -> ErrorInfo:
        """What the error body of a call answered with HTTP ``status`` says.

        The hint is chosen from Ollama's wording: a model to pull, a model that
        takes no tools or no thinking, an embedding model asked to chat, a
        missing key; a context overflow becomes a
        :class:`~llmkit.errors.ContextLengthError`.
        """
        info = parse_error_body(status, body)
        hint, cls = _hint(status, info.message, self.model_id)
        info.hint = hint
        info.error_class = cls
        return info


def error_from_message(message: str, model_id: str = "") -> ProviderError:
    """The error for an ``{"error": …}`` line in a stream (or in a 200 answer).

    No status comes with it; Ollama sends it when generation failed part-way,
    a server-side failure, so it is a :class:`ServerError` unless the message
    says otherwise (a context overflow, say).
    """
    hint, cls = _hint(None, message, model_id)
    text = f"ollama reported an error: {message}" + (f" {hint}" if hint else "")
    error_class = cls or ServerError
    return error_class(
        text,
        provider="ollama",
        provider_message=message,
    )


def error_in_body(error: Any) -> ProviderError:
    """The error for an ``{"error": …}`` object inside a 200 answer or a stream."""
    message = error if isinstance(error, str) else dumps(error)
    return error_from_message(message)
