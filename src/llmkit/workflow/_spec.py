"""The specs of a workflow: plain frozen node data, read by every other part of the package.

A workflow is an immutable tree of these nodes, wrapped by the public ``Workflow`` handle.
The specs hold no behaviour beyond :meth:`Node.children` and :meth:`Node.with_ref`: running
is done by executor functions per node kind, drawing and dumping by functions that read the
same data, so nothing here imports them.

Guarantees:

- every spec is frozen, slotted and keyword-only (``dataclasses.FrozenInstanceError`` on any
  assignment), so a tree cannot be changed after it is built and cannot contain itself;
- a spec refers to its children directly (``children()`` gives them in declared order: the
  order of the trace and of paths);
- the checks of argument values happen in the builders (``step``, ``sequence`` …), not here:
  a spec built by hand is taken as given.

Paths (``article/reviews[1]/critic_b``): a child of a sequence, a branch case, ``otherwise``
or a loop body adds ``/name``; a parallel branch adds ``[i]`` to the parallel's segment, a loop
iteration and a map item likewise; a fallback runs at ``<path>/fallback``. A nested workflow
(``LeafNode(kind="workflow")``) runs its inner root at the leaf's own path, so the inner
root's children continue below it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel

from llmkit.workflow._breaker import CircuitBreaker
from llmkit.workflow._predicate import Expression
from llmkit.workflow._retry import Retry

__all__ = [
    "ON_ERROR",
    "BranchNode",
    "Case",
    "ErrorMode",
    "LeafKind",
    "LeafNode",
    "LoopNode",
    "MapNode",
    "Merge",
    "Node",
    "OnError",
    "ParallelNode",
    "Policy",
    "SequenceNode",
]

OnError: TypeAlias = Literal["raise", "skip", "continue"]
"""What a step's failure does once retries and the fallback are spent: ``"raise"`` stops the
flow; ``"skip"`` marks the step skipped and goes on; ``"continue"`` keeps the failure in
``result.errors`` and goes on."""

ON_ERROR: tuple[OnError, ...] = ("raise", "skip", "continue")

ErrorMode: TypeAlias = Literal["fail_fast", "collect"]
"""How a parallel or a map treats a failing branch: stop the others, or run them all and keep
the failures in ``result.errors``."""

LeafKind: TypeAlias = Literal["function", "agent", "tool", "step", "workflow"]
"""What a leaf runs: a function, an Agent, a Tool, a ``Step`` object, or a nested workflow."""

Merge: TypeAlias = Literal["all", "first"] | Callable[[list[Any]], Any]
"""How a parallel combines its branches' outputs: a list in declared order, the first to
succeed, or a function of that list."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """What happens around each attempt of a node: retry, breaker, timeout, on_error, fallback."""

    retry: Retry | None = None
    """Run a failed attempt again; on a combinator, the default of every leaf inside it."""
    breaker: CircuitBreaker | None = None
    """The circuit each attempt asks first; on a combinator, the default of every leaf inside it."""
    timeout: float | None = None
    """Seconds each attempt of this node may take."""
    on_error: OnError = "raise"
    """What the node's failure does once retries and the fallback are spent."""
    fallback: Node | None = None
    """Run instead when every attempt failed (same input, same ``output=``)."""


_NO_POLICY = Policy()


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """A node of a workflow: a leaf step or a combinator, with its name, reader, writer and policy."""

    name: str
    """The node's name: the last segment of its paths."""
    input: Expression | None = None
    """What it reads from the state (None: the whole state). On a combinator it isolates the
    subtree: the picked value becomes the subtree's own state."""
    output: str | None = None
    """The state field its output is written to."""
    state: type[BaseModel] | None = None
    """The state type this node works on (a dict given to it is validated into this model)."""
    policy: Policy = _NO_POLICY
    """Retry, breaker, timeout, on_error and fallback."""
    ref: str | None = None
    """The registry name this node was loaded from (``use:`` in a definition), for dumps."""

    def children(self) -> tuple[Node, ...]:
        """The nodes directly inside this one, in declared order (the fallback not included)."""
        return ()

    def with_ref(self, ref: str | None) -> Node:
        """This node with ``ref`` set (the name a definition refers to it by)."""
        return dataclasses.replace(self, ref=ref)


@dataclass(frozen=True, slots=True, kw_only=True)
class LeafNode(Node):
    """A step that runs one thing: a function, an agent, a tool, a ``Step`` or a nested workflow."""

    kind: LeafKind
    """What ``target`` is."""
    target: object
    """The function, Agent, Tool, Step object, or (kind ``"workflow"``) the inner root ``Node``."""
    thread: bool = False
    """Run a sync function in a worker thread instead of inline."""
    takes_context: bool = False
    """The function takes a ``StepContext`` as its second argument."""

    def children(self) -> tuple[Node, ...]:
        """The inner root of a nested workflow; nothing for other leaves."""
        if self.kind == "workflow" and isinstance(self.target, Node):
            return (self.target,)
        return ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SequenceNode(Node):
    """Steps one after another on the same state; the output is the last one's."""

    steps: tuple[Node, ...] = ()

    def children(self) -> tuple[Node, ...]:
        """The steps, in order."""
        return self.steps


@dataclass(frozen=True, slots=True, kw_only=True)
class ParallelNode(Node):
    """Branches run concurrently, each on its own copy of the state, merged in declared order."""

    branches: tuple[Node, ...] = ()
    merge: Merge = "all"
    max_concurrency: int | None = None
    errors: ErrorMode = "fail_fast"

    def children(self) -> tuple[Node, ...]:
        """The branches, in declared order."""
        return self.branches


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """A case of a branch: run ``step`` when ``predicate`` holds for the state."""

    predicate: Expression
    """The condition, on the branch's state (truthiness)."""
    step: Node
    """What runs when it holds."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BranchNode(Node):
    """The first case whose predicate holds (or every one, with ``all_matches``), else ``otherwise``."""

    cases: tuple[Case, ...] = ()
    otherwise: Node | None = None
    all_matches: bool = False

    def children(self) -> tuple[Node, ...]:
        """Each case's step in priority order, then ``otherwise``."""
        steps = tuple(case.step for case in self.cases)
        return steps if self.otherwise is None else (*steps, self.otherwise)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoopNode(Node):
    """``body`` run repeatedly: while a predicate holds, until one does, or ``count`` times."""

    body: Node
    while_: Expression | None = None
    until: Expression | None = None
    count: int | None = None
    max_iterations: int | None = None
    max_duration: float | None = None
    delay: float = 0.0
    break_on_error: bool = False
    collect: bool = False

    def children(self) -> tuple[Node, ...]:
        """The body."""
        return (self.body,)


@dataclass(frozen=True, slots=True, kw_only=True)
class MapNode(Node):
    """``body`` once per item of the list ``over`` picks; outputs in input order."""

    body: Node
    over: Expression
    max_concurrency: int | None = None
    errors: ErrorMode = "fail_fast"

    def children(self) -> tuple[Node, ...]:
        """The body."""
        return (self.body,)
