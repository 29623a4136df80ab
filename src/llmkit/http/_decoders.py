"""Incremental decoders for streamed answers: Server-Sent Events and NDJSON.

Both take bytes in whatever chunks the network delivers and return the
complete items found so far, keeping the unfinished tail for the next chunk.
They never parse JSON inside SSE ``data`` (the codec does); the NDJSON
decoder does, since each line is one JSON value.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from llmkit._json import loads_body
from llmkit.errors import InvalidResponseError

__all__ = ["NDJSONDecoder", "SSEDecoder", "SSEEvent"]


@dataclass(slots=True)
class SSEEvent:
    """One dispatched Server-Sent Event."""

    data: str
    """The event's data lines joined with newlines."""
    event: str | None = None
    """The ``event:`` field, or None for the default ("message")."""
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Turns a byte stream into :class:`SSEEvent` objects, following the SSE rules.

    Lines end with LF, CR or CRLF (also when a CRLF is split across chunks);
    ``data:`` lines accumulate until a blank line dispatches the event; lines
    starting with ``:`` are comments; a single space after the colon is dropped.
    An event that is a single ``data:`` line, the usual one, is cut out whole
    instead of line by line, with the same result.
    """

    __slots__ = ("_data", "_decoder", "_event", "_id", "_pending_cr", "_retry", "_tail")

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._tail = ""
        self._pending_cr = False
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None

    @property
    def has_partial_event(self) -> bool:
        """True when some of an event arrived but not the blank line that ends it."""
        return bool(self._tail or self._data or self._event is not None)

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Decode ``chunk`` and return the events it completed."""
        text = self._decoder.decode(chunk)
        if not text:
            return []
        if self._pending_cr:
            # The previous chunk ended in CR; an LF starting this one belongs to it.
            self._pending_cr = False
            if text[0] == "\n":
                text = text[1:]
                if not text:
                    return []
        if "\r" in text:
            # A CR at the very end may be the first half of a CRLF split across chunks.
            self._pending_cr = text[-1] == "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        buffer = self._tail + text
        events: list[SSEEvent] = []
        if "\n\n" in buffer and not self._data and self._event is None and self._retry is None:
            # At an event's start: split on blank lines. A block that is one ``data:`` line
            # (what model servers send) is one event; any other block goes line by line.
            blocks = buffer.split("\n\n")
            buffer = blocks.pop()
            for block in blocks:
                if block[:5] == "data:" and "\n" not in block:
                    value = block[6:] if block[5:6] == " " else block[5:]
                    events.append(SSEEvent(value, None, self._id))
                else:
                    self._lines(block.split("\n"), events)
                    self._lines(("",), events)
        lines = buffer.split("\n")
        self._tail = lines.pop()
        self._lines(lines, events)
        return events

    def _lines(self, lines: Iterable[str], events: list[SSEEvent]) -> None:
        """Apply complete ``lines`` to the event being read; append the events they end."""
        for line in lines:
            if not line:
                if self._data:
                    events.append(
                        SSEEvent("\n".join(self._data), self._event, self._id, self._retry)
                    )
                self._data = []
                self._event = None
                self._retry = None
                continue
            if line[0] == ":":
                continue
            name, sep, value = line.partition(":")
            if sep and value[:1] == " ":
                value = value[1:]
            if name == "data":
                self._data.append(value)
            elif name == "event":
                self._event = value
            elif name == "id":
                if "\0" not in value:
                    self._id = value
            elif name == "retry" and value.isdigit():
                self._retry = int(value)

    def close(self) -> list[SSEEvent]:
        """End of stream: an event still missing its blank line is dispatched if it has data.

        Servers that end the body right after the last ``data:`` line are common
        enough that dropping that event would lose the answer's last chunk.
        """
        self._pending_cr = False
        events = self.feed(b"\n") if self._tail else []
        if self._data:
            events.extend(self.feed(b"\n"))
        return events


class NDJSONDecoder:
    """Turns a byte stream of newline-delimited JSON into decoded values."""

    __slots__ = ("_tail",)

    def __init__(self) -> None:
        self._tail = b""

    @property
    def has_partial_line(self) -> bool:
        """True when part of a line arrived without its newline."""
        return bool(self._tail.strip())

    def feed(self, chunk: bytes) -> list[Any]:
        """Decode ``chunk`` and return the JSON values of the lines it completed."""
        if self._tail:
            chunk = self._tail + chunk
        lines = chunk.split(b"\n")
        self._tail = lines.pop()
        return [_loads_line(line) for line in lines if line.strip()]

    def close(self) -> list[Any]:
        """End of stream: decode a final line that had no newline."""
        tail, self._tail = self._tail, b""
        return [_loads_line(tail)] if tail.strip() else []


def _loads_line(line: bytes) -> Any:
    try:
        return loads_body(line)
    except ValueError as exc:
        shown = line[:200].decode("utf-8", "replace")
        raise InvalidResponseError(
            f"A streamed line is not valid JSON: {shown!r} ({exc})."
        ) from exc
