"""Anthropic rules for ``system`` and ``messages``: roles, content blocks, tool-use pairing.

Pure functions: a request body in, the first :class:`AnthropicWireError` (or None) out.
Consecutive turns of one role count as one turn, as the API combines them.
"""

from __future__ import annotations

import re
from typing import Any

from llmkit.testing._fake.anthropic.errors import (
    AnthropicWireError,
    extra_input,
    invalid,
    required,
    wrong_type,
)

__all__ = ["cache_marker_count", "check_messages", "check_system"]

_ID = re.compile(r"^[a-zA-Z0-9_-]+$")
_IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
_SERVER_RESULTS = (
    "server_tool_use",
    "web_search_tool_result",
    "web_fetch_tool_result",
    "code_execution_tool_result",
    "bash_code_execution_tool_result",
    "text_editor_code_execution_tool_result",
    "tool_search_tool_result",
)
_BLOCKS_BY_ROLE: dict[str, tuple[str, ...]] = {
    "user": ("text", "image", "document", "search_result", "tool_result", "container_upload"),
    "assistant": (
        "text",
        "thinking",
        "redacted_thinking",
        "tool_use",
        "document",
        *_SERVER_RESULTS,
    ),
    "system": ("text",),
}
# The fields each block type takes (blocks not listed are taken as they come).
_FIELDS: dict[str, frozenset[str]] = {
    "text": frozenset(("type", "text", "cache_control", "citations")),
    "image": frozenset(("type", "source", "cache_control")),
    "document": frozenset(("type", "source", "title", "context", "citations", "cache_control")),
    "tool_use": frozenset(("type", "id", "name", "input", "cache_control", "caller")),
    "tool_result": frozenset(("type", "tool_use_id", "content", "is_error", "cache_control")),
    "thinking": frozenset(("type", "thinking", "signature")),
    "redacted_thinking": frozenset(("type", "data")),
}
_THINKING_FIRST = (
    "messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
    "`{found}`. When `thinking` is enabled, a final `assistant` message must start with a "
    "thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We "
    "recommend you include thinking blocks from previous turns. To avoid this requirement, "
    "disable `thinking`. Please consult our documentation at "
    "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
)


def _tags(allowed: tuple[str, ...]) -> str:
    return ", ".join(f"'{t}'" for t in allowed)


def _check_cache_control(value: object, where: str) -> AnthropicWireError | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        return wrong_type(f"{where}.cache_control", "dict")
    if value.get("type") != "ephemeral":
        return invalid(f"{where}.cache_control.type: Input should be 'ephemeral'")
    ttl = value.get("ttl")
    if ttl is not None and ttl not in ("5m", "1h"):
        return invalid(f"{where}.cache_control.ttl: Input should be '5m' or '1h'")
    for key in value:
        if key not in ("type", "ttl"):
            return extra_input(f"{where}.cache_control.{key}")
    return None


def _check_source(kind: str, source: object, where: str) -> AnthropicWireError | None:
    if not isinstance(source, dict):
        if source is None:
            return required(f"{where}.source")
        return wrong_type(f"{where}.source", "dict")
    source_type = source.get("type")
    if kind == "image":
        allowed: tuple[str, ...] = ("base64", "url", "file")
    else:
        allowed = ("base64", "text", "url", "content", "file")
    if source_type not in allowed:
        return invalid(
            f"{where}.source.type: Input tag '{source_type}' found using 'type' does not match "
            f"any of the expected tags: {_tags(allowed)}"
        )
    at = f"{where}.source.{source_type}"
    needs = {
        "base64": "data",
        "text": "data",
        "url": "url",
        "content": "content",
        "file": "file_id",
    }
    needed = needs[source_type]
    if needed not in source:
        return required(f"{at}.{needed}")
    value = source[needed]
    if source_type == "content":
        if not isinstance(value, str | list):
            return wrong_type(f"{at}.content", "list")
    elif not isinstance(value, str) or not value:
        return invalid(f"{at}.{needed}: String should have at least 1 character")
    media_type = source.get("media_type")
    if source_type == "base64":
        if not isinstance(source.get("data"), str):
            return wrong_type(f"{at}.data", "str")
        if kind == "image" and media_type not in _IMAGE_TYPES:
            return invalid(
                f"{at}.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or "
                "'image/webp'"
            )
        if kind == "document" and media_type != "application/pdf":
            return invalid(f"{at}.media_type: Input should be 'application/pdf'")
    if source_type == "text" and media_type != "text/plain":
        return invalid(f"{at}.media_type: Input should be 'text/plain'")
    return None


def _check_block(block: object, role: str, where: str, version: str) -> AnthropicWireError | None:
    if not isinstance(block, dict):
        return invalid(
            f"{where}: Input should be a valid dictionary or object to extract fields from"
        )
    kind = block.get("type")
    allowed = _BLOCKS_BY_ROLE[role]
    if role == "assistant" and kind == "document" and version == "2026-10-21":
        return invalid(f"{where}: `document` blocks are not allowed in `assistant` messages")
    if kind not in allowed:
        return invalid(
            f"{where}.type: Input tag '{kind}' found using 'type' does not match any of the "
            f"expected tags: {_tags(allowed)}"
        )
    fields = _FIELDS.get(kind)
    if fields is not None:
        for key in block:
            if key not in fields:
                return extra_input(f"{where}.{kind}.{key}")
    error = _check_cache_control(block.get("cache_control"), where)
    if error is not None:
        return error
    if kind == "text":
        text = block.get("text")
        if not isinstance(text, str):
            return required(f"{where}.text") if text is None else wrong_type(f"{where}.text", "str")
        if not text:
            return invalid("messages: text content blocks must be non-empty")
        if role == "user" and block.get("citations") and version == "2026-10-21":
            return invalid(f"{where}.citations: citations are not allowed in `user` text blocks")
    elif kind in ("image", "document"):
        return _check_source(kind, block.get("source"), where)
    elif kind == "tool_use":
        return _check_tool_use(block, where)
    elif kind == "tool_result":
        return _check_tool_result(block, where, version)
    elif kind == "thinking":
        for key in ("thinking", "signature"):
            if not isinstance(block.get(key), str):
                return required(f"{where}.thinking.{key}")
    elif kind == "redacted_thinking" and not isinstance(block.get("data"), str):
        return required(f"{where}.redacted_thinking.data")
    return None


def _check_tool_use(block: dict[str, Any], where: str) -> AnthropicWireError | None:
    for key in ("id", "name", "input"):
        if key not in block:
            return required(f"{where}.tool_use.{key}")
    call_id = block["id"]
    if not isinstance(call_id, str) or not _ID.match(call_id):
        return invalid(f"{where}.id: String should match pattern '^[a-zA-Z0-9_-]+$'")
    if not isinstance(block["name"], str):
        return wrong_type(f"{where}.name", "str")
    if not isinstance(block["input"], dict):
        return wrong_type(f"{where}.input", "dict")
    return None


def _check_tool_result(
    block: dict[str, Any], where: str, version: str
) -> AnthropicWireError | None:
    if not isinstance(block.get("tool_use_id"), str):
        return required(f"{where}.tool_result.tool_use_id")
    if "is_error" in block and not isinstance(block["is_error"], bool):
        return wrong_type(f"{where}.is_error", "bool")
    content = block.get("content")
    if content is None or isinstance(content, str):
        return None
    if not isinstance(content, list):
        return wrong_type(f"{where}.content", "list")
    for k, inner in enumerate(content):
        at = f"{where}.content.{k}"
        if isinstance(inner, dict) and inner.get("type") not in (
            "text",
            "image",
            "document",
            "search_result",
        ):
            return invalid(
                f"{at}.type: Input tag '{inner.get('type')}' found using 'type' does not match "
                "any of the expected tags: 'text', 'image', 'document', 'search_result'"
            )
        error = _check_block(inner, "user", at, version)
        if error is not None:
            return error
    return None


def _blocks(content: object) -> list[Any]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return content if isinstance(content, list) else []


# ------------------------------------------------------------------------ system


def check_system(body: dict[str, Any]) -> AnthropicWireError | None:
    """``system``: a string or a list of text blocks."""
    system = body.get("system")
    if system is None or isinstance(system, str):
        return None
    if not isinstance(system, list):
        return wrong_type("system", "str")
    for j, block in enumerate(system):
        if not isinstance(block, dict) or block.get("type") != "text":
            kind = block.get("type") if isinstance(block, dict) else None
            return invalid(
                f"system.{j}.type: Input tag '{kind}' found using 'type' does not match any of "
                "the expected tags: 'text'"
            )
        error = _check_block(block, "system", f"system.{j}", "2023-06-01")
        if error is not None:
            return error
    return None


# ---------------------------------------------------------------------- messages


def _check_message(i: int, message: object, last: bool, version: str) -> AnthropicWireError | None:
    where = f"messages.{i}"
    if not isinstance(message, dict):
        return invalid(
            f"{where}: Input should be a valid dictionary or object to extract fields from"
        )
    role = message.get("role")
    if role is None:
        return required(f"{where}.role")
    if role not in ("user", "assistant", "system"):
        return invalid(f"{where}.role: Input should be 'user', 'assistant' or 'system'")
    for key in message:
        if key not in ("role", "content"):
            return extra_input(f"{where}.{key}")
    if "content" not in message:
        return required(f"{where}.content")
    content = message["content"]
    if not isinstance(content, str | list):
        return wrong_type(f"{where}.content", "list")
    if not content and not (last and role == "assistant"):
        return invalid(
            f"{where}: all messages must have non-empty content except for the optional final "
            "assistant message"
        )
    if isinstance(content, str):
        return None
    for j, block in enumerate(content):
        error = _check_block(block, role, f"{where}.content.{j}", version)
        if error is not None:
            return error
    return None


def _check_system_turns(
    messages: list[dict[str, Any]], mid_system: bool
) -> AnthropicWireError | None:
    for i, message in enumerate(messages):
        if message["role"] != "system":
            continue
        if not mid_system:
            return invalid(f"messages.{i}.role: role 'system' is not supported on this model")
        before = messages[i - 1]["role"] if i else None
        after = messages[i + 1]["role"] if i + 1 < len(messages) else None
        if before == "system" or after == "system":
            return invalid(f"messages.{i}: two `system` messages may not be adjacent")
        if before != "user":
            return invalid(
                f"messages.{i}: a `system` message must directly follow a `user` message"
            )
        if after not in (None, "assistant"):
            return invalid(
                f"messages.{i}: a `system` message must be followed by an `assistant` message "
                "or end the conversation"
            )
    return None


def _turns(messages: list[dict[str, Any]]) -> list[tuple[int, str, list[Any]]]:
    """The conversation as the API sees it: consecutive same-role messages combined."""
    turns: list[tuple[int, str, list[Any]]] = []
    for i, message in enumerate(messages):
        role = message["role"]
        blocks = _blocks(message["content"])
        if turns and turns[-1][1] == role:
            turns[-1][2].extend(blocks)
        else:
            turns.append((i, role, list(blocks)))
    return turns


def _check_tool_pairing(
    turns: list[tuple[int, str, list[Any]]], thinking: bool
) -> AnthropicWireError | None:
    previous_ids: list[str] = []
    for i, role, blocks in turns:
        if role == "system":
            continue
        if role == "assistant":
            previous_ids = [b["id"] for b in blocks if b.get("type") == "tool_use"]
            continue
        results = [(j, b) for j, b in enumerate(blocks) if b.get("type") == "tool_result"]
        for j, block in results:
            if block["tool_use_id"] not in previous_ids:
                return invalid(
                    f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` "
                    f"blocks: {block['tool_use_id']}. Each `tool_result` block must have a "
                    "corresponding `tool_use` block in the previous message."
                )
        if previous_ids:
            answered = {b["tool_use_id"] for _, b in results}
            missing = [c for c in previous_ids if c not in answered]
            if missing:
                return invalid(
                    f"messages.{i}: `tool_use` ids were found without `tool_result` blocks "
                    f"immediately after: {', '.join(missing)}. Each `tool_use` block must have a "
                    "corresponding `tool_result` block in the next message."
                )
            leading = 0
            while leading < len(blocks) and blocks[leading].get("type") == "tool_result":
                leading += 1
            if leading < len(previous_ids):
                return invalid(
                    f"messages.{i}: Did not find {len(previous_ids)} `tool_result` block(s) at "
                    "the beginning of this message. Messages following `tool_use` blocks must "
                    "begin with a matching number of `tool_result` blocks."
                )
        previous_ids = []
    if thinking:
        return _check_thinking_first(turns)
    return None


def _check_thinking_first(turns: list[tuple[int, str, list[Any]]]) -> AnthropicWireError | None:
    """With thinking on, the assistant turn whose tool use is being answered starts thinking."""
    talk = [t for t in turns if t[1] != "system"]
    if len(talk) < 2:
        return None
    (_, last_role, last_blocks), (i, role, blocks) = talk[-1], talk[-2]
    answering = last_role == "user" and any(b.get("type") == "tool_result" for b in last_blocks)
    if not answering or role != "assistant":
        return None
    first = blocks[0].get("type") if blocks else None
    if first in ("thinking", "redacted_thinking"):
        return None
    return invalid(_THINKING_FIRST.format(i=i, found=first))


def check_messages(
    body: dict[str, Any], *, version: str, mid_system: bool, thinking: bool
) -> AnthropicWireError | None:
    """``messages``: shape, roles, blocks per role, system turns, tool-use pairing, thinking."""
    if "messages" not in body:
        return required("messages")
    messages = body["messages"]
    if not isinstance(messages, list):
        return wrong_type("messages", "list")
    if not messages:
        return invalid("messages: at least one message is required")
    for i, message in enumerate(messages):
        error = _check_message(i, message, i == len(messages) - 1, version)
        if error is not None:
            return error
    return _check_system_turns(messages, mid_system) or _check_tool_pairing(
        _turns(messages), thinking
    )


def cache_marker_count(body: dict[str, Any]) -> int:
    """How many blocks, tools and system blocks carry ``cache_control``."""
    count = 0
    for tool in body.get("tools") or ():
        count += isinstance(tool, dict) and tool.get("cache_control") is not None
    system = body.get("system")
    for block in system if isinstance(system, list) else ():
        count += isinstance(block, dict) and block.get("cache_control") is not None
    for message in body.get("messages") or ():
        content = message.get("content") if isinstance(message, dict) else None
        for block in content if isinstance(content, list) else ():
            count += isinstance(block, dict) and block.get("cache_control") is not None
    return count
