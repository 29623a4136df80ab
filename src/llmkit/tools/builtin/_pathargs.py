"""The path rule for command arguments: no place in an argument may name a path outside the root.

A program decides for itself which of its arguments are paths, and many
read paths inside a longer argument (a script, an option's value, a list),
so every argument is read as one, in every spelling programs accept:

- the whole argument (``/etc/passwd``, ``../x``, ``~/x``);
- the text after a joiner: whitespace, ``= : @ ,``, ``; | & < > ( ) { }``
  or a quote (``--output=/x``, ``if=/x``, ``host:/x``, ``file:///x``, an
  ``@/x`` response file, ``-Wl,-rpath,/x``, the sed script ``r /x``,
  ``exec=cat /x``, ``print > "/x"``);
- in a short-option cluster, a value attached after any option letter
  (``-o/x``, ``-C/``, ``-f/etc/passwd``, ``-xf/tmp/a.tar``, ``-o../x``);
- the same places once ``%XX`` escapes are decoded (``file:%2Fetc``).

Such a value is refused when it is absolute, starts with ``~`` or climbs with
``..``; an argument is refused when any of its path components is ``..``. A
web address (``https://host/...``) is not a local path and passes.

Symbolic links are not followed here: the process tool refuses to run at all
while the root holds a link that leads out of it (:mod:`._links`), because
programs that recurse follow links found on the way, not only those named.

In a command template (:func:`~llmkit.tools.builtin.from_command`) the
template's text is the user's and only the places that text from the model
shapes are held to the rule; the model's text is given as spans.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Sequence

from llmkit.tools.builtin._policy import Refused

__all__ = ["Span", "check_path_args"]

Span = tuple[int, int]
"""Where text from the model sits in an argument, as ``(start, end)`` offsets."""

_WINDOWS = sys.platform == "win32"
_SEPARATORS = "/\\" if _WINDOWS else "/"
_JOINERS = re.compile(r"""[\s=:@,;|&<>(){}'"`]""")
_ESCAPE = re.compile(r"%([0-7][0-9A-Fa-f])")  # an ASCII character, percent-encoded
_ALLOWED = (
    "Arguments name paths relative to the working directory, inside the root: no absolute "
    "path, '~' or '..', also not inside a longer argument ('-o/x', '--out=/x', 'if=/x', "
    "'@/x', 'r /x'). Use a relative path, and give an option's value as an argument of its "
    "own ('-o', 'out/x')."
)


def check_path_args(
    args: Sequence[str],
    model_spans: Sequence[Sequence[Span]] | None = None,
    *,
    skip: Collection[int] = (),
) -> None:
    """Refuse (rule ``path_args``) an argument that could name a path outside the root.

    ``model_spans`` gives, per argument, the spans of text that came from the
    model; None means all of every argument did. ``skip`` lists arguments
    read in full otherwise (a sed or awk script, by :mod:`._programs`).
    """
    for index, arg in enumerate(args):
        spans: Sequence[Span] = [(0, len(arg))] if model_spans is None else model_spans[index]
        if not spans or index in skip:
            continue
        _check(arg, arg, _Touch(spans))
        decoded = _decode(arg)
        if decoded is not None:
            text, origin = decoded
            _check(text, arg, _Touch([_moved(span, origin) for span in spans]))


class _Touch:
    """Whether text from the model lies in (or, when empty, at the edge of) a slice."""

    __slots__ = ("spans",)

    def __init__(self, spans: Sequence[Span]) -> None:
        self.spans = spans

    def __call__(self, start: int, end: int) -> bool:
        start = max(start, 0)
        for low, high in self.spans:
            if (low < end and high > start) or (low == high and start <= low <= end):
                return True
        return False


def _check(arg: str, shown: str, touched: _Touch) -> None:
    separators = [i for i, ch in enumerate(arg) if ch in _SEPARATORS]
    start = 0
    for end in [*separators, len(arg)]:
        if arg[start:end] == ".." and touched(start - 1, end + 1):
            raise Refused("path_args", f"{_show(shown)} climbs out with '..'. {_ALLOWED}")
        start = end + 1
    for begin in sorted(_starts(arg)):
        if _web_address(arg, begin):
            continue
        reason = _leaves(arg, begin)
        if reason and touched(begin - 1, begin + len(reason[0]) + 1):
            part = "" if begin == 0 else f" (its part {_show(arg[begin:])})"
            raise Refused("path_args", f"{_show(shown)}{part} is {reason[1]}. {_ALLOWED}")


def _starts(arg: str) -> set[int]:
    """The offsets in ``arg`` where a path could begin."""
    starts = {0}
    if arg[:1] in ("-", "+") and arg[1:2] != arg[:1]:
        starts.add(1)
        index = 1
        while index < len(arg) and arg[index].isalnum():
            index += 1
            starts.add(index)
    starts.update(match.end() for match in _JOINERS.finditer(arg))
    return starts


def _leaves(arg: str, begin: int) -> tuple[str, str] | None:
    """What makes the path starting at ``begin`` leave the root lexically, and how to say it."""
    head = arg[begin : begin + 3]
    if not head:
        return None
    if head[0] in _SEPARATORS:
        return head[0], "an absolute path"
    if head[0] == "~":
        return "~", "a path in a home directory ('~')"
    if head[:2] == ".." and (len(head) == 2 or head[2] in _SEPARATORS):
        return "..", "a path that climbs out with '..'"
    if _WINDOWS and len(head) > 1 and head[1] == ":" and head[0].isalpha():
        return head[:2], "a path on a drive"
    return None


def _web_address(arg: str, begin: int) -> bool:
    """Whether ``begin`` is just after the ``:`` of an ``http://`` or ``https://`` address."""
    return (
        begin > 0
        and arg[begin - 1] == ":"
        and arg.startswith("//", begin)
        and arg[begin + 2 : begin + 3] not in ("", *_SEPARATORS)  # a host, not '///x'
        and arg[max(begin - 6, 0) : begin - 1].lower().endswith(("http", "https"))
    )


def _decode(arg: str) -> tuple[str, list[int]] | None:
    """``arg`` with ``%XX`` escapes of ASCII characters decoded, and where each character came from.

    None when there is nothing to decode. ``origin[i]`` is the offset in
    ``arg`` of the decoded text's character ``i``; ``origin[-1]`` is ``len(arg)``.
    """
    if _ESCAPE.search(arg) is None:
        return None
    text: list[str] = []
    origin: list[int] = []
    index = 0
    while index < len(arg):
        match = _ESCAPE.match(arg, index)
        origin.append(index)
        if match is None:
            text.append(arg[index])
            index += 1
        else:
            text.append(chr(int(match.group(1), 16)))
            index = match.end()
    origin.append(len(arg))
    return "".join(text), origin


def _moved(span: Span, origin: list[int]) -> Span:
    """A span of the encoded argument as a span of the decoded text (covering what it touches)."""
    low, high = span
    if low == high:
        at = bisect_left(origin, low)
        return at, at
    return max(bisect_right(origin, low) - 1, 0), bisect_left(origin, high)


def _show(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")
