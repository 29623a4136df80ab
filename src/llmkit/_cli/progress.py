"""Progress of a workflow run on stderr: a live tree of steps (rich), or one plain line per event.

``llmkit workflow run`` feeds every event of ``flow.stream()`` to one :class:`Progress`:

- :class:`LiveProgress` (needs rich, from ``llmkit[workflow]``) keeps a tree of step paths
  on screen: a spinner while a step runs, ``✓`` ok, ``✗`` failed, ``↻ retrying n/N``,
  a dash skipped; its elapsed time (from the run clock), its tokens, and the last 40
  characters an agent step wrote while it runs. The final frame stays on screen.
- :class:`PlainProgress` writes one line per workflow event, no colour, no cursor movement
  (for pipes, logs, CI): ``  1.21s ok      article/researcher  (1 attempt, 312 tokens)``.

Guarantees: a renderer only reads events (it never changes the run); times come from the
injected clock (seconds since the renderer was made), never from the events' order alone;
rich is imported only by :class:`LiveProgress`, so the plain renderer works without it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol

from llmkit._plural import plural
from llmkit.events import (
    Event,
    TextDelta,
    WorkflowEnd,
    WorkflowStart,
    WorkflowStepEnd,
    WorkflowStepRetry,
    WorkflowStepStart,
)

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

__all__ = [
    "HINT",
    "LiveProgress",
    "PlainProgress",
    "Progress",
    "ProgressMode",
    "QuietProgress",
    "attempt_limits",
    "static_path",
]

ProgressMode = Literal["auto", "live", "plain", "off"]
"""How progress is shown: ``live`` tree, ``plain`` lines, ``off``, or ``auto`` (live on a TTY)."""

HINT = "(install llmkit[workflow] for live progress)"
"""The line printed once on a terminal when rich is missing."""

_INDEX = re.compile(r"\[\d+\]")
_TRAILING_INDEX = re.compile(r"\[\d+\]$")
_TEXT_TAIL = 40


def static_path(path: str) -> str:
    """``path`` without its indices (``a/reviews[1]/b`` is ``a/reviews/b``): one key per node."""
    return _INDEX.sub("", path)


def attempt_limits(root: Any) -> dict[str, int]:
    """The attempts each retried leaf of ``root`` may make, by :func:`static_path`.

    A leaf retries with its own ``retry=`` or the nearest enclosing combinator's; the leaves
    inside a nested workflow do not take the retry of the step around it (that step retries
    the whole sub-flow).
    """
    from llmkit.workflow._spec import LeafNode, Node

    limits: dict[str, int] = {}
    stack: list[tuple[Node, str, Any]] = [(root, root.name, None)]
    while stack:
        node, path, inherited = stack.pop()
        retry = node.policy.retry or inherited
        if isinstance(node, LeafNode):
            if retry is not None:
                limits[path] = retry.attempts
            if isinstance(node.target, Node):
                stack.append((node.target, path, None))  # the inner root runs at this path
        else:
            stack.extend((child, f"{path}/{child.name}", retry) for child in node.children())
        if node.policy.fallback is not None:
            stack.append((node.policy.fallback, f"{path}/fallback", inherited))
    return limits


class Progress(Protocol):
    """What ``llmkit workflow run`` feeds: every event of the run, then ``close()``."""

    def event(self, event: Event) -> None:
        """Take one event of the run."""
        ...

    def close(self) -> None:
        """The run ended (or stopped): show the final state."""
        ...

    def running(self) -> list[str]:
        """The paths of the steps running now (where a stopped run stopped)."""
        ...


@dataclass(slots=True)
class _Row:
    """One step path as the renderers know it."""

    path: str
    label: str
    kind: str
    started: float
    status: str = "running"
    attempt: int = 1
    attempts: int = 1
    duration: float | None = None
    tokens: int = 0
    text: str = ""
    reason: str = ""
    children: list[_Row] = field(default_factory=list)


class _Steps:
    """The rows of a run by path, each under the nearest step whose path contains it."""

    def __init__(self, clock: Callable[[], float], limits: Mapping[str, int]) -> None:
        self.clock = clock
        self.start = clock()
        self.limits = limits
        self.rows: dict[str, _Row] = {}
        self.top: list[_Row] = []
        self.name = ""
        self.status = ""

    def elapsed(self) -> float:
        return self.clock() - self.start

    def parent(self, path: str) -> _Row | None:
        candidate = path
        while "/" in candidate:
            candidate = candidate.rsplit("/", 1)[0]
            for key in (candidate, _TRAILING_INDEX.sub("", candidate)):
                row = self.rows.get(key)
                if row is not None:
                    return row
        return None

    def limit(self, path: str) -> int | None:
        return self.limits.get(static_path(path))

    def take(self, event: Event) -> _Row | None:
        """Update the rows with ``event``; the row it concerns, if any."""
        path = event.path
        if isinstance(event, WorkflowStepStart):
            row = self.rows.get(path)
            if row is None:
                parent = self.parent(path)
                label = path[len(parent.path) :].lstrip("/") if parent is not None else path
                row = _Row(path, label, event.kind, self.elapsed())
                self.rows[path] = row
                (parent.children if parent is not None else self.top).append(row)
            elif event.attempt == 1 and row.status != "running":
                row.started = self.elapsed()  # a loop iteration or a nested root at this path
            if row.status != "retrying":
                row.status = "running"
            row.attempt = event.attempt
            return row
        row = self.rows.get(path)
        if isinstance(event, WorkflowStepRetry) and row is not None:
            row.status = "retrying"
            row.attempt = event.attempt + 1
            return row
        if isinstance(event, WorkflowStepEnd) and row is not None:
            row.status = event.status
            row.attempts = event.attempts
            row.duration = event.duration
            row.tokens = event.usage.total_tokens
            row.reason = event.reason
            row.text = ""
            return row
        if isinstance(event, TextDelta) and row is not None and row.status != "ok":
            row.text = (row.text + event.text)[-_TEXT_TAIL:]
            return row
        if isinstance(event, WorkflowStart):
            if not self.name:
                self.start = self.clock()  # times count from the run's start
            self.name = self.name or event.workflow
        elif isinstance(event, WorkflowEnd):
            self.status = event.status
        return None

    def running(self) -> list[str]:
        return [
            path
            for path, row in self.rows.items()
            if row.status in ("running", "retrying") and not _has_running_child(row)
        ]


def _has_running_child(row: _Row) -> bool:
    return any(child.status in ("running", "retrying") for child in row.children)


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class QuietProgress:
    """Shows nothing (``--progress off``); still knows which steps run, to say where a stop hit."""

    def __init__(self, *, limits: Mapping[str, int] | None = None) -> None:
        self._steps = _Steps(time.perf_counter, limits or {})

    def event(self, event: Event) -> None:
        """Note ``event``; write nothing."""
        self._steps.take(event)

    def close(self) -> None:
        """Nothing to finish."""

    def running(self) -> list[str]:
        """The paths of the steps running now."""
        return self._steps.running()


class PlainProgress:
    """One line per workflow event on ``out``: elapsed seconds, what happened, the step's path."""

    def __init__(
        self,
        out: IO[str],
        *,
        clock: Callable[[], float] = time.perf_counter,
        limits: Mapping[str, int] | None = None,
    ) -> None:
        self._out = out
        self._steps = _Steps(clock, limits or {})

    def _write(self, word: str, path: str, rest: str = "") -> None:
        line = f"{self._steps.elapsed():6.2f}s {word:<7} {path}{rest}"
        self._out.write(line + "\n")
        self._out.flush()

    def event(self, event: Event) -> None:
        """Write the line of ``event`` (agent events are left out: they are many and small)."""
        self._steps.take(event)
        if isinstance(event, WorkflowStepStart):
            again = f"  attempt {event.attempt}" if event.attempt > 1 else ""
            self._write("start", event.path, again)
        elif isinstance(event, WorkflowStepRetry):
            self._write(
                "retry",
                event.path,
                f"  attempt {event.attempt} failed: {event.error_type}: "
                f"{_one_line(event.message)}; next in {event.delay:.1f}s",
            )
        elif isinstance(event, WorkflowStepEnd):
            counts = [plural(event.attempts, "attempt")]
            if event.usage.total_tokens:
                counts.append(plural(event.usage.total_tokens, "token"))
            if event.reason:
                counts.append(event.reason)
            rest = f"  ({', '.join(counts)})"
            if event.error_type:
                rest += f": {event.error_type}: {_one_line(event.message or '')}"
            self._write(event.status, event.path, rest)
        elif isinstance(event, WorkflowEnd):
            self._write("done" if event.status == "complete" else event.status, event.path)

    def close(self) -> None:
        """Nothing to finish: every line is already written."""

    def running(self) -> list[str]:
        """The paths of the steps running now."""
        return self._steps.running()


_GLYPHS = {"ok": ("✓", "green"), "failed": ("✗", "red"), "skipped": ("\u2013", "dim")}


class LiveProgress:
    """A live tree of the run's steps on a rich console (the final frame stays)."""

    def __init__(
        self,
        console: Console,
        *,
        clock: Callable[[], float] = time.perf_counter,
        limits: Mapping[str, int] | None = None,
        auto_refresh: bool = True,
    ) -> None:
        from rich.live import Live

        self._steps = _Steps(clock, limits or {})
        self._auto = auto_refresh
        self._live: Live = Live(
            console=console,
            auto_refresh=auto_refresh,
            refresh_per_second=8,
            transient=False,
            get_renderable=self.renderable,
        )
        self._live.start()

    def event(self, event: Event) -> None:
        """Update the tree with ``event`` (redrawn at the next refresh)."""
        changed = self._steps.take(event)
        if not self._auto and (changed is not None or isinstance(event, WorkflowEnd)):
            self._live.refresh()

    def close(self) -> None:
        """Draw the final frame and stop refreshing."""
        self._live.stop()

    def running(self) -> list[str]:
        """The paths of the steps running now."""
        return self._steps.running()

    def renderable(self) -> RenderableType:
        """The tree as it is now."""
        from rich.text import Text
        from rich.tree import Tree

        steps = self._steps
        tops = steps.top
        if len(tops) == 1:
            root = Tree(self._label(tops[0]))
            pending = [(root, tops[0].children)]
        else:
            root = Tree(Text(steps.name or "workflow", style="bold"))
            pending = [(root, tops)]
        while pending:
            tree, rows = pending.pop()
            for row in rows:
                pending.append((tree.add(self._label(row)), row.children))
        return root

    def _label(self, row: _Row) -> RenderableType:
        from rich.spinner import Spinner
        from rich.text import Text

        steps = self._steps
        seconds = row.duration if row.duration is not None else steps.elapsed() - row.started
        text = Text()
        text.append(row.label, style="bold" if row.kind not in ("function", "agent") else "")
        text.append(f"  {seconds:.1f}s", style="dim")
        if row.tokens:
            text.append(f"  {plural(row.tokens, 'token')}", style="dim")
        if row.attempts > 1 and row.status in _GLYPHS:
            text.append(f"  {plural(row.attempts, 'attempt')}", style="dim")
        if row.reason:
            text.append(f"  {row.reason}", style="dim")
        if row.status == "retrying":
            limit = steps.limit(row.path)
            of = f"/{limit}" if limit is not None else ""
            return Text.assemble(
                ("↻ ", "yellow"), text, (f"  retrying {row.attempt}{of}", "yellow")
            )
        glyph = _GLYPHS.get(row.status)
        if glyph is not None:
            return Text.assemble((glyph[0] + " ", glyph[1]), text)
        if row.text:
            text.append(f"  {_one_line(row.text, _TEXT_TAIL)}", style="italic")
        return Spinner("dots", text=text)
