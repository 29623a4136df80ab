"""Drawing a workflow: the indented ``tree()`` text and the ``to_mermaid()`` flowchart.

Both read the frozen specs only (nothing runs, nothing is imported beyond the specs), so a
workflow can be drawn before its agents have a model or its functions can be called.

Guarantees:

- the output depends on the tree alone: the same tree gives the same text, character for
  character (golden tests hold it);
- ``tree_text`` shows one line per node, in the order of paths: a parallel's branches
  prefixed ``[i]``, a branch's cases ``when <predicate>:`` and ``otherwise:``, a fallback
  ``fallback:`` (it runs at ``<path>/fallback``); each line says the node's kind, its
  options that change how it runs, ``input=``, ``-> output`` and, in brackets, its retry,
  breaker and ``on_error``;
- ``mermaid`` gives a ``flowchart TD`` whose node ids ``n0, n1, …`` follow the pre-order of
  the tree (a fallback after the node's children), so ids are stable; every label is
  quoted and escaped (``"`` is ``#quot;``, ``<`` and ``>`` are ``#lt;`` and ``#gt;``), so
  no name or predicate can break the chart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmkit.workflow._predicate import Expression
from llmkit.workflow._spec import (
    BranchNode,
    LeafNode,
    LoopNode,
    MapNode,
    Node,
    ParallelNode,
    SequenceNode,
)

__all__ = ["mermaid", "tree_text"]

_KINDS: dict[type[Node], str] = {
    SequenceNode: "sequence",
    ParallelNode: "parallel",
    BranchNode: "branch",
    LoopNode: "loop",
    MapNode: "map",
}


def _kind(node: Node) -> str:
    return node.kind if isinstance(node, LeafNode) else _KINDS.get(type(node), type(node).__name__)


def _short(name: str) -> str:
    """A function's qualified name without the enclosing functions (``<lambda>``, ``pick``)."""
    return name.rsplit(".<locals>.", 1)[-1]


def _reader(expression: Expression) -> str:
    source = expression.source
    if isinstance(source, str):
        return source
    return _short(expression.describe())


def _callable(function: Callable[..., Any]) -> str:
    return _short(getattr(function, "__qualname__", None) or repr(function))


def _seconds(value: float) -> str:
    return f"{value:g} s"


# ---------------------------------------------------------------------------------- tree


def _details(node: Node) -> list[str]:
    """What goes in the parentheses after the name: the kind, then options of that kind."""
    parts = [_kind(node)]
    if isinstance(node, ParallelNode):
        if node.merge == "first":
            parts.append("first wins")
        elif callable(node.merge):
            parts.append(f"merge {_callable(node.merge)}")
    if isinstance(node, MapNode):
        parts[0] = f"map over {_reader(node.over)}"
    if isinstance(node, BranchNode) and node.all_matches:
        parts.append("all matches")
    if isinstance(node, LoopNode):
        if node.while_ is not None:
            parts.append(f"while {_reader(node.while_)}")
        if node.until is not None:
            parts.append(f"until {_reader(node.until)}")
        if node.count is not None:
            parts.append(f"{node.count} times")
        if node.max_iterations is not None:
            parts.append(f"max {node.max_iterations}")
        if node.max_duration is not None:
            parts.append(f"max {_seconds(node.max_duration)}")
        if node.delay:
            parts.append(f"delay {_seconds(node.delay)}")
        if node.collect:
            parts.append("collect")
        if node.break_on_error:
            parts.append("break on error")
    if isinstance(node, ParallelNode | MapNode):
        if node.max_concurrency is not None:
            parts.append(f"max {node.max_concurrency}")
        if node.errors == "collect":
            parts.append("collect errors")
    if isinstance(node, LeafNode) and node.thread:
        parts.append("thread")
    if node.policy.timeout is not None:
        parts.append(f"timeout {_seconds(node.policy.timeout)}")
    return parts


def _policy(node: Node) -> list[str]:
    """What goes in the brackets: retry, breaker, on_error (the fallback is a child line)."""
    policy = node.policy
    parts: list[str] = []
    if policy.retry is not None:
        parts.append(f"retry {policy.retry.attempts} {policy.retry.backoff}")
    if policy.breaker is not None:
        parts.append(f"breaker {policy.breaker.key}")
    if policy.on_error != "raise":
        parts.append(f"on_error {policy.on_error}")
    return parts


def _line(node: Node) -> str:
    text = f"{node.name} ({', '.join(_details(node))})"
    if node.state is not None:
        text += f" state={node.state.__name__}"
    if node.input is not None:
        text += f" input={_reader(node.input)}"
    if node.output is not None:
        text += f" -> {node.output}"
    policy = _policy(node)
    if policy:
        text += f" [{', '.join(policy)}]"
    return text


def _labelled_children(node: Node) -> list[tuple[str, Node]]:
    """The child lines of ``node``: a prefix and the node, in the order of paths."""
    children: list[tuple[str, Node]]
    if isinstance(node, ParallelNode):
        children = [(f"[{i}] ", branch) for i, branch in enumerate(node.branches)]
    elif isinstance(node, BranchNode):
        children = [(f"when {_reader(case.predicate)}: ", case.step) for case in node.cases]
        if node.otherwise is not None:
            children.append(("otherwise: ", node.otherwise))
    else:
        children = [("", child) for child in node.children()]
    if node.policy.fallback is not None:
        children.append(("fallback: ", node.policy.fallback))
    return children


def tree_text(node: Node) -> str:
    """``node`` as an indented tree of steps, one line per node (no trailing newline)."""
    lines = [_line(node)]
    # Depth-first without recursion: (node, its child lines, the indent of its children).
    stack: list[tuple[list[tuple[str, Node]], str]] = [(_labelled_children(node)[::-1], "")]
    while stack:
        pending, indent = stack[-1]
        if not pending:
            stack.pop()
            continue
        prefix, child = pending.pop()
        last = not pending
        lines.append(f"{indent}{'└── ' if last else '├── '}{prefix}{_line(child)}")
        stack.append((_labelled_children(child)[::-1], indent + ("    " if last else "│   ")))
    return "\n".join(lines)


# ------------------------------------------------------------------------------- mermaid


def _escape(text: str) -> str:
    return (
        text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    )


def _loop_label(node: LoopNode) -> str:
    if node.until is not None:
        return f"until {_reader(node.until)}"
    if node.while_ is not None:
        return f"while {_reader(node.while_)}"
    if node.count is not None:
        return f"{node.count} times"
    if node.max_iterations is not None:
        return f"at most {node.max_iterations} times"
    return f"for at most {_seconds(node.max_duration or 0.0)}"


class _Chart:
    """The lines of one flowchart, its next node id and the depth of subgraphs."""

    __slots__ = ("count", "depth", "lines")

    def __init__(self) -> None:
        self.lines = ["flowchart TD"]
        self.count = 0
        self.depth = 1

    def new_id(self) -> str:
        node_id = f"n{self.count}"
        self.count += 1
        return node_id

    def add(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    def shape(self, node_id: str, label: str, opening: str, closing: str) -> None:
        self.add(f'{node_id}{opening}"{_escape(label)}"{closing}')

    def box(self, node_id: str, *label: str) -> None:
        self.add(f'{node_id}["{"<br/>".join(_escape(part) for part in label)}"]')

    def edge(self, start: str, end: str, how: str = "-->") -> None:
        self.add(f"{start} {how} {end}")

    def edges(self, starts: list[str], end: str, how: str = "-->") -> None:
        for start in starts:
            self.edge(start, end, how)

    def open(self, node_id: str, *label: str) -> None:
        self.add(f'subgraph {node_id}["{"<br/>".join(_escape(part) for part in label)}"]')
        self.depth += 1

    def close(self) -> None:
        self.depth -= 1
        self.add("end")

    def draw(self, node: Node) -> tuple[str, list[str]]:
        """Add ``node``; its entry id and the ids its successors are linked from."""
        node_id = self.new_id()
        entry, exits = self._draw(node, node_id)
        fallback = node.policy.fallback
        if fallback is not None:
            start, ends = self.draw(fallback)
            self.edge(node_id, start, "-.->|fallback|")
            exits = [*exits, *ends]
        return entry, exits

    def _draw(self, node: Node, node_id: str) -> tuple[str, list[str]]:
        if isinstance(node, LeafNode):
            if node.kind == "workflow" and isinstance(node.target, Node):
                self.open(node_id, node.name, "workflow")
                entry, exits = self.draw(node.target)
                self.close()
                return entry, exits
            self.box(node_id, node.name, node.kind)
            return node_id, [node_id]
        if isinstance(node, SequenceNode):
            return self._sequence(node, node_id)
        if isinstance(node, ParallelNode):
            self.add(f'{node_id}{{{{"{_escape(node.name)}<br/>parallel"}}}}')
            ends: list[str] = []
            for branch in node.branches:
                start, exits = self.draw(branch)
                self.edge(node_id, start)
                ends.extend(exits)
            return node_id, self._join(node_id, ends or [node_id])
        if isinstance(node, MapNode):
            label = f"map {node.body.name} over {_reader(node.over)}"
            self.add(f'{node_id}[["{_escape(label)}"]]')
            start, exits = self.draw(node.body)
            self.edge(node_id, start)
            return node_id, self._join(node_id, exits)
        if isinstance(node, BranchNode):
            return self._branch(node, node_id)
        if isinstance(node, LoopNode):
            self.open(node_id, node.name, ", ".join(_details(node)[1:]))
            start, exits = self.draw(node.body)
            self.edges(exits, start, f'-->|"{_escape(_loop_label(node))}"|')
            self.close()
            return start, exits
        self.box(node_id, node.name, _kind(node))  # a kind this module does not know
        return node_id, [node_id]

    def _join(self, node_id: str, ends: list[str]) -> list[str]:
        join = f"{node_id}_join"
        self.add(f'{join}{{{{"join"}}}}')
        self.edges(ends, join)
        return [join]

    def _sequence(self, node: SequenceNode, node_id: str) -> tuple[str, list[str]]:
        if not node.steps:
            self.add(f'{node_id}(["{_escape(node.name)}<br/>sequence"])')
            return node_id, [node_id]
        self.open(node_id, node.name, "sequence")
        entry = ""
        exits: list[str] = []
        for index, child in enumerate(node.steps):
            start, ends = self.draw(child)
            if index == 0:
                entry = start
            else:
                self.edges(exits, start)
            exits = ends
        self.close()
        return entry, exits

    def _branch(self, node: BranchNode, node_id: str) -> tuple[str, list[str]]:
        join = f"{node_id}_join"
        # Each case is a diamond; "no" goes to the next case, the last one to otherwise.
        diamonds = [node_id if i == 0 else f"{node_id}_{i}" for i in range(len(node.cases))]
        if not diamonds:
            self.shape(node_id, node.name, "{", "}")
            diamonds = [node_id]
        else:
            for diamond, case in zip(diamonds, node.cases, strict=True):
                self.shape(diamond, _reader(case.predicate), "{", "}")
        ends: list[str] = []
        for i, case in enumerate(node.cases):
            start, exits = self.draw(case.step)
            self.edge(diamonds[i], start, "-- yes -->")
            if i + 1 < len(diamonds):
                self.edge(diamonds[i], diamonds[i + 1], "-- no -->")
            if node.all_matches and i + 1 < len(diamonds):
                self.edges(exits, diamonds[i + 1])  # every matching case runs, in order
            else:
                ends.extend(exits)
        self.add(f'{join}((" "))')
        if node.otherwise is not None:
            start, exits = self.draw(node.otherwise)
            self.edge(diamonds[-1], start, "-- otherwise -->")
            ends.extend(exits)
        else:
            self.edge(diamonds[-1], join, "-- no -->")
        self.edges(ends, join)
        return node_id, [join]


def mermaid(node: Node) -> str:
    """A Mermaid flowchart (``flowchart TD``) of ``node`` (no trailing newline)."""
    chart = _Chart()
    chart.draw(node)
    return "\n".join(chart.lines)
