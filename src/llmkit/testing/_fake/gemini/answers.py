"""The fake server's Gemini answers, as pure functions.

Encodes a :class:`~llmkit.types.Response` as a ``GenerateContentResponse``
(whole, or as the SSE chunks of ``:streamGenerateContent?alt=sse``), a
scripted content-filter error as a blocked prompt, and embedding answers.
"""

from __future__ import annotations

import json
import re
from typing import Any

from llmkit._json import dumps
from llmkit.errors import ContentFilterError
from llmkit.testing._fake.gemini.signatures import issue
from llmkit.testing._vectors import text_vector
from llmkit.types import ReasoningPart, Response, TextPart, ToolCall, Usage

__all__ = [
    "BLOCK_REASONS",
    "blocked_body",
    "generate_body",
    "stream_chunks",
    "usage_metadata",
    "vector_for",
]

_FINISH = {
    "stop": "STOP",
    "tool_calls": "STOP",
    "length": "MAX_TOKENS",
    "content_filter": "SAFETY",
    "error": "OTHER",
}
BLOCK_REASONS = frozenset(("SAFETY", "OTHER", "BLOCKLIST", "PROHIBITED_CONTENT", "IMAGE_SAFETY"))
"""``promptFeedback.blockReason`` values."""
_WORDS = re.compile(r"\s*\S+\s*")


# ---------------------------------------------------------------------- answers


def usage_metadata(usage: Usage, *, final: bool = True) -> dict[str, Any]:
    """``usageMetadata`` for ``usage``; before the last chunk only the prompt is counted."""
    prompt = usage.input_tokens
    if not final:
        return {"promptTokenCount": prompt, "totalTokenCount": prompt}
    thoughts = usage.reasoning_tokens
    candidates = max(0, usage.output_tokens - thoughts)
    meta: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt + candidates + thoughts,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
    }
    if thoughts:
        meta["thoughtsTokenCount"] = thoughts
    if usage.cache_read_tokens:
        meta["cachedContentTokenCount"] = usage.cache_read_tokens
    return meta


def _finish(response: Response) -> str:
    raw = response.raw_finish_reason
    if raw and raw.isupper():
        return raw
    return _FINISH.get(response.finish_reason, "STOP")


def _call_part(call: ToolCall, explicit_ids: set[str]) -> dict[str, Any]:
    args: Any = call.arguments
    if call.raw_arguments is not None and call.arguments_error is None:
        args = json.loads(call.raw_arguments) if call.raw_arguments.strip() else {}
    wire: dict[str, Any] = {"name": call.name, "args": args}
    if call.id in explicit_ids:
        wire["id"] = call.id
    return {"functionCall": wire}


def _parts(response: Response, explicit_ids: set[str], signed: bool) -> list[dict[str, Any]]:
    """The candidate's parts; Gemini 3 signs the first call (or, without calls, the last part)."""
    parts: list[dict[str, Any]] = []
    first_call: dict[str, Any] | None = None
    for part in response.message.parts:
        if isinstance(part, ReasoningPart):
            parts.append({"text": part.text, "thought": True})
        elif isinstance(part, TextPart):
            parts.append({"text": part.text})
        elif isinstance(part, ToolCall):
            wire = _call_part(part, explicit_ids)
            if first_call is None:
                first_call = wire
            parts.append(wire)
    if signed:
        if first_call is not None:
            first_call["thoughtSignature"] = issue(first_call["functionCall"]["name"])
        elif parts and "thought" not in parts[-1]:
            parts[-1]["thoughtSignature"] = issue("text")
    return parts


def generate_body(
    response: Response, *, model: str, response_id: str, explicit_ids: set[str], signed: bool
) -> dict[str, Any]:
    """The ``GenerateContentResponse`` for ``response``."""
    candidate: dict[str, Any] = {}
    parts = _parts(response, explicit_ids, signed)
    if parts:
        candidate["content"] = {"parts": parts, "role": "model"}
    candidate["finishReason"] = _finish(response)
    candidate["index"] = 0
    return {
        "candidates": [candidate],
        "usageMetadata": usage_metadata(response.usage),
        "modelVersion": response.model or model,
        "responseId": response_id,
    }


def _pieces(text: str) -> list[str]:
    words = _WORDS.findall(text)
    if not words:
        return [text] if text else []
    return ["".join(words[i : i + 3]) for i in range(0, len(words), 3)]


def _event(chunk: dict[str, Any]) -> bytes:
    return b"data: " + dumps(chunk).encode() + b"\r\n\r\n"


def stream_chunks(
    response: Response, *, model: str, response_id: str, explicit_ids: set[str], signed: bool
) -> list[bytes]:
    """The SSE events of the streamed answer: text in pieces of about three words,
    tool calls whole in one chunk, ``usageMetadata`` on each (complete on the last)."""
    groups: list[list[dict[str, Any]]] = []
    calls: list[dict[str, Any]] = []
    for part in _parts(response, explicit_ids, signed):
        if "functionCall" in part:
            calls.append(part)
            continue
        pieces = _pieces(part["text"]) or [""]
        for k, piece in enumerate(pieces):
            wire = {key: value for key, value in part.items() if key != "thoughtSignature"}
            wire["text"] = piece
            if k == len(pieces) - 1 and "thoughtSignature" in part:
                wire["thoughtSignature"] = part["thoughtSignature"]
            groups.append([wire])
    if calls:
        groups.append(calls)
    if not groups:
        groups.append([])
    events: list[bytes] = []
    for index, parts in enumerate(groups):
        last = index == len(groups) - 1
        candidate: dict[str, Any] = {}
        if parts:
            candidate["content"] = {"parts": parts, "role": "model"}
        if last:
            candidate["finishReason"] = _finish(response)
        candidate["index"] = 0
        chunk = {
            "candidates": [candidate],
            "usageMetadata": usage_metadata(response.usage, final=last),
            "modelVersion": response.model or model,
            "responseId": response_id,
        }
        events.append(_event(chunk))
    return events


def blocked_body(exc: ContentFilterError, *, model: str, prompt_tokens: int) -> dict[str, Any]:
    """A 200 answer whose prompt was blocked: ``promptFeedback`` and no candidates."""
    reason = exc.code if exc.code in BLOCK_REASONS else "SAFETY"
    return {
        "promptFeedback": {
            "blockReason": reason,
            "safetyRatings": [
                {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}
            ],
        },
        "usageMetadata": {"promptTokenCount": prompt_tokens, "totalTokenCount": prompt_tokens},
        "modelVersion": model,
    }


# --------------------------------------------------------------------- embeddings


def vector_for(content: dict[str, Any], dimensions: int) -> dict[str, Any]:
    """``{"values": [...]}`` for an embedding request's content (deterministic)."""
    text = "".join(p.get("text", "") for p in content.get("parts", ()))
    return {"values": text_vector(text, dimensions)}
