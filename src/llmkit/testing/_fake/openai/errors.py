"""OpenAI error answers: the ``{"error": {...}}`` body, the constructors the rules share, and
the answers for scripted exceptions and faults."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from llmkit.errors import ContentFilterError, ContextLengthError, ProviderError
from llmkit.testing._fault import Fault, status_for

__all__ = [
    "OpenAIWireError",
    "bad",
    "bad_value",
    "check_auth",
    "error_for_exception",
    "error_for_fault",
    "invalid_url",
    "json_type",
    "missing",
    "model_not_found",
    "not_json",
    "unrecognized",
    "wrong_type",
]


@dataclass(slots=True)
class OpenAIWireError:
    """An OpenAI error answer: status, the ``error`` object's fields, extra headers."""

    status: int
    message: str
    type: str = "invalid_request_error"
    param: str | None = None
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        """The JSON error body ``{"error": {"message", "type", "param", "code"}}``."""
        error = {"message": self.message, "type": self.type, "param": self.param, "code": self.code}
        return json.dumps({"error": error}).encode()


def bad(message: str, param: str | None = None, code: str | None = None) -> OpenAIWireError:
    """A 400 ``invalid_request_error``."""
    return OpenAIWireError(400, message, "invalid_request_error", param, code)


def missing(param: str) -> OpenAIWireError:
    """400 ``missing_required_parameter`` for ``param``."""
    return bad(f"Missing required parameter: '{param}'.", param, "missing_required_parameter")


def json_type(value: object) -> str:
    """How the API names the JSON type of ``value`` in messages ("a string", "an object" …)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def wrong_type(param: str, expected: str, value: object) -> OpenAIWireError:
    """400 ``invalid_type``: ``param`` should have been ``expected``."""
    return bad(
        f"Invalid type for '{param}': expected {expected}, but got {json_type(value)} instead.",
        param,
        "invalid_type",
    )


def _choices(values: Iterable[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    if len(quoted) == 1:
        return quoted[0]
    if len(quoted) == 2:
        return f"{quoted[0]} and {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def bad_value(param: str, value: object, allowed: Iterable[str]) -> OpenAIWireError:
    """400 ``invalid_value``: ``value`` is not one of ``allowed``."""
    return bad(
        f"Invalid value: '{value}'. Supported values are: {_choices(allowed)}.",
        param,
        "invalid_value",
    )


def unrecognized(name: str) -> OpenAIWireError:
    """400 for a top-level parameter the endpoint does not take."""
    return bad(f"Unrecognized request argument supplied: {name}")


# ------------------------------------------------------------------ server-level


def not_json() -> OpenAIWireError:
    """The answer to a body that is not a JSON object."""
    return bad(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
        "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
        "sent was not valid JSON. If you have trouble figuring out how to fix this, please "
        "contact us through our help center at help.openai.com.)"
    )


def invalid_url(method: str, path: str) -> OpenAIWireError:
    """The answer to an unknown route."""
    return OpenAIWireError(404, f"Invalid URL ({method} {path})")


def model_not_found(model: str) -> OpenAIWireError:
    """The answer to a model the server does not serve."""
    return OpenAIWireError(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        code="model_not_found",
    )


def _masked(key: str) -> str:
    # The real API echoes a masked key; show even less, so no test log holds a usable key.
    return f"{key[:3]}****{key[-2:]}" if len(key) >= 12 else "****"


def check_auth(authorization: str | None, api_key: str | None) -> OpenAIWireError | None:
    """401 unless ``authorization`` is ``Bearer <key>`` (and the key is ``api_key``, when set)."""
    scheme, _, key = (authorization or "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        return OpenAIWireError(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization "
            "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password "
            "field (with blank username) if you're accessing the API from your browser and are "
            "prompted for a username and password. You can obtain an API key from "
            "https://platform.openai.com/account/api-keys.",
        )
    if api_key is not None and key != api_key:
        return OpenAIWireError(
            401,
            f"Incorrect API key provided: {_masked(key)}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )
    return None


# ------------------------------------------------------------ scripted errors

_DEFAULTS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Your request was malformed."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", None, "Your API key may not use this model or feature."),
    404: (
        "invalid_request_error",
        "model_not_found",
        "The model does not exist or you do not have access to it.",
    ),
    408: ("timeout", None, "The request timed out."),
    409: ("invalid_request_error", None, "Another request with the same key is in progress."),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests. Please try again later.",
    ),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


def _defaults(status: int) -> tuple[str, str | None, str]:
    if status in _DEFAULTS:
        return _DEFAULTS[status]
    if status >= 500:
        return ("server_error", None, f"The server answered HTTP {status}.")
    return ("invalid_request_error", None, f"The request failed with HTTP {status}.")


def _retry_headers(seconds: float | None, ms: int | None = None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if seconds is not None:
        headers["retry-after"] = f"{seconds:g}"
    if ms is not None:
        headers["retry-after-ms"] = str(ms)
    return headers


def _context_length(message: str | None = None) -> OpenAIWireError:
    return OpenAIWireError(
        400,
        message
        or "This model's maximum context length is 128000 tokens. However, your messages "
        "resulted in 130000 tokens. Please reduce the length of the messages.",
        "invalid_request_error",
        "messages",
        "context_length_exceeded",
    )


def error_for_exception(exc: BaseException) -> OpenAIWireError:
    """The OpenAI error answer for a scripted exception (its own fields win over defaults)."""
    status = status_for(exc)
    if isinstance(exc, ContextLengthError) and exc.code is None:
        return _context_length(exc.provider_message)
    kind, code, message = _defaults(status)
    if isinstance(exc, ContentFilterError):
        code = "content_filter"
    if not isinstance(exc, ProviderError):
        return OpenAIWireError(status, message, kind, None, code)
    return OpenAIWireError(
        status,
        exc.provider_message or exc.message or message,
        exc.error_type or kind,
        exc.param,
        exc.code or code,
        _retry_headers(exc.retry_after),
    )


def error_for_fault(fault: Fault) -> OpenAIWireError:
    """The OpenAI error answer for a ``status`` or ``context_length`` fault."""
    if fault.kind == "context_length":
        return _context_length(fault.message)
    kind, code, message = _defaults(fault.http_status)
    return OpenAIWireError(
        fault.http_status,
        fault.message or message,
        fault.error_type or kind,
        None,
        fault.error_code or code,
        _retry_headers(fault.retry_after, fault.retry_after_ms),
    )
