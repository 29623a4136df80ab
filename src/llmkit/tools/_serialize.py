"""Turning what a tool returned into what the model reads.

``str`` goes as is; images, documents and audio (parts, or raw ``bytes`` of a
known format) become content parts; everything else becomes JSON: pydantic
models, dataclasses, dicts, lists, numbers, dates (through pydantic's
serialiser when the standard one cannot). A value that cannot become JSON (a
cycle, bytes that are not UTF-8, nesting too deep) raises
:class:`~llmkit.errors.UsageError` saying why; an agent turns it into an
error result for the model.
"""

from __future__ import annotations

from typing import Any

from llmkit._json import dumps
from llmkit.errors import UsageError
from llmkit.types import AudioPart, ContentPart, DocumentPart, ImagePart, TextPart

__all__ = ["sniff_media_type", "to_content"]

_PARTS = (TextPart, ImagePart, DocumentPart, AudioPart)

# Leading bytes of the media formats models take, and their types.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"ID3", "audio/mpeg"),
    (b"\xff\xfb", "audio/mpeg"),
)


def sniff_media_type(data: bytes) -> str | None:
    """The media type of ``data`` from its first bytes, or None when unknown."""
    for magic, media_type in _MAGIC:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    return None


def _media_part(data: bytes) -> ContentPart:
    media_type = sniff_media_type(data)
    if media_type is None:
        # Unknown bytes: give the model text it can read rather than fail the call.
        return TextPart(data.decode("utf-8", errors="replace"))
    if media_type.startswith("image/"):
        return ImagePart(data=data, media_type=media_type)
    if media_type.startswith("audio/"):
        return AudioPart(data=data, media_type=media_type)
    return DocumentPart(data=data, media_type=media_type)


def to_content(value: Any) -> str | list[ContentPart]:
    """What the model reads for a tool's return value ``value``."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, _PARTS):
        return [value]
    if isinstance(value, bytes | bytearray):
        return [_media_part(bytes(value))]
    if isinstance(value, list) and value and all(isinstance(v, _PARTS) for v in value):
        return list(value)
    if isinstance(value, str):
        return str(value)
    return to_json(value)


def to_json(value: Any) -> str:
    """``value`` as compact JSON text (pydantic models, dataclasses, dates and sets included).

    Raises :class:`~llmkit.errors.UsageError` when it cannot be written as JSON.
    """
    if type(value) in (dict, list, int, float, bool):
        try:
            return dumps(value)
        except (TypeError, ValueError, RecursionError):
            pass  # pydantic's serialiser knows more types, and says what is wrong
    from pydantic_core import to_json as pydantic_to_json

    try:
        return pydantic_to_json(value, fallback=str).decode()
    except Exception as exc:  # PydanticSerializationError, or what a fallback str() raised
        why = str(exc).removeprefix("Error serializing to JSON: ")
        raise UsageError(
            f"A {type(value).__name__} that cannot be written as JSON ({why}); return text, "
            "or plain data (dicts, lists, numbers, dataclasses, pydantic models) without cycles."
        ) from exc
