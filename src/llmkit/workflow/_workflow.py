"""``Workflow``: the public handle of a workflow or one of its steps.

A ``Workflow`` wraps one frozen node spec (``llmkit.workflow._spec``); every builder
(``step``, ``sequence``, ``parallel`` …) returns one, and combinators take them as items.
The handle adds no state of its own, so two handles of one spec behave the same, and
running one twice, or concurrently, runs two independent runs.

Its methods delegate: running to ``_runner``, replaying to ``_replay``, drawing to
``_render``, writing down to ``_dump`` (each imported when first called, so building a
workflow loads none of them).
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Iterator
from typing import TYPE_CHECKING, Any, Literal

from llmkit._sync import iterate_sync, run_sync
from llmkit.agent import Agent
from llmkit.errors import UsageError
from llmkit.workflow._runtime import ResumeOptions, WorkflowOptions, kind_of
from llmkit.workflow._spec import LeafNode, Node

if TYPE_CHECKING:
    from typing import Unpack

    from llmkit.durable import Store
    from llmkit.events import Event
    from llmkit.workflow._result import WorkflowResult

__all__ = ["Workflow", "WorkflowOptions", "kind_of"]


class Workflow:
    """A workflow or one of its steps: run it, stream it, draw it, write it down."""

    __slots__ = ("_node",)

    def __init__(self, node: Node) -> None:
        if not isinstance(node, Node):
            raise UsageError(
                "Workflow wraps a node spec; build workflows with step(), sequence(), "
                f"parallel(), branch(), loop() or map_each(), not from {type(node).__name__}."
            )
        self._node = node

    @property
    def node(self) -> Node:
        """The frozen spec of this workflow (what drawing, dumping and running read)."""
        return self._node

    @property
    def name(self) -> str:
        """The node's name (the last segment of its paths)."""
        return self._node.name

    @property
    def kind(self) -> str:
        """``"function"``, ``"agent"``, ``"tool"``, ``"step"``, ``"workflow"``, ``"sequence"`` …"""
        return kind_of(self._node)

    # ---------------------------------------------------------------------- runs

    async def run(
        self, state: Any = None, **options: Unpack[WorkflowOptions]
    ) -> WorkflowResult[Any]:
        """Run on ``state`` (a pydantic model or a dict; not changed) and return the result.

        Options (see :class:`WorkflowOptions`): ``deps``, ``usage_limits``, ``timeout``,
        ``hooks``, ``bus``, ``breakers``, ``run_id``, ``clock``, ``store`` (a durable run:
        every finished step is checkpointed there, and :meth:`resume` continues the run
        after a crash), and ``executor`` (``llmkit.RayExecutor()``: ``parallel`` branches and
        ``map_each`` items run on Ray, merged here as in process). A failed run raises a
        :class:`~llmkit.errors.WorkflowError` (or one of its kinds) carrying the state as it
        was, the trace and the usage; ``__cause__`` says why.
        """
        from llmkit.workflow._runner import run_workflow

        return await run_workflow(self._node, state, options)

    def run_sync(
        self, state: Any = None, **options: Unpack[WorkflowOptions]
    ) -> WorkflowResult[Any]:
        """Blocking twin of :meth:`run`; also works inside a running event loop (Jupyter)."""
        from llmkit.workflow._runner import run_workflow

        return run_sync(run_workflow(self._node, state, options, method="run_sync"))

    async def resume(
        self,
        run_id: str,
        *,
        store: Store,
        allow_changed: bool = False,
        **options: Unpack[ResumeOptions],
    ) -> WorkflowResult[Any]:
        """Continue the durable run ``run_id`` (started with ``run(..., store=store)``) after a crash.

        Steps whose outcome is checkpointed do not run again: their recorded outputs flow on
        and their state writes are re-applied; the rest run. The result equals an
        uninterrupted run's (resumed steps are marked ``resumed`` in the trace). Raises
        ``RunNotFoundError``, ``RunFinishedError``, ``RunBusyError`` (another live process
        holds it), or ``WorkflowChangedError`` when this workflow's definition differs from
        the one the run started with, unless ``allow_changed=True``. Options as for
        :meth:`run` (``deps``, ``usage_limits``, ``timeout``, ``hooks``, ``bus``,
        ``breakers``, ``clock``).
        """
        from llmkit.workflow._resume import resume_workflow

        return await resume_workflow(
            self._node,
            run_id,
            store=store,
            allow_changed=allow_changed,
            options=options,
            method="resume",
        )

    def resume_sync(
        self,
        run_id: str,
        *,
        store: Store,
        allow_changed: bool = False,
        **options: Unpack[ResumeOptions],
    ) -> WorkflowResult[Any]:
        """Blocking twin of :meth:`resume`."""
        from llmkit.workflow._resume import resume_workflow

        return run_sync(
            resume_workflow(
                self._node,
                run_id,
                store=store,
                allow_changed=allow_changed,
                options=options,
                method="resume_sync",
            )
        )

    def stream(
        self, state: Any = None, **options: Unpack[WorkflowOptions]
    ) -> AsyncGenerator[Event, None]:
        """Run and yield every workflow event and every agent event, each tagged with its step path.

        The last event is ``workflow.end``; a failed run yields ``error`` and a failed
        ``workflow.end``, then raises its error. Leaving the loop early cancels the run.
        """
        from llmkit.workflow._runner import stream_workflow

        return stream_workflow(self._node, state, options)

    def stream_sync(self, state: Any = None, **options: Unpack[WorkflowOptions]) -> Iterator[Event]:
        """Blocking twin of :meth:`stream`."""
        return iterate_sync(self.stream(state, **options))

    async def replay_from(
        self,
        recording: Any,
        *,
        run: int | str = 0,
        deps: Any = None,
        state: Any = None,
        functions: Literal["recorded", "rerun"] = "recorded",
    ) -> WorkflowResult[Any]:
        """Run again as recorded: agents and functions answered from ``recording``, no network."""
        from llmkit.workflow._replay import replay_workflow

        return await replay_workflow(
            self._node, recording, run=run, deps=deps, state=state, functions=functions
        )

    # ---------------------------------------------------------------- drawings

    def tree(self) -> str:
        """This workflow as an indented tree of steps (what ``llmkit workflow show`` prints)."""
        from llmkit.workflow._render import tree_text

        return tree_text(self._node)

    def to_mermaid(self) -> str:
        """A Mermaid flowchart of this workflow."""
        from llmkit.workflow._render import mermaid

        return mermaid(self._node)

    def agents(self) -> dict[str, Agent[Any]]:
        """Every agent in this workflow (handoff targets included), by name, in tree order.

        Two different agents with one name cannot both be listed (nor scripted or replayed by
        name): that is a :class:`~llmkit.errors.UsageError` asking to name them apart.
        """
        found: dict[str, Agent[Any]] = {}
        stack: list[Node] = [self._node]
        while stack:
            node = stack.pop()
            if isinstance(node, LeafNode) and isinstance(node.target, Agent):
                for agent in node.target.reachable_agents():
                    known = found.setdefault(agent.name, agent)
                    if known is not agent:
                        raise UsageError(
                            f"Workflow {self.name!r} has two different agents named "
                            f"{agent.name!r}; give each its own name (Agent(..., name='...')) so "
                            "scripts, traces and replays can tell them apart."
                        )
            inner = list(node.children())
            if node.policy.fallback is not None:
                inner.append(node.policy.fallback)
            stack.extend(reversed(inner))
        return found

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """For a function step: call the function itself (so it stays testable); UsageError otherwise."""
        node = self._node
        if isinstance(node, LeafNode) and node.kind == "function" and callable(node.target):
            return node.target(*args, **kwargs)
        raise UsageError(
            f"Only a function step can be called directly; {self.name!r} is a {self.kind} "
            "step: run it with .run(state) or .run_sync(state)."
        )

    def to_dict(self) -> dict[str, Any]:
        """The definition as data, in the form :func:`~llmkit.workflow.load` reads."""
        from llmkit.workflow import _dump

        return _dump.definition(self._node)

    def dump(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        format: Literal["yaml", "json"] | None = None,
    ) -> str:
        """The definition as YAML (or JSON) text; written to ``path`` when given (format from its suffix)."""
        from llmkit.workflow import _dump

        return _dump.dump(self._node, path, format=format)

    def registry(self) -> dict[str, object]:
        """The names the definition refers to: what ``load(dump(...), registry=...)`` needs."""
        from llmkit.workflow import _dump

        return _dump.registry(self._node)

    def __repr__(self) -> str:
        return f"<Workflow {self.kind} {self.name!r}>"
