"""Chunking for ingestion: ``chunk_text`` and ``chunk_markdown`` cut a document into passages.

Sizes are measured by ``length``, a function of a text: ``len`` (characters) by default.
``model="openai/gpt-4.1-mini"`` measures ``size`` and ``overlap`` in that model's tokens
(:func:`~llmkit.memory.counter_for`: exact for OpenAI's encodings, an estimate otherwise);
any other counter can be passed as ``length``. As a rule of thumb an English token is
about 4 characters, so ``size=1000`` characters is ~250 tokens.

What always holds:

- a chunk is a slice of the source, whitespace at its ends trimmed (``Chunk.start`` is its
  offset in the source), and no chunk is longer than ``size`` unless one word alone is;
- cuts fall at the largest boundary that fits: paragraphs, then lines, then sentences, then
  words, and only as a last resort inside a word;
- consecutive chunks share up to ``overlap`` of text (whole pieces at those boundaries), so
  a sentence cut at a chunk's end is whole in the next one;
- ``chunk_markdown`` first splits at headings (``#`` to ``######``, not inside fenced code
  blocks); a chunk never spans two sections, and carries its heading path
  (``"Guide > Install"``) in ``Chunk.heading``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmkit.errors import UsageError

if TYPE_CHECKING:
    from llmkit.providers.base import Model

__all__ = ["Chunk", "chunk_markdown", "chunk_text"]

Length = Callable[[str], int]

_SEPARATORS = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of a document: its text, its offset in the source, and its section heading."""

    text: str
    start: int
    """Offset of the chunk's first character in the source text."""
    heading: str | None = None
    """For :func:`chunk_markdown`: the headings above the chunk, ``"Guide > Install"``."""


def _measure(length: Length | None, model: str | Model | None) -> Length:
    if model is None:
        return len if length is None else length
    if length is not None:
        raise UsageError(
            "Pass model= (sizes in that model's tokens) or length= (your own measure), not both."
        )
    from llmkit.memory._tokens import counter_for

    return counter_for(model).text


def _check(size: int, overlap: int) -> None:
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise UsageError(f"size= takes a positive int, got {size!r}.")
    if not isinstance(overlap, int) or isinstance(overlap, bool) or not 0 <= overlap < size:
        raise UsageError(f"overlap= takes an int from 0 to size - 1 ({size - 1}), got {overlap!r}.")


def _pieces(
    text: str, start: int, end: int, size: int, length: Length, level: int
) -> list[tuple[int, int]]:
    if length(text[start:end]) <= size:
        return [(start, end)]
    if level == len(_SEPARATORS):
        # One word longer than size: cut it at the longest prefix that fits.
        cut = start + 1
        low, high = start + 1, end
        while low <= high:
            mid = (low + high) // 2
            if length(text[start:mid]) <= size:
                cut, low = mid, mid + 1
            else:
                high = mid - 1
        return (
            [(start, cut), *_pieces(text, cut, end, size, length, level)]
            if cut < end
            else [(start, end)]
        )
    separator = _SEPARATORS[level]
    spans = []
    at = start
    while at < end:
        found = text.find(separator, at, end)
        stop = end if found == -1 else found + len(separator)
        spans.append((at, stop))
        at = stop
    if len(spans) == 1:
        return _pieces(text, start, end, size, length, level + 1)
    out: list[tuple[int, int]] = []
    for a, b in spans:
        out.extend(_pieces(text, a, b, size, length, level + 1))
    return out


def _pack(
    text: str, start: int, end: int, size: int, overlap: int, length: Length, heading: str | None
) -> list[Chunk]:
    chunks: list[Chunk] = []

    def emit(spans: list[tuple[int, int]]) -> None:
        a, b = spans[0][0], spans[-1][1]
        raw = text[a:b]
        body = raw.strip()
        if body:
            chunks.append(Chunk(body, a + (len(raw) - len(raw.lstrip())), heading))

    current: list[tuple[int, int]] = []
    for span in _pieces(text, start, end, size, length, 0):
        if current and length(text[current[0][0] : span[1]]) > size:
            emit(current)
            tail: list[tuple[int, int]] = []
            for piece in reversed(current):
                if length(text[piece[0] : current[-1][1]]) > overlap:
                    break
                tail.insert(0, piece)
            current = tail
            while current and length(text[current[0][0] : span[1]]) > size:
                current.pop(0)
        current.append(span)
    if current:
        emit(current)
    return chunks


def chunk_text(
    text: str,
    *,
    size: int = 1000,
    overlap: int = 200,
    length: Length | None = None,
    model: str | Model | None = None,
) -> list[Chunk]:
    """Cut ``text`` into chunks of at most ``size``, consecutive ones sharing up to ``overlap``.

    Sizes are characters, or ``model``'s tokens (``model="openai/gpt-4.1-mini"``), or
    whatever ``length`` measures.
    """
    if not isinstance(text, str):
        raise UsageError(f"chunk_text() takes a str, got {type(text).__name__}.")
    _check(size, overlap)
    return _pack(text, 0, len(text), size, overlap, _measure(length, model), None)


def chunk_markdown(
    text: str,
    *,
    size: int = 1000,
    overlap: int = 200,
    length: Length | None = None,
    model: str | Model | None = None,
) -> list[Chunk]:
    """Cut markdown at its headings, then each section as :func:`chunk_text` does."""
    if not isinstance(text, str):
        raise UsageError(f"chunk_markdown() takes a str, got {type(text).__name__}.")
    _check(size, overlap)
    length = _measure(length, model)
    sections: list[tuple[int, str | None]] = [(0, None)]
    path: list[tuple[int, str]] = []
    fence: str | None = None
    offset = 0
    for line in text.splitlines(keepends=True):
        marker = _FENCE.match(line)
        if marker is not None:
            if fence is None:
                fence = marker.group(1)[0] * 3
            elif marker.group(1).startswith(fence):
                fence = None
        elif fence is None and (title := _HEADING.match(line.rstrip("\r\n"))) is not None:
            depth = len(title.group(1))
            while path and path[-1][0] >= depth:
                path.pop()
            path.append((depth, title.group(2).strip()))
            sections.append((offset, " > ".join(title for _, title in path)))
        offset += len(line)
    chunks: list[Chunk] = []
    bounds = [*(start for start, _ in sections[1:]), len(text)]
    for (start, heading), end in zip(sections, bounds, strict=True):
        chunks.extend(_pack(text, start, end, size, overlap, length, heading))
    return chunks
