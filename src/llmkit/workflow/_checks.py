"""Static checks of a workflow tree, done once before it runs (and by the builders as they build).

:func:`check_tree` walks a root spec with the state type it will run on and refuses, with a
:class:`~llmkit.errors.WorkflowDefinitionError` naming the step path (and, for collisions,
both paths and the field):

- a node inside itself (only reachable by building specs by hand; builders cannot);
- a name that is not a path segment, two siblings with one path;
- two branches of one parallel that can write the same field, a branch writing the field
  the parallel writes its merged output to, an ``output=`` inside a map body that is one
  leaf (each item would write the same field);
- on a typed state, an ``output=`` field or a field a string expression reads that the
  model does not have, and a ``state=`` type that is not the state the node works on.

It also says which nodes write to the state they share with their siblings
(:meth:`TreeInfo.writes`): a parallel gives a copy of the state only to branches that write.
Paths are as at run time, with ``[*]`` for a loop iteration or a map item.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from llmkit.errors import WorkflowDefinitionError
from llmkit.workflow._spec import (
    BranchNode,
    LeafNode,
    LoopNode,
    MapNode,
    Node,
    ParallelNode,
    SequenceNode,
)

__all__ = ["TreeInfo", "check_name", "check_siblings", "check_tree", "child_paths"]

_PLAIN_RETURNS: tuple[Any, ...] = (str, int, float, bool, bytes, type(None), None, list, tuple, set)


def check_name(name: object, *, what: str = "Step name") -> str:
    """``name`` when it is a valid path segment, else WorkflowDefinitionError saying what to pass."""
    if not isinstance(name, str) or not name.strip():
        raise WorkflowDefinitionError(
            f"{what} must be a non-empty string, not {name!r}; pass name=..."
        )
    if any(c in name for c in "/[]"):
        raise WorkflowDefinitionError(
            f"{what} {name!r} may not contain '/', '[' or ']'; pass name=..."
        )
    if name != name.strip():
        raise WorkflowDefinitionError(
            f"{what} {name!r} may not start or end with whitespace; pass name=..."
        )
    return name


def check_siblings(nodes: tuple[Node, ...], *, owner: str, what: str = "steps") -> None:
    """Refuse two siblings with one name: they would share a path (``owner`` is the parent's path)."""
    seen: dict[str, int] = {}
    for index, node in enumerate(nodes, 1):
        first = seen.setdefault(node.name, index)
        if first != index:
            raise WorkflowDefinitionError(
                f'"{owner}/{node.name}" twice ({what} {first} and {index} of {owner}); '
                "pass name=... to one of them.",
                path=f"{owner}/{node.name}",
            )


def child_paths(node: Node, path: str) -> Iterator[tuple[Node, str]]:
    """Each child of ``node`` at ``path`` with its path (``[*]`` for loop iterations and map items)."""
    if isinstance(node, ParallelNode):
        for index, branch in enumerate(node.branches):
            yield branch, f"{path}[{index}]/{branch.name}"
    elif isinstance(node, LoopNode | MapNode):
        yield node.body, f"{path}[*]/{node.body.name}"
    elif isinstance(node, LeafNode):
        for inner in node.children():
            yield inner, path
    else:
        for child in node.children():
            yield child, f"{path}/{child.name}"


@dataclass(frozen=True, slots=True)
class TreeInfo:
    """What the checks learnt of a tree: which nodes write to the state they share."""

    root: Node
    state: type[BaseModel] | None
    _writing: frozenset[int] = field(default=frozenset(), repr=False)

    def writes(self, node: Node) -> bool:
        """Whether ``node`` (a node of this tree) may write to the state it shares with its siblings."""
        return id(node) in self._writing


@dataclass(slots=True)
class _Summary:
    """What a subtree writes to the state it shares: explicit output fields (with a path) and whether any write."""

    outputs: dict[str, str] = field(default_factory=dict)
    writes: bool = False


class _Walk:
    __slots__ = ("ancestors", "writing")

    def __init__(self) -> None:
        self.ancestors: list[int] = []
        self.writing: set[int] = set()

    def node(self, node: Node, path: str, model: type[BaseModel] | None) -> _Summary:
        if id(node) in self.ancestors:
            raise WorkflowDefinitionError(
                f"Workflow step {path!r} contains itself; a workflow cannot run inside itself.",
                path=path,
            )
        check_name(node.name)
        if node.input is not None:
            node.input.check_fields(_fields(model), path=path)
        if node.state is not None and node.input is None and model not in (None, node.state):
            raise WorkflowDefinitionError(
                f"Step {path!r} declares state={node.state.__name__}, but it works on the "
                f"{getattr(model, '__name__', model)} of the steps around it; give it input=... "
                "to run on a state of its own.",
                path=path,
            )
        isolated = node.input is not None and not isinstance(node, LeafNode)
        if isinstance(node, LeafNode) and node.kind == "workflow" and node.input is not None:
            isolated = True
        inner_model = node.state if isolated else model
        self.ancestors.append(id(node))
        try:
            inner = self.inner(node, path, inner_model)
        finally:
            self.ancestors.pop()
        summary = _Summary() if isolated else inner
        if node.output is not None:
            _check_field(node.output, model, path)
            summary.outputs.setdefault(node.output, path)
            summary.writes = True
        fallback = node.policy.fallback
        if fallback is not None:
            backup = self.node(fallback, f"{path}/fallback", model)
            summary.writes = summary.writes or backup.writes
            for name, where in backup.outputs.items():
                summary.outputs.setdefault(name, where)
        if summary.writes:
            self.writing.add(id(node))
        return summary

    def inner(self, node: Node, path: str, model: type[BaseModel] | None) -> _Summary:
        fields = _fields(model)
        if isinstance(node, LeafNode):
            summary = _Summary(writes=node.output is None and _may_merge(node))
            for child, child_path in child_paths(node, path):
                nested = self.node(child, child_path, model)
                summary.outputs.update(nested.outputs)
                summary.writes = summary.writes or nested.writes
            return summary
        if isinstance(node, SequenceNode | BranchNode):
            check_siblings(
                node.children(),
                owner=path,
                what="steps" if isinstance(node, SequenceNode) else "cases",
            )
        if isinstance(node, BranchNode):
            for case in node.cases:
                case.predicate.check_fields(fields, path=path)
        if isinstance(node, LoopNode):
            for predicate in (node.while_, node.until):
                if predicate is not None:
                    predicate.check_fields(fields, path=path)
        if isinstance(node, MapNode):
            node.over.check_fields(fields, path=path)
            return self.map_body(node, path)
        if isinstance(node, ParallelNode):
            return self.parallel(node, path, model)
        summary = _Summary()
        for child, child_path in child_paths(node, path):
            nested = self.node(child, child_path, model)
            for name, where in nested.outputs.items():
                summary.outputs.setdefault(name, where)
            summary.writes = summary.writes or nested.writes
        return summary

    def parallel(self, node: ParallelNode, path: str, model: type[BaseModel] | None) -> _Summary:
        summary = _Summary()
        for child, child_path in child_paths(node, path):
            nested = self.node(child, child_path, model)
            for name, where in nested.outputs.items():
                if node.output == name:
                    raise WorkflowDefinitionError(
                        f"Parallel {path!r} writes its merged output to {name!r}, and its branch "
                        f"{where} writes {name!r} too; give the branch another output= field.",
                        path=where,
                    )
                other = summary.outputs.get(name)
                if other is not None:
                    raise WorkflowDefinitionError(
                        f"Parallel {path!r}: {other} and {where} both write {name!r}; branches "
                        "run at once on copies of the state, so one write would be lost. Give "
                        "them different output= fields, or collect the branches with the "
                        "parallel's own output=.",
                        path=where,
                    )
                summary.outputs[name] = where
            summary.writes = summary.writes or nested.writes
        return summary

    def map_body(self, node: MapNode, path: str) -> _Summary:
        body = node.body
        ((child, child_path),) = child_paths(node, path)
        if isinstance(body, LeafNode) and body.kind != "workflow":
            if body.output is not None:
                raise WorkflowDefinitionError(
                    f"map_each {path!r}: its body {child_path} writes {body.output!r} "
                    "(output=) once per item, so the items' writes would collide; leave "
                    "output= off the body (the map's own output= gets the list of outputs), or "
                    "make the body a workflow, whose state is each item.",
                    path=child_path,
                )
            self.node(child, child_path, None)
            return _Summary()
        # A workflow body runs on each item as its own state: its writes stay inside.
        self.node(child, child_path, body.state)
        return _Summary()


def _fields(model: type[BaseModel] | None) -> frozenset[str] | None:
    return None if model is None else frozenset(model.model_fields)


def _check_field(name: str, model: type[BaseModel] | None, path: str) -> None:
    if model is not None and name not in model.model_fields:
        raise WorkflowDefinitionError(
            f"Step {path!r} writes its output to {name!r} (output=), which {model.__name__} "
            f"does not have (its fields: {', '.join(sorted(model.model_fields)) or 'none'}).",
            path=path,
        )


def _may_merge(leaf: LeafNode) -> bool:
    """Whether a leaf without output= may return a model or a mapping (merged into the state)."""
    if leaf.kind == "workflow":
        return False
    if leaf.kind == "agent":
        return getattr(leaf.target, "output_type", str) is not str
    if leaf.kind != "function":
        return True
    try:
        hints = typing.get_type_hints(leaf.target)
    except Exception:  # unresolvable annotations: assume it may
        return True
    if "return" not in hints:
        return True
    returned = hints["return"]
    return (typing.get_origin(returned) or returned) not in _PLAIN_RETURNS


def check_tree(root: Node, state: type[BaseModel] | None = None) -> TreeInfo:
    """Check ``root`` for running on states of type ``state`` (None: dicts); WorkflowDefinitionError if wrong."""
    walk = _Walk()
    walk.node(root, root.name, root.state or state)
    return TreeInfo(root, state, frozenset(walk.writing))
