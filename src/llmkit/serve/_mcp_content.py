"""From what a tool returned (a :class:`~llmkit.types.ToolResult`) to an MCP ``CallToolResult``.

The reverse of ``llmkit.tools._mcp.content``: text stays text, inline images
and audio become MCP image and audio content (base64), an inline document an
embedded blob resource, and media given by URL a resource link. An error
result is a result with ``isError`` set, its text the message the tool's
caller reads (never a traceback).
"""

from __future__ import annotations

from typing import Any

from llmkit.types import AudioPart, ContentPart, DocumentPart, ImagePart, TextPart, ToolResult

__all__ = ["call_result", "error_call_result"]


def _content(part: ContentPart) -> Any:
    import mcp_types

    if isinstance(part, TextPart):
        return mcp_types.TextContent(type="text", text=part.text)
    media_type = part.media_type or "application/octet-stream"
    data = part.base64_data
    if data is None:  # media given by a URL the client may fetch itself
        name = getattr(part, "name", None) or part.kind
        return mcp_types.ResourceLink(
            type="resource_link", name=name, uri=str(part.url), mime_type=media_type
        )
    if isinstance(part, ImagePart):
        return mcp_types.ImageContent(type="image", data=data, mime_type=media_type)
    if isinstance(part, AudioPart):
        return mcp_types.AudioContent(type="audio", data=data, mime_type=media_type)
    assert isinstance(part, DocumentPart)
    blob = mcp_types.BlobResourceContents(
        uri=f"llmkit:document/{part.name or 'document'}", mime_type=media_type, blob=data
    )
    return mcp_types.EmbeddedResource(type="resource", resource=blob)


def call_result(result: ToolResult) -> Any:
    """The ``CallToolResult`` that carries ``result`` (``isError`` when it is an error result)."""
    import mcp_types

    parts: list[ContentPart] = (
        [TextPart(result.content)] if isinstance(result.content, str) else list(result.content)
    )
    return mcp_types.CallToolResult(
        content=[_content(part) for part in parts], is_error=result.is_error
    )


def error_call_result(text: str) -> Any:
    """An error ``CallToolResult`` whose one text says ``text``."""
    import mcp_types

    return mcp_types.CallToolResult(
        content=[mcp_types.TextContent(type="text", text=text)], is_error=True
    )
