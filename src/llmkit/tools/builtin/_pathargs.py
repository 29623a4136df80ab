"""The path rule for command arguments: no place in an argument may name a path outside the root.

A program decides for itself which of its arguments are paths, so every
argument is read as one, in every spelling programs accept:

- the whole argument (``/etc/passwd``, ``../x``, ``~/x``);
- the value after ``=``, ``:``, ``@`` or ``,`` (``--output=/x``, ``if=/x``,
  ``host:/x``, ``file:///x``, an ``@/x`` response file, ``-Wl,-rpath,/x``);
- in a short-option cluster, a value attached after any option letter
  (``-o/x``, ``-C/``, ``-f/etc/passwd``, ``-xf/tmp/a.tar``, ``-o../x``).

Such a value is refused when it is absolute, starts with ``~`` or climbs with
``..``; an argument is refused when any of its path components is ``..``. A
web address (``https://host/...``) is not a local path and passes. Values
that stay inside lexically and name something that exists (or a directory on
the way to it) are then resolved from the working directory with symbolic
links followed, by the root's own check (:meth:`Root.contains`), and refused
when they land outside: reading or writing through a link that points out
of the root is refused as the file tools refuse it.

In a command template (:func:`~llmkit.tools.builtin.from_command`) the
template's text is the user's and only the places that text from the model
shapes are held to the rule; the model's text is given as spans.
"""

from __future__ import annotations

import os
import re
import sys
from bisect import bisect_left
from collections.abc import Sequence
from pathlib import Path

from llmkit.tools.builtin._policy import Refused
from llmkit.tools.builtin._root import Root

__all__ = ["Span", "check_path_args"]

Span = tuple[int, int]
"""Where text from the model sits in an argument, as ``(start, end)`` offsets."""

_WINDOWS = sys.platform == "win32"
_SEPARATORS = "/\\" if _WINDOWS else "/"
_JOINERS = re.compile(r"[=:@,]")
_NAME_MAX = 255  # no file system has longer names; longer text cannot be one
_ALLOWED = (
    "Arguments name paths relative to the working directory, inside the root: no absolute "
    "path, '~' or '..', also not in an option's value ('-o/x', '--out=/x', 'if=/x', '@/x'). "
    "Use a relative path, and give an option's value as an argument of its own ('-o', 'out/x')."
)


def check_path_args(
    args: Sequence[str],
    root: Root,
    directory: Path,
    model_spans: Sequence[Sequence[Span]] | None = None,
) -> None:
    """Refuse (rule ``path_args``) an argument that could name a path outside ``root``.

    ``directory`` is the working directory (inside the root) that relative
    paths start from. ``model_spans`` gives, per argument, the spans of text
    that came from the model; None means all of every argument did.
    """
    for index, arg in enumerate(args):
        spans: Sequence[Span] = [(0, len(arg))] if model_spans is None else model_spans[index]
        if spans:
            _check(arg, _Touch(spans), root, directory)


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


def _check(arg: str, touched: _Touch, root: Root, directory: Path) -> None:
    separators = [i for i, ch in enumerate(arg) if ch in _SEPARATORS]
    climbs: list[int] = []  # where each '..' component starts
    start = 0
    for end in [*separators, len(arg)]:
        if arg[start:end] == "..":
            climbs.append(start)
            if touched(start - 1, end + 1):
                raise Refused("path_args", f"{_show(arg)} climbs out with '..'. {_ALLOWED}")
        start = end + 1
    for begin in sorted(_starts(arg)):
        if _web_address(arg, begin):
            continue
        reason = _leaves(arg, begin)
        if reason:
            if touched(begin - 1, begin + len(reason[0]) + 1):
                part = "" if begin == 0 else f" (its part {_show(arg[begin:])})"
                raise Refused("path_args", f"{_show(arg)}{part} is {reason[1]}. {_ALLOWED}")
            continue  # the template's own text names that path
        if (climbs and climbs[-1] >= begin) or not touched(begin - 1, len(arg)):
            continue
        _check_links(arg, begin, separators, root, directory)


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


def _check_links(arg: str, begin: int, separators: list[int], root: Root, directory: Path) -> None:
    following = bisect_left(separators, begin)
    end = separators[following] if following < len(separators) else len(arg)
    if not begin < end <= begin + _NAME_MAX:
        return  # empty, or longer than any file name can be
    if not os.path.lexists(directory / arg[begin:end]):
        return  # nothing there, so no link to follow: the program creates it inside
    value = arg[begin:]
    try:
        inside = root.contains(directory / value)
    except (OSError, RuntimeError, ValueError):  # a symbolic link loop, for one
        inside = False
    if not inside:
        named = "" if begin == 0 else f" names {_show(value)}, which"
        raise Refused(
            "path_args",
            f"{_show(arg)}{named} leads outside the root directory through a symbolic link; "
            "only paths inside the root are allowed.",
        )


def _show(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")
