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

Definition files (workflows) are read *located*: :func:`parse_json_located`
gives the data and the line of every value in it (:class:`Located`), so an
error found later, while the data is checked, can name the line to fix. It
reads the text with the same bounds and the same errors as :func:`parse_json`
(the refusal keeps the decoder's error, with its line, as its cause: see
:func:`refusal_line`) and gives the same data as ``json.loads``. It is the
pure-Python decoder with every object and array recorded as it is read, so it
costs several times :func:`parse_json`: it is meant for files people write,
not for machine data.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import os
import re
from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from llmkit.errors import UsageError

__all__ = [
    "MACHINE_MAX_DEPTH",
    "MAX_BYTES",
    "MAX_DEPTH",
    "JSONTooDeep",
    "KeyPath",
    "LineMap",
    "Located",
    "loads",
    "parse_json",
    "parse_json_located",
    "read_json",
    "read_json_located",
    "read_text",
    "refusal_line",
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


def loads(
    text: str | bytes,
    *,
    max_depth: int = MAX_DEPTH,
    decoder: json.JSONDecoder | None = None,
) -> Any:
    """``json.loads(text)``, refused with :class:`JSONTooDeep` when it nests past ``max_depth``.

    ``decoder`` reads the text instead of ``json``'s default one (a stricter
    reader of numbers, for example). Other errors are the decoder's own
    (:class:`json.JSONDecodeError`, a ``ValueError``).
    """
    if not isinstance(text, str):
        text = bytes(text).decode(json.detect_encoding(text), "surrogatepass")
    if too_deep(text, max_depth):
        raise JSONTooDeep(max_depth)
    try:
        return json.loads(text) if decoder is None else decoder.decode(text)
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


KeyPath: TypeAlias = tuple[str | int, ...]
"""Where a value sits in a document: the keys and indices from the top (``()`` is the whole)."""

LineMap: TypeAlias = Mapping[KeyPath, int]
"""The 1-based line of each value of a document, by its :data:`KeyPath`."""


@dataclass(frozen=True, slots=True)
class Located:
    """Data read from a document, with the line of every value in it.

    ``lines`` holds the line where each entry starts: for a value in a mapping,
    the line of its key (where a reader looks for it, and the line of the value
    too unless the value is a list or mapping written below it); for an item of
    a list, the line of its first character; for ``()``, the line of the whole.
    Every path of ``data`` is there, except where the document gave no place
    of its own (the items of a YAML alias used a second time, keys that are not
    text or whole numbers): :meth:`line` then answers with the nearest enclosing one.
    """

    data: Any
    """The data, as the plain reader of the format gives it (see the YAML booleans, though)."""
    lines: LineMap
    """The line of each value, by its path."""

    def line(self, path: KeyPath = ()) -> int:
        """The line of ``path``, else of the nearest value that holds it (1 when none does).

        For a key that is missing from a mapping, this is the line of the mapping.
        """
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return 1


def refusal_line(error: BaseException) -> int:
    """The line a located reader's refusal points at, or 0 when it points at none.

    The refusals of :func:`parse_json_located` and of the located YAML readers
    keep their reason as their cause; this reads its line (a syntax error has
    one; a file too long or nested too deep has none).
    """
    line = getattr(error.__cause__, "lineno", 0)
    return line if isinstance(line, int) else 0


def parse_json_located(
    text: str, *, name: str = "The JSON text", max_depth: int = MAX_DEPTH
) -> Located:
    """The data in the JSON ``text`` with the line of every value (see :class:`Located`).

    Refused as :func:`parse_json` refuses it, with a :class:`UsageError` starting
    with ``name``; the decoder's :class:`json.JSONDecodeError` stays its cause.
    The pure-Python decoder takes a few frames of the interpreter's stack per
    level, so a ``max_depth`` far above :data:`MAX_DEPTH` may be out of reach:
    such a text is refused as too deep to read here, before the bound.
    """
    if too_deep(text, max_depth):
        raise JSONTooDeep(max_depth).refusal(name)
    reader = _LocatingReader(text)
    try:
        data = reader.decoder.decode(text)
    except RecursionError:
        raise UsageError(
            f"{name} is refused as JSON: it nests too deeply to be read with its lines; "
            "flatten the data."
        ) from None
    except ValueError as exc:
        raise UsageError(f"{name} is not valid JSON: {exc}.") from exc
    return Located(data, reader.lines_of(data))


def read_json_located(
    path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
) -> Located:
    """The data in the JSON file at ``path`` with the line of every value (bounded as ``read_json``)."""
    text = read_text(path, max_bytes=max_bytes, what="JSON")
    return parse_json_located(text, name=str(path), max_depth=max_depth)


_Scan: TypeAlias = Callable[[str, int], tuple[Any, int]]
"""The decoder's reader of one value: text and index in, the value and the index after it out."""

_BLANKS = " \t\n\r"
"""What JSON allows between tokens."""

_DECODER: Any = json.decoder
_SCANNER: Any = json.scanner
"""``json``'s modules, typed Any: typeshed lists none of the pure-Python parts used here."""

_Entries: TypeAlias = list[tuple[str | int, int, Any]]
"""What one object or array held, in order: key or index, the index its entry starts at, its value."""


class _LocatingReader:
    """``json``'s pure-Python decoder, with each object and array noting where its entries start.

    The decoder calls ``parse_object``/``parse_array`` once per container with
    the function that reads one value; the wrappers pass that function on
    wrapped, so each value read directly inside the container is noted with
    where it starts. The entries are kept by the container's ``id`` (with the
    container itself, so no ``id`` is reused) until :meth:`lines_of` walks
    the data from the top and gives each entry its path.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [match.start() for match in re.finditer("\n", text)]
        self.entries: dict[int, tuple[Any, _Entries]] = {}
        decoder: Any = json.decoder.JSONDecoder()
        # The pure-Python scanner reads these two attributes once, when it is made.
        decoder.parse_object = self._parse_object
        decoder.parse_array = self._parse_array
        decoder.scan_once = _SCANNER.py_make_scanner(decoder)
        self.decoder: json.decoder.JSONDecoder = decoder

    def lines_of(self, data: Any) -> dict[KeyPath, int]:
        """The line of every entry of ``data`` (the value the decoder gave), by path."""
        lines: dict[KeyPath, int] = {
            (): self._line(len(self.text) - len(self.text.lstrip(_BLANKS)))
        }
        todo: list[tuple[KeyPath, Any]] = [((), data)]
        while todo:
            path, value = todo.pop()
            held = self.entries.get(id(value))
            if held is None or held[0] is not value:
                continue  # a scalar
            # A key given twice keeps its last value, as the data does.
            last = {key: (start, child) for key, start, child in held[1]}
            for key, (start, child) in last.items():
                lines[(*path, key)] = self._line(start)
                todo.append(((*path, key), child))
        return lines

    def _line(self, index: int) -> int:
        return bisect_left(self.newlines, index) + 1

    def _parse_object(
        self,
        s_and_end: tuple[str, int],
        strict: bool,
        scan_once: _Scan,
        object_hook: object,
        object_pairs_hook: object,
        memo: dict[str, str] | None = None,
    ) -> tuple[dict[str, Any], int]:
        del object_hook, object_pairs_hook  # this decoder sets neither
        ends: list[int] = []
        pairs: list[tuple[str, Any]] = []

        def scan(string: str, idx: int) -> tuple[Any, int]:
            value, end = scan_once(string, idx)
            ends.append(end)
            return value, end

        def build(read: list[tuple[str, Any]]) -> dict[str, Any]:
            pairs.extend(read)
            return dict(read)

        found, end = _DECODER.JSONObject(s_and_end, strict, scan, None, build, memo)
        entries: _Entries = []
        after = s_and_end[1]  # between it and the next key: blanks, and a comma after the first
        for (key, value), value_end in zip(pairs, ends, strict=True):
            entries.append((key, self.text.index('"', after), value))
            after = value_end
        self.entries[id(found)] = (found, entries)
        return found, end

    def _parse_array(self, s_and_end: tuple[str, int], scan_once: _Scan) -> tuple[list[Any], int]:
        starts: list[int] = []

        def scan(string: str, idx: int) -> tuple[Any, int]:
            value, end = scan_once(string, idx)
            starts.append(idx)
            return value, end

        found, end = _DECODER.JSONArray(s_and_end, scan)
        self.entries[id(found)] = (found, [(i, starts[i], item) for i, item in enumerate(found)])
        return found, end
