"""``load`` and ``loads``: a workflow from a YAML or JSON definition.

A definition is a mapping::

    llmkit_workflow: 1          # optional; a higher number was written for a newer llmkit
    name: article               # the root's name
    state: Article              # optional: a registered pydantic model
    retry: {attempts: 3}        # the root's options (any option every step takes)
    breakers:                   # optional: circuit breakers, by key
      openai: {failure_threshold: 5}
    steps: [...]                # the root sequence, or `flow: <step>` for another kind of root
    workflows:                  # optional: workflows the steps `use:`, by name
      review: {sequence: [...]}

(the steps are read by :mod:`llmkit.workflow._schema`). JSON definitions are the same data.

Guarantees: the file is read bounded (size, nesting, aliases) and with the line of every
value; every mistake, a syntax error included, is a
:class:`~llmkit.errors.WorkflowDefinitionError` with ``file`` and ``line`` (its message starts
``<file>, line <n>:``, or is the reader's own message for a syntax error), raised before
anything runs; after the steps are read, the static checks of a running workflow (names,
colliding outputs, fields of a typed state) run too, reported at the line of the step they
name. A YAML definition needs PyYAML (``llmkit[workflow]``, else a
:class:`~llmkit.errors.MissingExtraError`); a JSON one needs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from llmkit._jsondata import (
    KeyPath,
    Located,
    parse_json_located,
    read_text,
    refusal_line,
)
from llmkit.errors import MissingExtraError, UsageError, WorkflowDefinitionError
from llmkit.output._yaml import parse_yaml_located
from llmkit.workflow._checks import check_tree, child_paths
from llmkit.workflow._definition import did_you_mean, shown
from llmkit.workflow._dump import COMMON_OPTIONS, FORMAT_VERSION, format_of
from llmkit.workflow._schema import Definition
from llmkit.workflow._spec import Node
from llmkit.workflow._workflow import Workflow

__all__ = ["TOP_LEVEL", "load", "loads"]

TOP_LEVEL = (
    "llmkit_workflow",
    "name",
    *(option for option in COMMON_OPTIONS if option != "name"),
    "breakers",
    "steps",
    "flow",
    "workflows",
)
"""The keys a definition may have at its top."""


def load(
    source: str | os.PathLike[str], *, registry: Mapping[str, object] | None = None
) -> Workflow:
    """A workflow from a YAML or JSON definition file, its names looked up in ``registry``.

    The format comes from the suffix (``.yaml``, ``.yml`` or ``.json``); error messages start
    with the file's name as given.
    """
    chosen = format_of(source, None)
    file = os.fspath(source)
    text = read_text(source, what="YAML" if chosen == "yaml" else "JSON")
    return _read(_parse(text, chosen, file), file=file, registry=registry)


def loads(
    text: str,
    *,
    format: Literal["yaml", "json"] = "yaml",
    registry: Mapping[str, object] | None = None,
    name: str = "<string>",
) -> Workflow:
    """A workflow from definition text (``name`` starts every error message)."""
    if not isinstance(text, str):
        raise UsageError(f"loads() takes the definition as text, not {type(text).__name__}.")
    return _read(_parse(text, format_of(None, format), name), file=name, registry=registry)


def _parse(text: str, chosen: str, file: str) -> Located:
    try:
        if chosen == "json":
            return parse_json_located(text, name=file)
        return parse_yaml_located(text, name=file, extra="workflow")
    except MissingExtraError:
        raise
    except UsageError as exc:
        raise WorkflowDefinitionError(str(exc), file=file, line=refusal_line(exc)) from exc


def _read(doc: Located, *, file: str, registry: Mapping[str, object] | None) -> Workflow:
    if registry is None:
        registry = {}
    if not isinstance(registry, Mapping) or not all(isinstance(k, str) for k in registry):
        raise UsageError(
            "load(registry=...) takes a mapping of names to objects, e.g. "
            "{'researcher': researcher, 'score': score}."
        )
    d = Definition(doc, file=file, registry=registry)
    data = doc.data
    if not isinstance(data, Mapping):
        raise d.fail(
            (),
            "a workflow definition is a mapping with name: and steps: (or flow:), not "
            f"{shown(data)}",
        )
    for key in data:
        if key not in TOP_LEVEL:
            raise d.fail(
                (key,),
                f"unknown top-level key {key!r} (known: {', '.join(TOP_LEVEL)})"
                f"{did_you_mean(key, TOP_LEVEL)}",
            )
    _check_version(d, data)
    if "name" not in data:
        raise d.fail((), "a workflow definition needs name: (the name of its root step)")
    _read_breakers(d, data)
    _note_workflows(d, data)
    given = [key for key in ("steps", "flow") if key in data]
    if len(given) != 1:
        raise d.fail(
            (given[1],) if given else (),
            "a workflow definition has steps: (a sequence) or flow: (a step of any kind), "
            + ("not both" if given else "and has neither"),
        )
    for name in d.workflows:  # each is read, and checked, once even when nothing uses it
        d.use(name, ("workflows", name))
    common = {key: (data[key], (key,)) for key in COMMON_OPTIONS if key in data}
    if given[0] == "steps":
        root = d.entries({"sequence": (data["steps"], ("steps",)), **common}, (), _own)
    else:
        flow = data["flow"]
        if not isinstance(flow, Mapping):
            raise d.fail(("flow",), f"flow: takes one step (a mapping), not {shown(flow)}")
        entries = {key: (value, ("flow", key)) for key, value in flow.items()}
        for key in common:
            if key in entries:
                raise d.fail(("flow", key), f"{key}: is set at the top and in flow:; set it once")
        root = d.entries({**entries, **common}, ("flow",), _own)
    _check(d, root.node)
    return root


def _own(name: str) -> str:
    return name


def _check_version(d: Definition, data: Mapping[str, Any]) -> None:
    if "llmkit_workflow" not in data:
        return
    version = data["llmkit_workflow"]
    where: KeyPath = ("llmkit_workflow",)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise d.fail(
            where,
            f"llmkit_workflow: takes the format number, {FORMAT_VERSION}; not {shown(version)}",
        )
    if version > FORMAT_VERSION:
        raise d.fail(
            where,
            f"this definition was written for a newer llmkit (format {version}; this llmkit "
            f"reads format {FORMAT_VERSION}): upgrade llmkit to load it",
        )


def _read_breakers(d: Definition, data: Mapping[str, Any]) -> None:
    section = data.get("breakers")
    if section is None:
        return
    if not isinstance(section, Mapping):
        raise d.fail(
            ("breakers",),
            "breakers: takes a mapping of keys to settings, e.g. openai: {failure_threshold: 5}",
        )
    for key, settings in section.items():
        if not isinstance(key, str):
            raise d.fail(("breakers", key), f"a breaker's key is text, not {shown(key)}")
        d.breakers[key] = d.breaker_settings(key, settings or {}, ("breakers", key))


def _note_workflows(d: Definition, data: Mapping[str, Any]) -> None:
    section = data.get("workflows")
    if section is None:
        return
    if not isinstance(section, Mapping):
        raise d.fail(
            ("workflows",),
            "workflows: takes a mapping of names to steps, e.g. review: {sequence: [...]}",
        )
    for name, value in section.items():
        if not isinstance(name, str) or not name:
            raise d.fail(("workflows", name), f"a workflow's name is text, not {shown(name)}")
        d.workflows[name] = (value, ("workflows", name))


def _check(d: Definition, root: Node) -> None:
    """The static checks of a run, located at the step each names."""
    try:
        check_tree(root)
    except WorkflowDefinitionError as exc:
        raise d.fail(_where(d, root, exc.path), str(exc), path=exc.path) from None


def _where(d: Definition, root: Node, path: str) -> KeyPath:
    """Where the step at ``path`` is written (the nearest written step that holds it)."""
    todo: list[tuple[Node, str, KeyPath]] = [(root, root.name, ())]
    while todo:
        node, at, near = todo.pop()
        place = d.places.get(id(node))
        written = place[1] if place is not None and place[0] is node else near
        if at == path:
            return written
        fallback = node.policy.fallback
        if fallback is not None:
            todo.append((fallback, f"{at}/fallback", written))
        todo.extend(
            (child, where, written) for child, where in reversed(list(child_paths(node, at)))
        )
    return ()
