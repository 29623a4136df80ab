"""From MCP tool results to what the model reads: text, images, audio, documents, JSON."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from llmkit.errors import ToolError
from llmkit.types import AudioPart, ContentPart, DocumentPart, ImagePart, TextPart

__all__ = ["result_content", "tool_name"]

_NOT_A_NAME = re.compile(r"[^a-zA-Z0-9_-]")


def tool_name(prefix: str, name: str) -> str:
    """``prefix + name`` with characters providers refuse replaced by ``_`` (64 at most)."""
    return _NOT_A_NAME.sub("_", f"{prefix}{name}")[:64] or "_"


def _decode(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ToolError("The MCP server sent media that is not valid base64.") from None


def _media(data: bytes, media_type: str) -> ContentPart:
    if media_type.startswith("image/"):
        return ImagePart(data=data, media_type=media_type)
    if media_type.startswith("audio/"):
        return AudioPart(data=data, media_type=media_type)
    return DocumentPart(data=data, media_type=media_type)


def _part(item: Any) -> ContentPart:
    kind = getattr(item, "type", None)
    if kind == "text":
        return TextPart(str(item.text))
    if kind in ("image", "audio"):
        return _media(_decode(item.data), str(item.mime_type or f"{kind}/octet-stream"))
    if kind == "resource":
        resource = item.resource
        text = getattr(resource, "text", None)
        if text is not None:
            return TextPart(str(text))
        mime = str(getattr(resource, "mime_type", None) or "application/octet-stream")
        return _media(_decode(resource.blob), mime)
    if kind == "resource_link":
        return TextPart(f"[resource {item.name}: {item.uri}]")
    return TextPart(json.dumps(item.model_dump(mode="json", exclude_none=True)))


def result_content(result: Any, tool: str) -> str | list[ContentPart]:
    """The model-facing content of a ``CallToolResult``; an error result raises ToolError."""
    parts = [_part(item) for item in result.content or ()]
    if not parts and result.structured_content is not None:
        parts = [TextPart(json.dumps(result.structured_content, ensure_ascii=False))]
    if getattr(result, "is_error", False):
        text = "\n".join(p.text for p in parts if isinstance(p, TextPart))
        raise ToolError(text or f"The MCP tool {tool!r} failed without a message.")
    if all(isinstance(p, TextPart) for p in parts):
        return "\n".join(p.text for p in parts if isinstance(p, TextPart))
    return parts
