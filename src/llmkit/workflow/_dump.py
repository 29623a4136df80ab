"""Writing a workflow down: its definition as data, as YAML or JSON text, and the names it uses.

:func:`definition` gives the data :func:`llmkit.workflow.load` reads, in one canonical form:
keys in the order of the schema (the kind key, then ``name``, ``input``, ``output``,
``state``, the kind's own options, ``thread``, ``retry``, ``breaker``, ``timeout``,
``on_error``, ``fallback``), every option equal to its default left out, ``steps:`` when the
root is a sequence (``flow:`` otherwise), each circuit breaker once under ``breakers:``, and
each nested workflow that has a name of its own (``use:`` in a definition, ``step(flow)``
in code) once under ``workflows:``.

Objects are written by name: a node's ``ref`` (the registry name it was loaded from), else the
agent's, tool's or ``Step``'s ``name``, a function's ``__name__``, a model's or exception
class's ``__name__``. :func:`registry` gives those names with their objects: what
``load(text, registry=...)`` needs to read the text back. Exception classes of
``llmkit.errors`` and Python's builtins need no registry entry.

Guarantees: writing calls nothing and changes nothing; what cannot be written is refused with
a :class:`~llmkit.errors.UsageError` that names the step and says what to write instead (a
lambda used as a predicate, one name for two objects, two settings for one breaker key), before
any file is written; ``definition(load(dump(x)))`` equals ``definition(x)``.
"""

from __future__ import annotations

import builtins
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import llmkit.errors as llmkit_errors
from llmkit._optional import require
from llmkit.errors import UsageError
from llmkit.workflow._breaker import CircuitBreaker
from llmkit.workflow._predicate import Expression
from llmkit.workflow._retry import ErrorTypes, Retry
from llmkit.workflow._spec import (
    BranchNode,
    LeafNode,
    LoopNode,
    MapNode,
    Node,
    ParallelNode,
    SequenceNode,
)

__all__ = [
    "COMMON_OPTIONS",
    "FORMAT_VERSION",
    "Registered",
    "definition",
    "dump",
    "format_of",
    "registry",
]

FORMAT_VERSION = 1
"""The definition format this llmkit writes and reads (``llmkit_workflow:``)."""

Format = Literal["yaml", "json"]

COMMON_OPTIONS = (
    "name",
    "input",
    "output",
    "state",
    "retry",
    "breaker",
    "timeout",
    "on_error",
    "fallback",
)
"""The options of every step and combinator; the root's are written at the top of a definition."""

_RETRY_DEFAULTS = Retry()
_BREAKER_DEFAULTS: dict[str, object] = {"failure_threshold": 5, "reset_timeout": 30.0, "probes": 1}
_PREDICATE_ROLES = ("when", "until", "while")


class Registered:
    """A function of the registry used as a reader or a merge, remembered by its registry name.

    A definition's ``{function: pick}`` reader holds one of these, so the workflow writes it
    back as ``{function: pick}`` whatever the function's own ``__name__`` (a lambda too).
    Calling it calls the function.
    """

    def __init__(self, function: Callable[..., Any], key: str) -> None:
        self.function = function
        """The registered function."""
        self.key = key
        """The name it is registered under."""
        self.__name__ = key
        self.__qualname__ = key

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function."""
        return self.function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<registered function {self.key!r}>"


def default_name(node: Node) -> str:
    """The name a combinator gets when none is given (what its builder picks)."""
    if isinstance(node, ParallelNode):
        return node.output or "parallel"
    if isinstance(node, MapNode):
        return node.output or "map"
    if isinstance(node, SequenceNode):
        return "sequence"
    if isinstance(node, BranchNode):
        return "branch"
    return "loop"


def format_of(path: str | os.PathLike[str] | None, format: str | None) -> Format:
    """The format to write or read: ``format`` when given, else from the suffix of ``path`` (YAML)."""
    if format is not None:
        if format not in ("yaml", "json"):
            raise UsageError(f"format= is 'yaml' or 'json', not {format!r}.")
        return "json" if format == "json" else "yaml"
    if path is None:
        return "yaml"
    suffix = Path(path).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    raise UsageError(
        f"{os.fspath(path)}: a workflow definition is a .yaml, .yml or .json file; rename it or "
        "pass format='yaml' or format='json'."
    )


class _Writer:
    """One walk over a tree: its definition, and the objects, breakers and workflows it names."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[object, str]] = {}
        self.breakers: dict[str, tuple[CircuitBreaker, str]] = {}
        self.breaker_data: dict[str, dict[str, Any]] = {}
        self.named: dict[str, tuple[Node, str]] = {}
        self.workflows: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ names

    def name_object(self, name: str, value: object, path: str) -> str:
        """Note ``value`` under ``name``; UsageError when the name is taken by another object."""
        held = self.objects.get(name)
        if held is None:
            self.objects[name] = (value, path)
        elif held[0] is not value:
            raise UsageError(
                f"Two objects are written as {name!r}: the one at {held[1]} and the one at "
                f"{path}; register one under another name (give it another name=, or load the "
                "definition with a registry that names them apart)."
            )
        return name

    def error_name(self, error: type[BaseException], path: str) -> str:
        name = error.__name__
        if getattr(llmkit_errors, name, None) is error or getattr(builtins, name, None) is error:
            return name
        return self.name_object(name, error, path)

    def error_names(self, on: ErrorTypes, path: str) -> list[str]:
        items = on if isinstance(on, tuple) else (on,)
        return [self.error_name(item, path) for item in items]

    def function(self, function: object, path: str, what: str) -> dict[str, Any]:
        """``{function: name}`` for a named or registered function; UsageError for a lambda."""
        if isinstance(function, Registered):
            return {"function": self.name_object(function.key, function.function, path)}
        name = getattr(function, "__name__", None)
        if not isinstance(name, str) or not name.isidentifier():
            shown = name if isinstance(name, str) else type(function).__name__
            raise UsageError(
                f"{path}: {what} {shown} cannot be written to a definition; use an expression "
                "string such as 'score < 0.8', or a named function"
            )
        return {"function": self.name_object(name, function, path)}

    def reader(self, reader: Expression, path: str) -> Any:
        if isinstance(reader.source, str):
            return reader.source
        role = reader.role
        what = "the predicate" if role in _PREDICATE_ROLES else f"the {role}= reader"
        return self.function(reader.source, path, what)

    # ------------------------------------------------------------------ policy parts

    def retry(self, retry: Retry, path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for option in ("attempts", "backoff", "delay", "max_delay", "jitter"):
            value = getattr(retry, option)
            if value != getattr(_RETRY_DEFAULTS, option):
                out[option] = value
        if retry.on is not None:
            out["on"] = self.error_names(retry.on, path)
        return out

    def breaker(self, breaker: CircuitBreaker, path: str) -> str:
        key = breaker.key
        held = self.breakers.get(key)
        if held is None:
            self.breakers[key] = (breaker, path)
            data: dict[str, Any] = {
                option: getattr(breaker, option)
                for option, default in _BREAKER_DEFAULTS.items()
                if getattr(breaker, option) != default
            }
            if breaker.on is not None:
                data["on"] = self.error_names(breaker.on, path)
            self.breaker_data[key] = data
        elif held[0] != breaker:
            raise UsageError(
                f"The circuit breaker {key!r} has two settings: {held[0]!r} at {held[1]} and "
                f"{breaker!r} at {path}; a key names one circuit, so give both steps the same "
                "CircuitBreaker, or another key."
            )
        return key

    # ------------------------------------------------------------------ nodes

    def use(self, node: Node, path: str) -> str:
        """The name a nested workflow is written under, its definition noted in ``workflows:``."""
        key = node.ref or node.name
        held = self.named.get(key)
        if held is not None:
            if held[0] is not node and held[0] != node:
                raise UsageError(
                    f"Two different workflows are written as {key!r}: the one at {held[1]} and "
                    f"the one at {path}; give one of them another name."
                )
            return key
        self.named[key] = (node, path)
        self.workflows[key] = {}  # taken now, so a workflow is listed before those it uses
        self.workflows[key] = self.node(node, path, default=key)
        return key

    def node(self, node: Node, path: str, *, default: str | None = None) -> dict[str, Any]:
        """The mapping of ``node`` (``default``: the name left out; else the kind's default)."""
        out: dict[str, Any] = {}
        if isinstance(node, LeafNode):
            if node.kind == "workflow" and isinstance(node.target, Node):
                out["use"] = self.use(node.target, path)
                own = node.target.name
            else:
                own = node.ref or _object_name(node.target)
                out[node.kind] = self.name_object(own, node.target, path)
        else:
            out.update(self.combinator(node, path))
            own = default_name(node)
        if node.name != (own if default is None else default):
            out["name"] = node.name
        out.update(self.options(node, path))
        return out

    def child(self, node: Node, path: str) -> dict[str, Any]:
        """A child as written inside its parent: ``{use: name}`` for a named workflow."""
        if node.ref is not None and not isinstance(node, LeafNode):
            return {"use": self.use(node, path)}
        return self.node(node, path)

    def combinator(self, node: Node, path: str) -> dict[str, Any]:
        if isinstance(node, SequenceNode):
            return {"sequence": [self.child(c, f"{path}/{c.name}") for c in node.steps]}
        if isinstance(node, ParallelNode):
            out: dict[str, Any] = {
                "parallel": [
                    self.child(c, f"{path}[{i}]/{c.name}") for i, c in enumerate(node.branches)
                ]
            }
            return out
        if isinstance(node, BranchNode):
            cases = [
                {
                    "when": self.reader(case.predicate, path),
                    "then": self.child(case.step, f"{path}/{case.step.name}"),
                }
                for case in node.cases
            ]
            return {"branch": cases}
        if isinstance(node, LoopNode):
            return {"loop": self.child(node.body, f"{path}[*]/{node.body.name}")}
        if isinstance(node, MapNode):
            return {"map": self.child(node.body, f"{path}[*]/{node.body.name}")}
        raise UsageError(
            f"{path}: a {type(node).__name__} cannot be written to a definition; build the "
            "workflow with step(), sequence(), parallel(), branch(), loop() or map_each()."
        )

    def options(self, node: Node, path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if node.input is not None:
            out["input"] = self.reader(node.input, path)
        if node.output is not None:
            out["output"] = node.output
        if node.state is not None:
            out["state"] = self.name_object(node.state.__name__, node.state, path)
        out.update(self.own_options(node, path))
        if isinstance(node, LeafNode) and node.thread:
            out["thread"] = True
        policy = node.policy
        if policy.retry is not None:
            out["retry"] = self.retry(policy.retry, path)
        if policy.breaker is not None:
            out["breaker"] = self.breaker(policy.breaker, path)
        if policy.timeout is not None:
            out["timeout"] = policy.timeout
        if policy.on_error != "raise":
            out["on_error"] = policy.on_error
        if policy.fallback is not None:
            out["fallback"] = self.child(policy.fallback, f"{path}/fallback")
        return out

    def own_options(self, node: Node, path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if isinstance(node, ParallelNode):
            if callable(node.merge):
                out["merge"] = self.function(node.merge, path, "the merge")
            elif node.merge != "all":
                out["merge"] = node.merge
            if node.max_concurrency is not None:
                out["max_concurrency"] = node.max_concurrency
            if node.errors != "fail_fast":
                out["errors"] = node.errors
        elif isinstance(node, BranchNode):
            if node.otherwise is not None:
                out["otherwise"] = self.child(node.otherwise, f"{path}/{node.otherwise.name}")
            if node.all_matches:
                out["all_matches"] = True
        elif isinstance(node, LoopNode):
            for option, reader in (("while", node.while_), ("until", node.until)):
                if reader is not None:
                    out[option] = self.reader(reader, path)
            for option, value, default in (
                ("count", node.count, None),
                ("max_iterations", node.max_iterations, None),
                ("max_duration", node.max_duration, None),
                ("delay", node.delay, 0.0),
                ("break_on_error", node.break_on_error, False),
                ("collect", node.collect, False),
            ):
                if value != default:
                    out[option] = value
        elif isinstance(node, MapNode):
            out["over"] = self.reader(node.over, path)
            if node.max_concurrency is not None:
                out["max_concurrency"] = node.max_concurrency
            if node.errors != "fail_fast":
                out["errors"] = node.errors
        return out

    # ------------------------------------------------------------------ the whole

    def root(self, root: Node) -> dict[str, Any]:
        flow = self.node(root, root.name, default=root.name)
        out: dict[str, Any] = {"llmkit_workflow": FORMAT_VERSION, "name": root.name}
        out.update({key: flow.pop(key) for key in list(flow) if key in COMMON_OPTIONS})
        if self.breaker_data:
            out["breakers"] = self.breaker_data
        if isinstance(root, SequenceNode):
            out["steps"] = flow["sequence"]
        else:
            out["flow"] = flow
        if self.workflows:
            out["workflows"] = self.workflows
        return out


def _object_name(target: object) -> str:
    name = getattr(target, "name", None)
    if isinstance(name, str) and name:
        return name
    name = getattr(target, "__name__", None)
    return name if isinstance(name, str) and name else type(target).__name__


def definition(root: Node) -> dict[str, Any]:
    """The definition of the workflow ``root`` as data, in the form ``load`` reads (see the module)."""
    return _Writer().root(root)


def registry(root: Node) -> dict[str, object]:
    """The objects the definition of ``root`` names, by name: the registry ``load`` needs for it."""
    writer = _Writer()
    writer.root(root)
    return {name: value for name, (value, _path) in writer.objects.items()}


def dump(
    root: Node, path: str | os.PathLike[str] | None = None, *, format: str | None = None
) -> str:
    """The definition of ``root`` as YAML (or JSON) text, written to ``path`` when given.

    The format is ``format`` when given, else the suffix of ``path`` (``.yaml``/``.yml`` or
    ``.json``), else YAML. Nothing is written when the workflow cannot be written down.
    """
    chosen = format_of(path, format)
    data = definition(root)
    if chosen == "json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    else:
        yaml = require("yaml", extra="workflow", feature="Writing YAML", package="pyyaml")
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text
