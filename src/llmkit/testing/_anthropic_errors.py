"""Anthropic error answers: the ``{"type": "error", ...}`` body and the constructors rules share.

The wording follows the real API (``WIRE.md``): validation failures read
``"<path>: <problem>"`` in the style of the API's own messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

__all__ = [
    "AnthropicWireError",
    "check_auth",
    "check_version",
    "extra_input",
    "invalid",
    "model_not_found",
    "not_json",
    "required",
    "should_retry",
    "wrong_type",
]

KNOWN_VERSIONS = ("2023-01-01", "2023-06-01", "2026-10-21")
"""The ``anthropic-version`` values the API accepts."""


def should_retry(status: int) -> bool:
    """What the API's ``x-should-retry`` header says for ``status``."""
    return status in (408, 409, 429) or status >= 500


@dataclass(slots=True)
class AnthropicWireError:
    """An Anthropic error answer: status, error type and message, extra headers."""

    status: int
    message: str
    type: str = "invalid_request_error"
    headers: dict[str, str] = field(default_factory=dict)

    def body(self, request_id: str) -> bytes:
        """The JSON body ``{"type": "error", "error": {"type", "message"}, "request_id"}``."""
        error = {"type": self.type, "message": self.message}
        return json.dumps({"type": "error", "error": error, "request_id": request_id}).encode()

    def event(self) -> bytes:
        """The same error as a server-sent ``error`` event, as sent part-way through a stream."""
        data = json.dumps({"type": "error", "error": {"type": self.type, "message": self.message}})
        return f"event: error\ndata: {data}\n\n".encode()


def invalid(message: str) -> AnthropicWireError:
    """A 400 ``invalid_request_error``."""
    return AnthropicWireError(400, message)


def required(path: str) -> AnthropicWireError:
    """400: the field at ``path`` is missing."""
    return invalid(f"{path}: Field required")


def extra_input(path: str) -> AnthropicWireError:
    """400: a field the API does not know."""
    return invalid(f"{path}: Extra inputs are not permitted")


_TYPE_NAMES = {
    "str": "a valid string",
    "int": "a valid integer",
    "number": "a valid number",
    "bool": "a valid boolean",
    "list": "a valid list",
    "dict": "a valid dictionary",
}


def wrong_type(path: str, expected: str) -> AnthropicWireError:
    """400: the value at ``path`` is not of the ``expected`` kind (str, int, number, bool …)."""
    return invalid(f"{path}: Input should be {_TYPE_NAMES.get(expected, expected)}")


def not_json(reason: str) -> AnthropicWireError:
    """The answer to a body that is not JSON."""
    return invalid(f"The request body is not valid JSON: {reason}")


def model_not_found(model: str) -> AnthropicWireError:
    """The answer to a model the server does not serve."""
    return AnthropicWireError(404, f"model: {model}", "not_found_error")


def check_auth(
    x_api_key: str | None, authorization: str | None, api_key: str | None
) -> AnthropicWireError | None:
    """401 unless a key came in ``x-api-key`` or as ``Authorization: Bearer`` (``x-api-key`` wins).

    With ``api_key`` set, only that key is accepted.
    """
    key = (x_api_key or "").strip()
    if not key:
        scheme, _, bearer = (authorization or "").partition(" ")
        key = bearer.strip() if scheme.lower() == "bearer" else ""
    if not key:
        return AnthropicWireError(401, "x-api-key header is required", "authentication_error")
    if api_key is not None and key != api_key:
        return AnthropicWireError(401, "invalid x-api-key", "authentication_error")
    return None


def check_version(version: str | None) -> AnthropicWireError | None:
    """400 unless ``anthropic-version`` is present and one the API knows."""
    if not version:
        return invalid("anthropic-version: header is required")
    if version not in KNOWN_VERSIONS:
        return invalid(f'anthropic-version: "{version}" is not a valid version')
    return None
