"""The framing of llmkit's JSON-RPC over stdio: newline-delimited JSON, one message per line.

Each message is one JSON value (a request, a notification, a response, or a
batch array) written as UTF-8 on one line and ended by ``\\n``; JSON escapes
the newlines inside strings, so a line break only ever ends a message. Blank
lines are skipped, and a ``\\r`` before the ``\\n`` is dropped. This is the
framing of JSON Lines and of the MCP stdio transport (not LSP's
``Content-Length`` headers): any language reads it with its line reader.

:class:`LineFramer` is the pure part: it is fed bytes as they arrive, in
chunks of any size (a message cut anywhere, even inside a UTF-8 sequence,
waits for the rest), and gives back whole lines. What always holds:

- every complete line comes out exactly once, in order, whatever the chunking;
- a line longer than ``max_line`` bytes is never kept whole: its bytes are
  dropped as they come, up to its newline, and it comes out as one
  :data:`TOO_LONG` marker, so the reader answers it and goes on with the
  next message (memory stays bounded by ``max_line``);
- at the end of input, an unterminated last line still comes out.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MAX_LINE", "TOO_LONG", "LineFramer", "frame"]

MAX_LINE: Final = 16 * 1024 * 1024
"""Bytes one message may take (16 MiB) unless the server is told otherwise."""

TOO_LONG: Final = b"\x00too long\x00"
"""What :class:`LineFramer` gives in place of a line over its limit (no JSON text is this)."""


class LineFramer:
    """Splits a byte stream into lines (see the module's guarantees)."""

    __slots__ = ("_buffer", "_dropping", "max_line")

    def __init__(self, *, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self._buffer = bytearray()
        self._dropping = False

    @property
    def buffered(self) -> int:
        """Bytes held of a line not yet complete (at most ``max_line``)."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        """The lines ``data`` completes (each without its line break; blank ones left out)."""
        lines: list[bytes] = []
        start = 0
        while True:
            end = data.find(b"\n", start)
            if end < 0:
                break
            self._take(data[start:end], lines, complete=True)
            start = end + 1
        self._take(data[start:], lines, complete=False)
        return lines

    def end(self) -> list[bytes]:
        """The last line, when the input ended without a line break after it."""
        lines: list[bytes] = []
        if self._buffer or self._dropping:
            self._take(b"", lines, complete=True)
        return lines

    def _take(self, piece: bytes, lines: list[bytes], *, complete: bool) -> None:
        if not self._dropping:
            self._buffer += piece
            if len(self._buffer) > self.max_line:
                self._buffer.clear()
                self._dropping = True
        if not complete:
            return
        if self._dropping:
            self._dropping = False
            lines.append(TOO_LONG)
            return
        line = bytes(self._buffer).rstrip(b"\r")
        self._buffer.clear()
        if line.strip():
            lines.append(line)


def frame(text: str) -> bytes:
    """One message's JSON ``text`` as it goes on the wire (UTF-8, ended by a line break)."""
    return text.encode("utf-8") + b"\n"
