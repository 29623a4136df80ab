"""Reading JSON that may be hostile: bounded in size and nesting before anything is built.

``json.loads`` recurses once per level of nesting, counting against the
interpreter's recursion limit, so a document nested deeper than about a
thousand levels raises a raw :class:`RecursionError` from wherever it is
read, and one nested a little less deep loads, then breaks the next recursive
walk (a matcher, a copy, ``json.dumps``). Every JSON text llmkit reads from a
file or a store goes through :func:`loads`, which measures the nesting first
and refuses the text past ``max_depth`` with :class:`JSONTooDeep` (a
``ValueError``, like ``json``'s own decoding errors). The measure is a scan of
the text in C (strings cut out, then one pass per level over the brackets
left), so it costs little next to parsing and refuses a deep text at once;
it is skipped when the text holds fewer brackets than the bound.

Data files a user gives (evaluation sets, scenarios, OpenAPI documents) are
read with :func:`read_json` (or :func:`read_text` then :func:`parse_json`):
the file is measured before it is read and every refusal is a
:class:`~llmkit.errors.UsageError` that names the file and the bound, with the
same bounds as YAML data files (:mod:`llmkit.output._yaml`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from llmkit.errors import UsageError

__all__ = [
    "MACHINE_MAX_DEPTH",
    "MAX_BYTES",
    "MAX_DEPTH",
    "JSONTooDeep",
    "loads",
    "parse_json",
    "read_json",
    "read_text",
    "too_deep",
]

MAX_BYTES = 16 * 1024 * 1024
"""Longest data file, in bytes (the bound of YAML data files too)."""

MAX_DEPTH = 100
"""Deepest nesting of arrays and objects in a data file (the bound of YAML data files too)."""

MACHINE_MAX_DEPTH = 500
"""Deepest nesting in JSON that programs wrote (llmkit's envelopes and recordings, API answers)."""

# The scan works on UTF-8 bytes, where a character outside ASCII never holds an ASCII byte.
_PARENS = bytes.maketrans(b"[]{}", b"()()")
_NOT_STRUCTURE = bytes(c for c in range(256) if c not in b'[]{}"')
_NOT_ESCAPES = bytes(c for c in range(256) if c not in b'[]{}"\\/bfnrtu')
"""What may go while escapes are read: each backslash keeps the character it escapes."""


class JSONTooDeep(ValueError):
    """JSON text whose arrays and objects nest deeper than a bound."""

    def __init__(self, max_depth: int) -> None:
        super().__init__(f"it nests more than {max_depth} levels deep")
        self.max_depth = max_depth

    def refusal(self, name: str) -> UsageError:
        """This refusal as the :class:`UsageError` of the data file (or text) ``name``."""
        return UsageError(f"{name} is refused as JSON: {self}; flatten the data.")


def too_deep(text: str, max_depth: int) -> bool:
    """Whether the arrays and objects of the JSON ``text`` nest deeper than ``max_depth``.

    Exact for valid JSON; text that is not JSON may be called too deep when it
    opens more than ``max_depth`` brackets without closing them.
    """
    if text.count("[") + text.count("{") <= max_depth:
        return False  # each level needs a bracket of its own
    shape = text.encode("utf-8", "surrogatepass")
    if b'\\"' in shape:  # an escaped quote, maybe: drop \\ pairs (read from the left), then \"
        shape = shape.translate(None, _NOT_ESCAPES)
        shape = shape.replace(b"\\\\", b"").replace(b'\\"', b"")
    shape = shape.translate(_PARENS, _NOT_STRUCTURE)
    if b'"' in shape:
        # Two quotes side by side hold no bracket (an empty string) or have none
        # between them (two strings, now one): dropping them changes no depth.
        shape = shape.replace(b'""', b"")
        # Keep what is outside the strings (an unclosed one runs to the end).
        shape = b"".join(shape.split(b'"')[::2])
    if b"(" * (max_depth + 1) in shape:
        return True
    # Each pass removes every innermost (empty) pair, one level everywhere at once:
    # the pairs it uncovers are not seen until the next pass.
    for _ in range(max_depth):
        shape = shape.replace(b"()", b"")
        if not shape:
            return False
    return b"(" in shape


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads(text)``, refused with :class:`JSONTooDeep` when it nests past ``max_depth``.

    Other errors are ``json``'s own (:class:`json.JSONDecodeError`, a ``ValueError``).
    """
    if not isinstance(text, str):
        text = bytes(text).decode(json.detect_encoding(text), "surrogatepass")
    if too_deep(text, max_depth):
        raise JSONTooDeep(max_depth)
    try:
        return json.loads(text)
    except RecursionError:  # a caller already deep in the stack: the bound is the same
        raise JSONTooDeep(max_depth) from None


def read_text(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES, what: str) -> str:
    """The text of the data file at ``path``, measured before it is read.

    ``what`` (``"JSON"``, ``"YAML"``) names the format in the refusal of a
    file over ``max_bytes``; a missing or unreadable file is a :class:`UsageError` too.
    """
    file = Path(path)
    try:
        if file.stat().st_size > max_bytes:
            raise UsageError(
                f"{file} is refused as {what}: it is longer than {max_bytes:,} bytes; "
                "split it into smaller files."
            )
        return file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"No such file: {file}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read {file}: {exc}.") from None


def parse_json(text: str, *, name: str = "The JSON text", max_depth: int = MAX_DEPTH) -> Any:
    """The data in the JSON ``text``; a :class:`UsageError` starting with ``name`` when it is refused."""
    try:
        return loads(text, max_depth=max_depth)
    except JSONTooDeep as exc:
        raise exc.refusal(name) from None
    except ValueError as exc:
        raise UsageError(f"{name} is not valid JSON: {exc}.") from None


def read_json(
    path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
) -> Any:
    """The data in the JSON file at ``path``, bounded in size and nesting (see the module)."""
    text = read_text(path, max_bytes=max_bytes, what="JSON")
    return parse_json(text, name=str(path), max_depth=max_depth)
