"""Message parts: text, media, reasoning, tool calls and tool results.

Re-exported by :mod:`llmkit.types`; import them from there.
"""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Self, TypeAlias

from llmkit.errors import SerializationError, UsageError

__all__ = [
    "AudioPart",
    "ContentPart",
    "DocumentPart",
    "ImagePart",
    "JSONDict",
    "Part",
    "ReasoningPart",
    "TextPart",
    "ToolCall",
    "ToolResult",
]

JSONDict: TypeAlias = dict[str, Any]
"""A JSON object."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text)


def _type_name(value: object) -> str:
    return type(value).__name__


def _text_arg(value: object, where: str) -> str:
    """``value`` if it is a string, else a :class:`UsageError` saying what ``where`` takes."""
    if type(value) is str or isinstance(value, str):
        return value
    raise UsageError(f"{where} takes a string, not {_type_name(value)}; convert it with str(...).")


def _put(d: JSONDict, key: str, value: Any) -> None:
    """Set ``key`` only when ``value`` is not None/empty, to keep the JSON form small."""
    if value is not None and value != {} and value != []:
        d[key] = value


# --------------------------------------------------------------------------- parts


@dataclass(slots=True)
class TextPart:
    """A piece of plain text in a message."""

    text: str
    provider_data: JSONDict | None = None
    """Provider-specific extras that codecs read and write (e.g. cache markers)."""

    kind: ClassVar[str] = "text"

    def __post_init__(self) -> None:
        if type(self.text) is not str:
            _text_arg(self.text, "TextPart(text)")

    def to_dict(self) -> JSONDict:
        """Return the JSON form of this part."""
        d: JSONDict = {"type": "text", "text": self.text}
        _put(d, "provider_data", self.provider_data)
        return d


@dataclass(slots=True)
class _MediaPart:
    """Shared shape of image, document and audio parts: a URL or inline bytes."""

    url: str | None = None
    """Where the media lives (``https://…`` or a ``data:`` URL)."""
    data: bytes | None = None
    """The media itself, when it is sent inline."""
    media_type: str | None = None
    """MIME type such as ``image/png``; required with ``data``."""
    provider_data: JSONDict | None = None

    kind: ClassVar[str] = "media"
    _default_media_type: ClassVar[str | None] = None

    def __post_init__(self) -> None:
        url: object = self.url
        data: object = self.data
        if url is not None and not isinstance(url, str):
            _text_arg(url, f"{type(self).__name__}(url=...)")
        if data is not None and not isinstance(data, bytes | bytearray):
            raise UsageError(
                f"{type(self).__name__}(data=...) takes bytes, not {_type_name(data)} "
                "(for a file on disk use .from_path(path))."
            )
        if (self.url is None) == (self.data is None):
            raise UsageError(
                f"{type(self).__name__} needs exactly one of url= or data= "
                f"(got {'both' if self.url is not None else 'neither'})."
            )
        if self.media_type is None:
            self.media_type = self._guess_media_type()
        if self.data is not None and self.media_type is None:
            raise UsageError(
                f"{type(self).__name__}(data=...) needs media_type=, e.g. 'image/png' or "
                "'application/pdf'."
            )

    def _guess_media_type(self) -> str | None:
        if self.url is not None and self.url.startswith("data:"):
            head = self.url[5:].split(",", 1)[0]
            return head.split(";", 1)[0] or None
        if self.url is not None:
            guessed, _ = mimetypes.guess_type(self.url.split("?", 1)[0])
            if guessed is not None:
                return guessed
        return self._default_media_type

    @classmethod
    def from_path(cls, path: str | Path, *, media_type: str | None = None) -> Self:
        """Read a local file into an inline part, guessing the media type from its name."""
        p = Path(path)
        guessed = media_type or mimetypes.guess_type(p.name)[0] or cls._default_media_type
        if guessed is None:
            raise UsageError(f"Cannot tell the media type of {p.name!r}; pass media_type=.")
        return cls(data=p.read_bytes(), media_type=guessed)

    @property
    def base64_data(self) -> str | None:
        """The inline data as base64 text, or the payload of a base64 ``data:`` URL."""
        if self.data is not None:
            return _b64(self.data)
        if self.url is not None and self.url.startswith("data:") and ";base64," in self.url:
            return self.url.split(",", 1)[1]
        return None

    @property
    def data_url(self) -> str:
        """A URL for the media: the given URL, or a ``data:`` URL built from the bytes."""
        if self.url is not None:
            return self.url
        return f"data:{self.media_type};base64,{self.base64_data}"

    def to_dict(self) -> JSONDict:
        """Return the JSON form of this part (bytes as base64)."""
        d: JSONDict = {"type": self.kind}
        _put(d, "url", self.url)
        if self.data is not None:
            d["data"] = _b64(self.data)
        _put(d, "media_type", self.media_type)
        _put(d, "provider_data", self.provider_data)
        return d


@dataclass(slots=True)
class ImagePart(_MediaPart):
    """An image, by URL or inline bytes."""

    detail: Literal["auto", "low", "high"] | None = None
    """Resolution hint for providers that take one (OpenAI)."""

    kind: ClassVar[str] = "image"

    def to_dict(self) -> JSONDict:
        """Return the JSON form of this part."""
        d = _MediaPart.to_dict(self)
        _put(d, "detail", self.detail)
        return d


@dataclass(slots=True)
class DocumentPart(_MediaPart):
    """A document such as a PDF, by URL or inline bytes."""

    name: str | None = None
    """File name shown to the model, where the provider takes one."""

    kind: ClassVar[str] = "document"
    _default_media_type: ClassVar[str | None] = "application/pdf"

    def to_dict(self) -> JSONDict:
        """Return the JSON form of this part."""
        d = _MediaPart.to_dict(self)
        _put(d, "name", self.name)
        return d


@dataclass(slots=True)
class AudioPart(_MediaPart):
    """A clip of audio, by URL or inline bytes."""

    kind: ClassVar[str] = "audio"


@dataclass(slots=True)
class ReasoningPart:
    """A model's reasoning ("thinking"), kept so it can be sent back on the next turn.

    Some providers return only an opaque ``signature`` (or an encrypted, redacted
    block); codecs must send it back unchanged for multi-turn tool use to work.
    """

    text: str = ""
    signature: str | None = None
    """Opaque token the provider needs to verify the reasoning on a later turn."""
    redacted: bool = False
    """True when the provider returned only encrypted reasoning (held in ``signature``)."""
    provider_data: JSONDict | None = None

    kind: ClassVar[str] = "reasoning"

    def __post_init__(self) -> None:
        if type(self.text) is not str:
            _text_arg(self.text, "ReasoningPart(text)")

    def to_dict(self) -> JSONDict:
        """Return the JSON form of this part."""
        d: JSONDict = {"type": "reasoning", "text": self.text}
        _put(d, "signature", self.signature)
        if self.redacted:
            d["redacted"] = True
        _put(d, "provider_data", self.provider_data)
        return d


@dataclass(slots=True)
class ToolCall:
    """A request from the model to call a tool.

    ``arguments`` is the decoded argument object. When the model produced text
    that is not a JSON object, ``arguments`` is empty, ``raw_arguments`` keeps
    the text as received and ``arguments_error`` says what was wrong, so the
    caller can report it back to the model instead of crashing.

    Codecs send ``raw_arguments`` back to the provider verbatim when it is set;
    a caller that changes ``arguments`` should build a new call (or set
    ``raw_arguments`` to None).
    """

    id: str
    name: str
    arguments: JSONDict = field(default_factory=dict)
    raw_arguments: str | None = None
    """The argument text exactly as the model produced it, when there was one."""
    arguments_error: str | None = None
    """Why ``raw_arguments`` could not be decoded; None when they were fine."""
    provider_data: JSONDict | None = None

    kind: ClassVar[str] = "tool_call"

    def __post_init__(self) -> None:
        if type(self.id) is not str:
            _text_arg(self.id, "ToolCall(id)")
        if type(self.name) is not str:
            _text_arg(self.name, "ToolCall(name)")
        if not isinstance(self.arguments, dict):
            raise UsageError(
                f"ToolCall(arguments) takes a dict of argument values, not "
                f"{_type_name(self.arguments)}."
            )

    def to_dict(self) -> JSONDict:
        """Return the JSON form of this part."""
        d: JSONDict = {"type": "tool_call", "id": self.id, "name": self.name}
        d["arguments"] = self.arguments
        _put(d, "raw_arguments", self.raw_arguments)
        _put(d, "arguments_error", self.arguments_error)
        _put(d, "provider_data", self.provider_data)
        return d


ContentPart: TypeAlias = TextPart | ImagePart | DocumentPart | AudioPart
"""Parts that carry content a user (or a tool result) can hold."""


@dataclass(slots=True)
class ToolResult:
    """The outcome of a tool call, sent back to the model."""

    call_id: str
    """The ``id`` of the :class:`ToolCall` this answers."""
    content: str | list[ContentPart]
    is_error: bool = False
    """True when the tool failed; ``content`` then says why."""
    name: str | None = None
    """Name of the tool that ran (some providers require it)."""
    provider_data: JSONDict | None = None

    kind: ClassVar[str] = "tool_result"

    def __post_init__(self) -> None:
        if type(self.call_id) is not str:
            _text_arg(self.call_id, "ToolResult(call_id)")
        content = self.content
        if type(content) is str:
            return
        if isinstance(content, list):
            for item in content:
                if not isinstance(item, TextPart | ImagePart | DocumentPart | AudioPart):
                    raise UsageError(
                        "ToolResult(content) takes a string or a list of TextPart, ImagePart, "
                        f"DocumentPart or AudioPart; the list holds a {_type_name(item)}."
                    )
            return
        _text_arg(content, "ToolResult(content) (or a list of content parts)")

    @property
    def text(self) -> str:
        """The textual content of the result."""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text for p in self.content if isinstance(p, TextPart))

    def to_dict(self) -> JSONDict:
        """Return the JSON form of this part."""
        d: JSONDict = {"type": "tool_result", "call_id": self.call_id}
        if isinstance(self.content, str):
            d["content"] = self.content
        else:
            d["content"] = [p.to_dict() for p in self.content]
        if self.is_error:
            d["is_error"] = True
        _put(d, "name", self.name)
        _put(d, "provider_data", self.provider_data)
        return d


Part: TypeAlias = (
    TextPart | ImagePart | DocumentPart | AudioPart | ReasoningPart | ToolCall | ToolResult
)
"""Any part of a message."""


def _part_from_dict(d: JSONDict) -> Part:
    kind = d.get("type")
    pd = d.get("provider_data")
    if kind == "text":
        return TextPart(d["text"], pd)
    if kind in ("image", "document", "audio"):
        data = d.get("data")
        common: JSONDict = {
            "url": d.get("url"),
            "data": _unb64(data) if data is not None else None,
            "media_type": d.get("media_type"),
            "provider_data": pd,
        }
        if kind == "image":
            return ImagePart(**common, detail=d.get("detail"))
        if kind == "document":
            return DocumentPart(**common, name=d.get("name"))
        return AudioPart(**common)
    if kind == "reasoning":
        return ReasoningPart(
            d.get("text", ""), d.get("signature"), bool(d.get("redacted", False)), pd
        )
    if kind == "tool_call":
        return ToolCall(
            d["id"],
            d["name"],
            d.get("arguments") or {},
            d.get("raw_arguments"),
            d.get("arguments_error"),
            pd,
        )
    if kind == "tool_result":
        content = d.get("content", "")
        if not isinstance(content, str):
            content = [_content_from_dict(c) for c in content]
        return ToolResult(d["call_id"], content, bool(d.get("is_error", False)), d.get("name"), pd)
    raise SerializationError(f"Unknown message part type {kind!r}.")


def _content_from_dict(d: JSONDict) -> ContentPart:
    part = _part_from_dict(d)
    if not isinstance(part, TextPart | ImagePart | DocumentPart | AudioPart):
        raise SerializationError(f"A tool result cannot hold a {part.kind!r} part.")
    return part
