"""Reading YAML that may be hostile: one loader, bounded before anything grows.

Every YAML document llmkit reads (evaluation sets, scenarios, OpenAPI
documents) goes through :func:`parse_yaml` or :func:`read_yaml`. They use
PyYAML's safe loader (no Python objects, only plain data) with bounds checked
while the document is composed, before any Python value is built:

- ``max_bytes``: the size of the text (a file is measured before it is read);
- ``max_depth``: how deeply collections nest;
- ``max_aliases``: how many ``*alias`` references the document makes;
- ``max_nodes``: how many values the document holds *with every alias
  expanded*. PyYAML shares an aliased value instead of copying it, so a 1 KB
  "billion laughs" document loads as a small graph, and then whatever walks
  it (copies, matchers, ``json.dumps``) expands it to gigabytes. The expanded
  size of each node is counted as it is composed (an alias adds the size of
  what it names), so such a document is refused at once, with little memory.

An alias to a node that contains it (a recursive document) is refused too.
So are numbers that cost more than their size to build: YAML 1.1's base-60
numbers (``1:30:00``; YAML 1.2 dropped them), which PyYAML builds by
multiplying a growing integer once per part (quadratic in the length of the
text), and any number longer than :data:`MAX_NUMBER_LENGTH` characters
(Python neither prints nor parses longer decimal integers by default).
Every refusal, like a syntax error, is a :class:`~llmkit.errors.UsageError`
that names the document and the bound: a bad data file is the caller's input.
PyYAML is an optional dependency, imported on first use; the extra a missing
PyYAML is reported with is the caller's (``llmkit[eval]`` unless it says).

Definition files (workflows) are read *located*: :func:`parse_yaml_located`
and :func:`read_yaml_located` give the data with the line of every value in
it (a :class:`~llmkit._jsondata.Located`), under the same bounds and with the
same messages; their refusals keep the line they point at (see
:func:`~llmkit._jsondata.refusal_line`). The lines are read from the composed
document once it is built, so they cost one walk over what was composed: an
aliased value is walked where it is first written, not again where it is used.
The located readers read booleans as YAML 1.2 does: only ``true`` and
``false`` (in their three spellings) are booleans, so ``on``, ``off``,
``yes`` and ``no`` stay text. YAML 1.1 reads those four as booleans, which
turns a key ``on:`` (a retry's ``on: [ServerError]``) into ``True:``; the
plain readers keep YAML 1.1 for the files they already read.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmkit._jsondata import MAX_BYTES, MAX_DEPTH, KeyPath, Located, read_text
from llmkit._optional import require
from llmkit.errors import UsageError

__all__ = [
    "MAX_NUMBER_LENGTH",
    "YAMLLimits",
    "YAMLRefused",
    "parse_yaml",
    "parse_yaml_located",
    "read_yaml",
    "read_yaml_located",
]

MAX_NUMBER_LENGTH = 4300
"""Longest number, in characters, a YAML document may hold (Python's own limit for decimal integers)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class YAMLLimits:
    """The bounds on one YAML document; the defaults suit hand-written data files."""

    max_bytes: int = MAX_BYTES
    """Longest text, in bytes of UTF-8."""
    max_depth: int = MAX_DEPTH
    """Deepest nesting of lists and mappings."""
    max_aliases: int = 10_000
    """Most ``*alias`` references."""
    max_nodes: int = 2_000_000
    """Most values (scalars, lists, mappings) with every alias expanded."""


class YAMLRefused(UsageError):
    """A YAML document refused rather than read: past a bound, recursive, or with a Python tag.

    Its message is the same as a plain :class:`UsageError`'s would be; the
    class lets a reader of untrusted text (a model's answer) tell a refusal,
    which must never be retried in another way, from a syntax error it may
    try to recover from.
    """


DEFAULT_LIMITS = YAMLLimits()
"""The bounds every YAML read in llmkit uses."""


class _TooBig(Exception):
    """Why a document is refused, and the 1-based line it points at (``lineno``, 0 for none).

    Raised while composing when a bound is passed; a located read keeps it (or
    one made from a syntax error) as the cause of its :class:`UsageError`.
    """

    def __init__(self, why: str, lineno: int = 0) -> None:
        super().__init__(why)
        self.lineno = lineno


def parse_yaml(
    text: str,
    *,
    name: str = "The YAML text",
    limits: YAMLLimits = DEFAULT_LIMITS,
    extra: str = "eval",
) -> Any:
    """The data in one YAML document ``text``, refused with a :class:`UsageError` past ``limits``.

    ``name`` (a file name, say) starts every error message; ``extra`` is the
    extra named when PyYAML is missing.
    """
    return _read(text, name=name, limits=limits, extra=extra, located=False).data


def read_yaml(
    path: str | os.PathLike[str], *, limits: YAMLLimits = DEFAULT_LIMITS, extra: str = "eval"
) -> Any:
    """The data in the YAML file at ``path``; its size is checked before it is read."""
    text = read_text(path, max_bytes=limits.max_bytes, what="YAML")
    return parse_yaml(text, name=str(Path(path)), limits=limits, extra=extra)


def parse_yaml_located(
    text: str,
    *,
    name: str = "The YAML text",
    limits: YAMLLimits = DEFAULT_LIMITS,
    extra: str = "eval",
) -> Located:
    """The data in one YAML document ``text`` with the line of every value (see :class:`Located`).

    Read as :func:`parse_yaml` reads it, except for booleans: only ``true`` and
    ``false`` are (YAML 1.2), so a key ``on:`` stays the text ``"on"``.

    Refused as :func:`parse_yaml` refuses it; the refusal's cause carries the
    line it points at when there is one (read it with ``refusal_line``).
    """
    return _read(text, name=name, limits=limits, extra=extra, located=True)


def read_yaml_located(
    path: str | os.PathLike[str], *, limits: YAMLLimits = DEFAULT_LIMITS, extra: str = "eval"
) -> Located:
    """:func:`read_yaml`'s data with the line of every value in it (see :func:`parse_yaml_located`)."""
    text = read_text(path, max_bytes=limits.max_bytes, what="YAML")
    return parse_yaml_located(text, name=str(Path(path)), limits=limits, extra=extra)


def _read(text: str, *, name: str, limits: YAMLLimits, extra: str, located: bool) -> Located:
    """The one read behind the four readers; lines are walked only when ``located``."""
    yaml = require("yaml", extra=extra, feature="Reading YAML", package="pyyaml")
    if (
        len(text) > limits.max_bytes
        or len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes
    ):
        raise _refusal(name, _too_long(limits))
    loader = (_definition_loader_class() if located else _loader_class())(text, limits)
    why: _TooBig | None = None
    try:
        node = loader.get_single_node()
        if node is None:
            return Located(None, {(): 1})
        data = loader.construct_document(node)
        return Located(data, _lines(loader, node) if located else {})
    except _TooBig as exc:
        why = exc
        refusal = _refusal(name, str(exc))
    except RecursionError:  # chains of merge keys (<<: *a) nest without nesting collections
        why = _TooBig("its merge keys (<<: *name) chain too deeply")
        refusal = _refusal(name, f"{why}; merge fewer levels")
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        why = _TooBig(str(exc), mark.line + 1 if mark is not None else 0)
        # The safe loader has no constructor for the tags that build Python objects.
        unsafe = isinstance(exc, yaml.constructor.ConstructorError)
        refusal = (YAMLRefused if unsafe else UsageError)(f"{name} is not valid YAML: {exc}")
    finally:
        loader.dispose()
    raise refusal from (why if located else None)


def _lines(loader: Any, root: Any) -> dict[KeyPath, int]:
    """The line of every entry of the composed document ``root``, by the path of its value.

    Walked in the order of the text, so a node used again through an alias is
    walked where it is first written: the walk is no longer than the text.
    A mapping entry is at its key's line; a list item at its own first line,
    but an alias in a list has no line of its own (the composed document does
    not keep where the alias was written).
    """
    import yaml

    lines: dict[KeyPath, int] = {}
    seen: set[int] = set()
    # (path, node, its line when it is a list item or the whole: known to be its own only when
    # the node is met for the first time; a mapping entry's line is its key's, noted at once)
    todo: list[tuple[KeyPath, Any, int]] = [((), root, root.start_mark.line + 1)]
    while todo:
        path, node, line = todo.pop()
        if id(node) in seen:
            continue  # met again through an alias
        seen.add(id(node))
        if line:
            lines[path] = line
        children: list[tuple[KeyPath, Any, int]]
        if isinstance(node, yaml.MappingNode):
            entries: dict[str | int, tuple[Any, Any]] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key = loader.construct_object(key_node)
                    if isinstance(key, (str, int)):  # a key given twice keeps its last value
                        entries.pop(key, None)
                        entries[key] = (key_node, value_node)
            children = []
            for key, (key_node, value_node) in entries.items():
                lines[(*path, key)] = key_node.start_mark.line + 1
                children.append(((*path, key), value_node, 0))
        elif isinstance(node, yaml.SequenceNode):
            children = [
                ((*path, index), item, item.start_mark.line + 1)
                for index, item in enumerate(node.value)
            ]
        else:
            continue
        todo.extend(reversed(children))
    return lines


def _refusal(name: str, why: str) -> UsageError:
    return YAMLRefused(f"{name} is refused as YAML: {why}.")


def _too_long(limits: YAMLLimits) -> str:
    return f"it is longer than {limits.max_bytes:,} bytes; split it into smaller files"


@functools.cache
def _loader_class() -> type[Any]:
    """The bounded loader class, made on first use (PyYAML is imported lazily)."""
    import yaml

    class BoundedLoader(yaml.SafeLoader):
        """PyYAML's safe loader, counting depth, aliases and expanded nodes as it composes."""

        def __init__(self, text: str, limits: YAMLLimits) -> None:
            super().__init__(text)
            self.limits = limits
            self.depth = 0
            self.aliases = 0
            self.sizes: dict[int, int] = {}
            """Expanded size of every node composed so far, by ``id`` (the nodes stay alive)."""

        def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
            if self.check_event(yaml.AliasEvent):
                line = self._next_line()
                alias = super().compose_node(parent, index)
                self.aliases += 1
                if self.aliases > self.limits.max_aliases:
                    raise _TooBig(
                        f"it uses more than {self.limits.max_aliases:,} aliases (*name); "
                        "write the repeated parts out",
                        line,
                    )
                if id(alias) not in self.sizes:
                    raise _TooBig(
                        "an alias names a value that contains it (a recursive document); "
                        "remove that alias",
                        line,
                    )
                return alias
            self.depth += 1
            if self.depth > self.limits.max_depth:
                raise _TooBig(
                    f"it nests more than {self.limits.max_depth} levels deep; flatten the data",
                    self._next_line(),
                )
            try:
                node = super().compose_node(parent, index)
            finally:
                self.depth -= 1
            self.sizes[id(node)] = size = self._expanded_size(node)
            if size > self.limits.max_nodes:
                raise _TooBig(
                    f"with its aliases expanded it holds more than {self.limits.max_nodes:,} "
                    "values (an alias bomb?); write the repeated parts out or split the file",
                    node.start_mark.line + 1 if node is not None else 0,
                )
            return node

        def _next_line(self) -> int:
            """The line of the event about to be composed (``check_event`` has read it)."""
            event = self.current_event
            return event.start_mark.line + 1 if event is not None and event.start_mark else 0

        def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
            self._check_number(node)
            return super().construct_yaml_int(node)

        def construct_yaml_float(self, node: yaml.ScalarNode) -> Any:
            self._check_number(node)
            return super().construct_yaml_float(node)

        def _check_number(self, node: yaml.ScalarNode) -> None:
            text = str(node.value)
            line = node.start_mark.line + 1
            where = f"line {line} holds"
            if ":" in text:
                shown = text if len(text) <= 40 else text[:37] + "..."
                raise _TooBig(
                    f"{where} {shown}, a base-60 number of YAML 1.1 (YAML 1.2 reads no such "
                    "thing); write it in quotes for text ('1:30') or as a plain number (90)",
                    line,
                )
            if len(text) > MAX_NUMBER_LENGTH:
                raise _TooBig(
                    f"{where} a number of {len(text):,} characters, more than "
                    f"{MAX_NUMBER_LENGTH:,}; write it in quotes to keep it as text",
                    line,
                )

        def _expanded_size(self, node: yaml.Node | None) -> int:
            sizes = self.sizes
            if isinstance(node, yaml.SequenceNode):
                return 1 + sum(sizes[id(child)] for child in node.value)
            if isinstance(node, yaml.MappingNode):
                return 1 + sum(sizes[id(key)] + sizes[id(value)] for key, value in node.value)
            return 1

    # PyYAML looks constructors up in a table of functions, not by method name.
    BoundedLoader.add_constructor("tag:yaml.org,2002:int", BoundedLoader.construct_yaml_int)
    BoundedLoader.add_constructor("tag:yaml.org,2002:float", BoundedLoader.construct_yaml_float)
    return BoundedLoader


@functools.cache
def _definition_loader_class() -> type[Any]:
    """The bounded loader with YAML 1.2's booleans (``true``/``false`` only), made on first use."""
    bounded = _loader_class()
    loader: type[Any] = type(
        "DefinitionLoader",
        (bounded,),
        {"__doc__": "The bounded loader, reading on/off/yes/no as text (YAML 1.2)."},
    )
    boolean = "tag:yaml.org,2002:bool"
    loader.yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != boolean]
        for first, resolvers in bounded.yaml_implicit_resolvers.items()
    }
    loader.add_implicit_resolver(
        boolean, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    return loader
