"""A small docstring reader: the summary and the argument descriptions of a function.

Understands the three common styles:

- Google: an ``Args:`` (or ``Arguments:``, ``Parameters:``) section with
  ``name (type): text`` lines, continuation lines indented further;
- NumPy: a ``Parameters`` heading underlined with dashes, ``name : type``
  lines followed by indented text;
- Sphinx/reST: ``:param name: text`` (and ``:param type name: text``) fields.

Anything else is kept as the description. It never raises: a docstring it
cannot read simply gives no argument descriptions.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

__all__ = ["Docstring", "parse_docstring"]

_GOOGLE_ARGS = frozenset(("args", "arguments", "parameters", "params", "keyword args", "kwargs"))
_GOOGLE_OTHER = frozenset(
    (
        "returns",
        "return",
        "yields",
        "raises",
        "examples",
        "example",
        "note",
        "notes",
        "attributes",
        "see also",
        "warning",
        "warnings",
        "references",
        "todo",
    )
)
_GOOGLE_HEADING = re.compile(r"^([A-Za-z][A-Za-z ]*):\s*$")
_GOOGLE_ITEM = re.compile(r"^\*{0,2}(\w+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")
_NUMPY_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_NUMPY_ITEM = re.compile(r"^\*{0,2}(\w+(?:\s*,\s*\*{0,2}\w+)*)\s*(?::\s*(.*))?$")
_SPHINX_FIELD = re.compile(r"^:(\w+)(?:\s+([^:]*?))?\s*:\s*(.*)$")


@dataclass(slots=True)
class Docstring:
    """What a docstring says: a description and one text per documented argument."""

    description: str = ""
    params: dict[str, str] = field(default_factory=dict)


def parse_docstring(doc: str | None) -> Docstring:
    """Read ``doc`` (a raw ``__doc__``) into a :class:`Docstring`."""
    if not doc or not doc.strip():
        return Docstring()
    lines = inspect.cleandoc(doc).splitlines()
    if any(_SPHINX_FIELD.match(line.strip()) for line in lines):
        return _sphinx(lines)
    for i in range(1, len(lines)):
        if _NUMPY_UNDERLINE.match(lines[i]) and lines[i - 1].strip():
            return _numpy(lines)
    return _google(lines)


def _join(lines: list[str]) -> str:
    """Lines to text: paragraphs kept, wrapped lines joined with spaces."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        text = line.strip()
        if text:
            current.append(text)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _google(lines: list[str]) -> Docstring:
    description: list[str] = []
    params: dict[str, list[str]] = {}
    section: str | None = None
    current: str | None = None
    item_indent = 0
    for line in lines:
        heading = _GOOGLE_HEADING.match(line)
        if heading and _indent(line) == 0:
            name = heading.group(1).strip().lower()
            if name in _GOOGLE_ARGS or name in _GOOGLE_OTHER:
                section = "args" if name in _GOOGLE_ARGS else "other"
                current = None
                continue
        if section is None:
            description.append(line)
        elif section == "args":
            if not line.strip():
                continue
            item = _GOOGLE_ITEM.match(line.strip())
            if item and (current is None or _indent(line) <= item_indent):
                current = item.group(1)
                item_indent = _indent(line)
                params[current] = [item.group(3)]
            elif current is not None:
                params[current].append(line)
    return Docstring(_join(description), {k: _join(v) for k, v in params.items()})


def _numpy(lines: list[str]) -> Docstring:
    description: list[str] = []
    params: dict[str, list[str]] = {}
    section: str | None = None
    current: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and _NUMPY_UNDERLINE.match(lines[i + 1]) and line.strip():
            name = line.strip().lower()
            section = "args" if name in ("parameters", "params", "other parameters") else "other"
            current = []
            i += 2
            continue
        if section is None:
            description.append(line)
        elif section == "args" and line.strip():
            item = _NUMPY_ITEM.match(line.strip())
            if _indent(line) == 0 and item:
                names = [n.strip().lstrip("*") for n in item.group(1).split(",")]
                for name in names:
                    params[name] = []
                current = names
            elif current:
                for name in current:
                    params[name].append(line)
        i += 1
    return Docstring(_join(description), {k: _join(v) for k, v in params.items()})


def _sphinx(lines: list[str]) -> Docstring:
    description: list[str] = []
    params: dict[str, list[str]] = {}
    current: list[str] | None = None
    in_fields = False
    for line in lines:
        match = _SPHINX_FIELD.match(line.strip())
        if match:
            in_fields = True
            kind, arg, text = match.groups()
            if kind in ("param", "parameter", "arg", "argument", "key", "keyword") and arg:
                name = arg.split()[-1]
                current = params.setdefault(name, [])
                current.append(text)
            else:
                current = None
        elif not in_fields:
            description.append(line)
        elif current is not None and line.strip():
            current.append(line)
    return Docstring(_join(description), {k: _join(v) for k, v in params.items()})
