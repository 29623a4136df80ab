"""The Anthropic Messages wire format: conversation turns and their content blocks.

Pure functions used by :mod:`llmkit.providers.anthropic.encode`: llmkit
messages in, the ``system`` field and the ``messages`` list out.

- system messages before the conversation go to the top-level ``system``
  field; one in the middle becomes a ``role: "system"`` turn on models that
  take it (right after a user turn, before an assistant turn or at the end)
  and joins ``system`` otherwise;
- a tool message becomes a user turn that starts with its ``tool_result``
  blocks; consecutive turns of one role are merged into one;
- reasoning is sent back only when this protocol produced it (signature kept);
- values under ``provider_data["anthropic"]`` of a part or message are merged
  into its wire block (or the message's last block): ``cache_control`` markers.
"""

from __future__ import annotations

import base64
import re

from llmkit.errors import UnsupportedError, UsageError
from llmkit.providers._checks import names_stray_items
from llmkit.types import (
    AudioPart,
    DocumentPart,
    ImagePart,
    JSONDict,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCall,
    ToolResult,
)

__all__ = [
    "EXTRA_BLOCKS",
    "PROTOCOL",
    "encode_messages",
    "ours",
    "thinking_fits",
    "wire_id",
    "with_extras",
]

PROTOCOL = "anthropic"
"""The key of this protocol's values in ``provider_data``."""
EXTRA_BLOCKS = "extra_blocks"
"""Where an assistant message keeps answer blocks llmkit has no part for (server tools …),
as ``[{"index": position, "block": {...}}]``, so they are sent back in place."""

_ID = re.compile(r"^[a-zA-Z0-9_-]+$")
_NOT_ID = re.compile(r"[^a-zA-Z0-9_-]")
_DOCUMENT_TYPES = ("application/pdf", "text/plain")


def ours(provider_data: JSONDict | None) -> JSONDict:
    """This protocol's values in ``provider_data`` (never another provider's)."""
    if provider_data:
        value = provider_data.get(PROTOCOL)
        if isinstance(value, dict):
            return value
    return {}


def with_extras(block: JSONDict, provider_data: JSONDict | None) -> JSONDict:
    extras = ours(provider_data)
    if extras:
        block.update((k, v) for k, v in extras.items() if k != "type")
    return block


def thinking_fits(messages: list[JSONDict]) -> bool:
    """Whether thinking may be on: an answered tool-use turn must start with its thinking."""
    turns = [m for m in messages if m["role"] != "system"]
    if len(turns) < 2:
        return True
    last, previous = turns[-1], turns[-2]
    content = last["content"]
    answering = (
        last["role"] == "user"
        and isinstance(content, list)
        and any(b.get("type") == "tool_result" for b in content)
    )
    if not answering or previous["role"] != "assistant":
        return True
    blocks = previous["content"]
    first = blocks[0] if isinstance(blocks, list) and blocks else None
    return isinstance(first, dict) and first.get("type") in ("thinking", "redacted_thinking")


def wire_id(call_id: str) -> str:
    """``call_id`` as a ``tool_use`` id (``^[a-zA-Z0-9_-]+$``); other providers' ids are mapped."""
    if _ID.match(call_id):
        return call_id
    return _NOT_ID.sub("_", call_id) or "call"


def _append(turns: list[JSONDict], role: str, blocks: list[JSONDict]) -> None:
    """Add ``blocks`` as a turn, merging with the previous turn of the same role.

    In a user turn, ``tool_result`` blocks stay first, as the API requires.
    """
    if turns and turns[-1]["role"] == role:
        content: list[JSONDict] = turns[-1]["content"]
        if role == "user":
            results = [b for b in blocks if b["type"] == "tool_result"]
            if results:
                at = sum(1 for b in content if b["type"] == "tool_result")
                content[at:at] = results
                content.extend(b for b in blocks if b["type"] != "tool_result")
                return
        content.extend(blocks)
        return
    turns.append({"role": role, "content": blocks})


def _mark_last(blocks: list[JSONDict], message: Message) -> None:
    extras = ours(message.provider_data)
    marker = extras.get("cache_control")
    if marker is not None and blocks:
        blocks[-1]["cache_control"] = marker


@names_stray_items
def encode_messages(
    messages: list[Message], *, mid_conversation_system: bool = False
) -> tuple[str | list[JSONDict] | None, list[JSONDict]]:
    """The ``system`` field and the ``messages`` list for ``messages``."""
    system: list[JSONDict] = []
    turns: list[JSONDict] = []
    open_calls: list[str] | None = None  # ids of the latest assistant turn's tool calls
    pending: list[JSONDict] = []  # a run of system messages inside the conversation
    for index, message in enumerate(messages):
        role = message.role
        if role == "system":
            blocks = _system_blocks(message)
            if not turns:
                system.extend(blocks)
                continue
            pending.extend(blocks)
            following = messages[index + 1].role if index + 1 < len(messages) else None
            if following == "system":
                continue
            # The API takes a system turn only right after a user turn and before an
            # assistant turn (or at the end), on models that support it.
            if (
                mid_conversation_system
                and following in (None, "assistant")
                and turns[-1]["role"] == "user"
            ):
                turns.append({"role": "system", "content": pending})
            else:
                system.extend(pending)
            pending = []
            continue
        if role == "assistant":
            blocks = _assistant_blocks(message)
            if not blocks:
                continue
            calls = [p.id for p in message.parts if isinstance(p, ToolCall)]
            if turns and turns[-1]["role"] == "assistant" and open_calls is not None:
                open_calls.extend(calls)
            else:
                open_calls = calls
            _mark_last(blocks, message)
            _append(turns, "assistant", blocks)
        elif role == "tool":
            blocks = _tool_result_blocks(message, open_calls)
            _mark_last(blocks, message)
            _append(turns, "user", blocks)
        else:
            blocks = [b for b in map(_user_block, message.parts) if b is not None]
            _mark_last(blocks, message)
            _append(turns, "user", blocks)
    for turn in turns:
        content = turn["content"]
        if (
            len(content) == 1
            and set(content[0]) == {"type", "text"}
            and content[0]["type"] == "text"
        ):
            turn["content"] = content[0]["text"]
    return _system_field(system), turns


def _system_blocks(message: Message) -> list[JSONDict]:
    blocks: list[JSONDict] = []
    for part in message.parts:
        if not isinstance(part, TextPart):
            raise UsageError(
                f"A system message may hold only text for Anthropic, not a {part.kind!r} part."
            )
        if part.text:
            blocks.append(with_extras({"type": "text", "text": part.text}, part.provider_data))
    _mark_last(blocks, message)
    return blocks


def _system_field(blocks: list[JSONDict]) -> str | list[JSONDict] | None:
    if not blocks:
        return None
    if all(set(b) == {"type", "text"} for b in blocks):
        return "\n\n".join(b["text"] for b in blocks)
    return blocks


def _assistant_blocks(message: Message) -> list[JSONDict]:
    blocks: list[JSONDict] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            if part.text:
                blocks.append(with_extras({"type": "text", "text": part.text}, part.provider_data))
        elif isinstance(part, ToolCall):
            block: JSONDict = {
                "type": "tool_use",
                "id": wire_id(part.id),
                "name": part.name,
                "input": part.arguments,
            }
            blocks.append(with_extras(block, part.provider_data))
        elif isinstance(part, ReasoningPart):
            thinking = _thinking_block(part)
            if thinking is not None:
                blocks.append(thinking)
        else:
            raise UsageError(
                f"An assistant message cannot hold a {part.kind!r} part for Anthropic."
            )
    for extra in sorted(
        ours(message.provider_data).get(EXTRA_BLOCKS) or (), key=lambda e: e["index"]
    ):
        blocks.insert(min(extra["index"], len(blocks)), dict(extra["block"]))
    return blocks


def _thinking_block(part: ReasoningPart) -> JSONDict | None:
    """Thinking this protocol produced, sent back unchanged; others' reasoning is left out."""
    if PROTOCOL not in (part.provider_data or {}) or not part.signature:
        return None
    if part.redacted:
        return {"type": "redacted_thinking", "data": part.signature}
    return {"type": "thinking", "thinking": part.text, "signature": part.signature}


def _tool_result_blocks(message: Message, open_calls: list[str] | None) -> list[JSONDict]:
    blocks: list[JSONDict] = []
    for result in message.parts:
        if not isinstance(result, ToolResult):
            raise UsageError("A tool message may hold only ToolResult parts.")
        if open_calls is None or result.call_id not in open_calls:
            known = ", ".join(repr(c) for c in open_calls or ()) or "none"
            raise UsageError(
                f"The tool result for call id {result.call_id!r} answers no tool call of the "
                f"assistant message before it (its call ids: {known}). Each ToolResult must "
                "carry the id of a ToolCall in the assistant message it follows."
            )
        block: JSONDict = {"type": "tool_result", "tool_use_id": wire_id(result.call_id)}
        content = result.content
        if isinstance(content, str):
            if content:
                block["content"] = content
        else:
            inner = [_user_block(p) for p in content]
            block["content"] = [b for b in inner if b is not None]
        if result.is_error:
            block["is_error"] = True
        blocks.append(with_extras(block, result.provider_data))
    return blocks


def _user_block(part: Part) -> JSONDict | None:
    if isinstance(part, TextPart):
        if not part.text:
            return None
        return with_extras({"type": "text", "text": part.text}, part.provider_data)
    if isinstance(part, ImagePart):
        return with_extras({"type": "image", "source": _source(part)}, part.provider_data)
    if isinstance(part, DocumentPart):
        block: JSONDict = {"type": "document", "source": _document_source(part)}
        if part.name:
            block["title"] = part.name
        return with_extras(block, part.provider_data)
    if isinstance(part, AudioPart):
        raise UnsupportedError(
            "Anthropic models take no audio input; transcribe it first and send the text."
        )
    raise UsageError(
        f"A {part.kind!r} part cannot be sent as user content; tool results go in "
        "Message.tool(...), tool calls and reasoning in assistant messages."
    )


def _source(part: ImagePart | DocumentPart) -> JSONDict:
    data = part.base64_data
    if data is not None:
        return {"type": "base64", "media_type": part.media_type, "data": data}
    url = part.url or ""
    if url.startswith("data:"):
        raise UsageError(
            f"A data: URL must be base64-encoded for Anthropic ({url[:40]!r}…); "
            "pass the bytes with data= instead."
        )
    return {"type": "url", "url": url}


def _document_source(part: DocumentPart) -> JSONDict:
    media_type = part.media_type or "application/pdf"
    if part.data is None and not (part.url or "").startswith("data:"):
        return {"type": "url", "url": part.url}
    if media_type not in _DOCUMENT_TYPES:
        raise UnsupportedError(
            f"Anthropic takes PDF and plain-text documents, not {media_type!r}; convert the "
            "document to PDF or text first."
        )
    if media_type == "text/plain":
        raw = part.data if part.data is not None else base64.b64decode(part.base64_data or "")
        return {"type": "text", "media_type": "text/plain", "data": raw.decode("utf-8")}
    return _source(part)
