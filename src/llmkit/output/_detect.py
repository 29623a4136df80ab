"""Finding structured data in a model's text: which format, and where.

A model's answer may hold its data in a code fence (with a language or
without), bare, or with prose around it. :func:`candidates` lists the places
and formats worth reading, best first; :func:`detect_format` names the first.
The order is fixed and cheap to compute (no parsing happens here):

1. every code fence, in the order of the text: its language when it names a
   format (``json``, ``yaml``/``yml``, ``xml`` …), else the shape of its
   content;
2. the whole text, by shape: a text that starts with ``{`` or ``[`` is JSON,
   one that starts with a tag is XML, a lone JSON string, number, boolean or null is JSON, one that starts with ``key:``, ``- ``
   or ``---`` is YAML; otherwise JSON and XML are tried in the order they
   first appear in the text, then YAML (which reads almost any text, so it
   comes last).

A fence left open (a truncated answer) runs to the end of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = ["Candidate", "Format", "candidates", "detect_format", "fences"]

Format: TypeAlias = Literal["json", "yaml", "xml"]
"""A format structured data is read in."""

FORMATS: tuple[Format, ...] = ("json", "yaml", "xml")

_LANGUAGES: dict[str, Format] = {
    "json": "json",
    "jsonc": "json",
    "json5": "json",
    "javascript": "json",
    "js": "json",
    "yaml": "yaml",
    "yml": "yaml",
    "xml": "xml",
}

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+.-]*)[^\n`]*\n?(.*?)(?:```|\Z)", re.S)
_JSON_OPEN = re.compile(r"[{\[]")
_JSON_SCALAR = re.compile(r'"[^"]*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null')
_XML_TAG = re.compile(r"<[A-Za-z_][\w.:-]*[^<>]*>|<\?xml|<!")
_XML_START = re.compile(r"<(?:[A-Za-z_]|\?xml|!)")
YAML_LINE = re.compile(r"^(?:---[ \t]*$|- |-$|[\"']?[A-Za-z_][\w.-]*[\"']?:(?:[ \t]|$))", re.M)
"""A line that starts YAML: a document marker, a list item, or ``key:`` with no space in the key."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A piece of the text (``text``) worth reading as ``format``."""

    format: Format
    text: str


def fences(text: str) -> list[tuple[Format | None, str]]:
    """Every code fence in ``text``: the format its language names (or None) and its content."""
    found: list[tuple[Format | None, str]] = []
    if "```" not in text:
        return found
    for match in _FENCE.finditer(text):
        inner = match.group(2).strip()
        if inner:
            found.append((_LANGUAGES.get(match.group(1).lower()), inner))
    return found


def _by_shape(text: str) -> list[Format]:
    """The formats ``text`` may be read as, most likely first."""
    start = text.lstrip()
    if start[:1] in ("{", "[") or _JSON_SCALAR.fullmatch(start):
        first: Format | None = "json"
    elif _XML_START.match(start):
        first = "xml"
    elif YAML_LINE.match(start):
        first = "yaml"
    else:
        first = None
    found: list[tuple[int, Format]] = []
    json_at = _JSON_OPEN.search(text)
    if json_at is not None:
        found.append((json_at.start(), "json"))
    xml_at = _XML_TAG.search(text)
    if xml_at is not None:
        found.append((xml_at.start(), "xml"))
    order = [fmt for _, fmt in sorted(found)]
    if YAML_LINE.search(text):
        order.append("yaml")
    if first is not None:
        order = [first, *(fmt for fmt in order if fmt != first)]
    return order


def candidates(text: str) -> list[Candidate]:
    """The pieces of ``text`` to read and the format of each, best first (see the module)."""
    found: list[Candidate] = []
    for language, inner in fences(text):
        if language is not None:
            found.append(Candidate(language, inner))
        else:
            found.extend(Candidate(fmt, inner) for fmt in _by_shape(inner))
    whole = text.strip()
    if whole:
        found.extend(Candidate(fmt, whole) for fmt in _by_shape(whole))
    unique: list[Candidate] = []
    for candidate in found:
        if candidate not in unique:
            unique.append(candidate)
    return unique


def detect_format(text: str) -> Format | None:
    """The format the data in a model's ``text`` is most likely written in, or None.

    Fences with a language win, then the shape of the text (see the module
    docstring). Nothing is parsed: use :func:`~llmkit.output.extract` to read
    the data, which tries the other likely formats when the first fails.
    """
    found = candidates(text)
    return found[0].format if found else None
