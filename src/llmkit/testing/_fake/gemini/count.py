"""``POST models/{model}:countTokens`` of the fake Gemini API: the prompt tokens of a request.

The body holds either ``contents`` or a whole ``generateContentRequest`` (its ``model``
named as ``models/{model}``, with the system instruction and tools it counts too), never
both and never neither. What is inside is checked as ``:generateContent`` checks it.

The count is the one the fake server reports as ``promptTokenCount`` when it answers the
same request on ``:generateContent`` (:func:`~llmkit.testing._script.estimate_usage`):
about four characters of message text a token. Counting consumes no script turn.
"""

from __future__ import annotations

from typing import Any

from llmkit.testing._fake.gemini.errors import GeminiWireError, bad, request_error
from llmkit.testing._fake.gemini.request import decode_request
from llmkit.testing._fake.gemini.rules import check_generate
from llmkit.testing._script import estimate_usage
from llmkit.types import Message

__all__ = ["check_count", "count_answer"]


def _inner(body: dict[str, Any]) -> dict[str, Any]:
    """The generate request a count body stands for."""
    inner = body.get("generateContentRequest")
    if inner is not None:
        return {k: v for k, v in inner.items() if k != "model"}
    return {"contents": body.get("contents") or []}


def check_count(body: dict[str, Any], model: str) -> GeminiWireError | None:
    """The first reason ``:countTokens`` of ``model`` would reject ``body`` (read), or None."""
    inner = body.get("generateContentRequest")
    if inner is not None and body.get("contents"):
        return bad(
            "contents and generate_content_request are mutually exclusive: send the model's "
            "contents, or a whole generate_content_request, not both."
        )
    if inner is not None:
        named = inner.get("model")
        if not named:
            return request_error(
                "generate_content_request.model", "model is not specified", "CountTokensRequest"
            )
        if named.removeprefix("models/") != model:
            return bad(
                f"generate_content_request.model ({named}) must be the model the request is "
                f"sent to (models/{model})."
            )
    elif not body.get("contents"):
        return request_error("contents", "contents is not specified", "CountTokensRequest")
    return check_generate(_inner(body), model)


def count_answer(body: dict[str, Any]) -> dict[str, Any]:
    """The answer to a valid body: ``totalTokens`` and its split by modality."""
    request = decode_request(_inner(body))
    tokens = estimate_usage(request, Message.assistant("")).input_tokens
    return {
        "totalTokens": tokens,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": tokens}],
    }
