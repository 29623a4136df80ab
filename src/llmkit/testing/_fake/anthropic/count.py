"""``POST /v1/messages/count_tokens`` of the fake Anthropic API: the input tokens of a body.

The body is a Messages body without the generation settings: ``model`` and ``messages``
are required; ``system``, ``tools``, ``tool_choice``, ``thinking``, ``output_config`` and
the few other prompt fields may come; ``max_tokens``, ``stream``, sampling and the like are
refused as extra inputs (unless an ``anthropic-beta`` header is sent, as on ``/v1/messages``).
Every other rule of ``/v1/messages`` applies unchanged.

The count is the one the fake server reports as ``input_tokens`` when it answers the same
body on ``/v1/messages`` (:func:`~llmkit.testing._script.estimate_usage`): about four
characters of message text a token. Counting consumes no script turn.
"""

from __future__ import annotations

from typing import Any

from llmkit.testing._fake.anthropic.errors import AnthropicWireError, extra_input, required
from llmkit.testing._fake.anthropic.limits import limits_for
from llmkit.testing._fake.anthropic.request import decode_request
from llmkit.testing._fake.anthropic.rules import check_message_body
from llmkit.testing._script import estimate_usage
from llmkit.types import Message

__all__ = ["COUNT_PARAMETERS", "check_count_body", "count_body"]

# The body fields of the SDK's ``Messages.count_tokens`` (anthropic 2.12).
COUNT_PARAMETERS = frozenset(
    (
        "model",
        "messages",
        "cache_control",
        "context_management",
        "mcp_servers",
        "output_config",
        "system",
        "thinking",
        "tool_choice",
        "tools",
    )
)


def check_count_body(
    body: object, *, version: str = "2023-06-01", beta: bool = False
) -> AnthropicWireError | None:
    """The first reason ``POST /v1/messages/count_tokens`` would reject ``body``, or None."""
    if not isinstance(body, dict):
        return check_message_body(body, version=version, beta=beta)
    if not beta:
        for name in body:
            if name not in COUNT_PARAMETERS:
                return extra_input(name)
    for name in ("model", "messages"):
        if name not in body:
            return required(name)
    # The rules of /v1/messages, with the one field a count has no use for filled in.
    model = body["model"]
    most = limits_for(model).max_output_tokens if isinstance(model, str) else None
    return check_message_body({**body, "max_tokens": most or 1_000_000}, version=version, beta=True)


def count_body(body: dict[str, Any]) -> dict[str, Any]:
    """The answer to a valid body: ``{"input_tokens": N}``."""
    request = decode_request(body)
    tokens = estimate_usage(request, Message.assistant("")).input_tokens
    return {"input_tokens": tokens}
