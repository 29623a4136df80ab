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
PyYAML is an optional dependency (``llmkit[eval]``), imported on first use.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmkit._jsondata import MAX_BYTES, MAX_DEPTH, read_text
from llmkit._optional import require
from llmkit.errors import UsageError

__all__ = ["MAX_NUMBER_LENGTH", "YAMLLimits", "parse_yaml", "read_yaml"]

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


DEFAULT_LIMITS = YAMLLimits()
"""The bounds every YAML read in llmkit uses."""


class _TooBig(Exception):
    """A bound was passed while composing; carries the sentence that says which."""


def parse_yaml(
    text: str, *, name: str = "The YAML text", limits: YAMLLimits = DEFAULT_LIMITS
) -> Any:
    """The data in one YAML document ``text``, refused with a :class:`UsageError` past ``limits``.

    ``name`` (a file name, say) starts every error message.
    """
    yaml = require("yaml", extra="eval", feature="Reading YAML", package="pyyaml")
    if (
        len(text) > limits.max_bytes
        or len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes
    ):
        raise _refusal(name, _too_long(limits))
    loader = _loader_class()(text, limits)
    try:
        return loader.get_single_data()
    except _TooBig as exc:
        raise _refusal(name, str(exc)) from None
    except RecursionError:  # chains of merge keys (<<: *a) nest without nesting collections
        raise _refusal(
            name, "its merge keys (<<: *name) chain too deeply; merge fewer levels"
        ) from None
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        raise UsageError(f"{name} is not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def read_yaml(path: str | os.PathLike[str], *, limits: YAMLLimits = DEFAULT_LIMITS) -> Any:
    """The data in the YAML file at ``path``; its size is checked before it is read."""
    text = read_text(path, max_bytes=limits.max_bytes, what="YAML")
    return parse_yaml(text, name=str(Path(path)), limits=limits)


def _refusal(name: str, why: str) -> UsageError:
    return UsageError(f"{name} is refused as YAML: {why}.")


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
                alias = super().compose_node(parent, index)
                self.aliases += 1
                if self.aliases > self.limits.max_aliases:
                    raise _TooBig(
                        f"it uses more than {self.limits.max_aliases:,} aliases (*name); "
                        "write the repeated parts out"
                    )
                if id(alias) not in self.sizes:
                    raise _TooBig(
                        "an alias names a value that contains it (a recursive document); "
                        "remove that alias"
                    )
                return alias
            self.depth += 1
            if self.depth > self.limits.max_depth:
                raise _TooBig(
                    f"it nests more than {self.limits.max_depth} levels deep; flatten the data"
                )
            try:
                node = super().compose_node(parent, index)
            finally:
                self.depth -= 1
            self.sizes[id(node)] = size = self._expanded_size(node)
            if size > self.limits.max_nodes:
                raise _TooBig(
                    f"with its aliases expanded it holds more than {self.limits.max_nodes:,} "
                    "values (an alias bomb?); write the repeated parts out or split the file"
                )
            return node

        def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
            self._check_number(node)
            return super().construct_yaml_int(node)

        def construct_yaml_float(self, node: yaml.ScalarNode) -> Any:
            self._check_number(node)
            return super().construct_yaml_float(node)

        def _check_number(self, node: yaml.ScalarNode) -> None:
            text = str(node.value)
            where = f"line {node.start_mark.line + 1} holds"
            if ":" in text:
                shown = text if len(text) <= 40 else text[:37] + "..."
                raise _TooBig(
                    f"{where} {shown}, a base-60 number of YAML 1.1 (YAML 1.2 reads no such "
                    "thing); write it in quotes for text ('1:30') or as a plain number (90)"
                )
            if len(text) > MAX_NUMBER_LENGTH:
                raise _TooBig(
                    f"{where} a number of {len(text):,} characters, more than "
                    f"{MAX_NUMBER_LENGTH:,}; write it in quotes to keep it as text"
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
