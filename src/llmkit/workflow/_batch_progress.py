"""Progress of a batch: a snapshot after each item, and the displays that show it.

``batch(progress=...)`` takes a function, which gets a :class:`BatchProgress` after every
finished item, or ``True`` / ``None`` for a display on stderr:

- on a terminal, a live line (rich, from ``llmkit[workflow]``, when installed; a plain line
  rewritten in place otherwise): items done of all, failed, tokens, cost;
- elsewhere (``progress=True`` only: pipes, logs, CI), one line per finished item.

Guarantees: a display only reads the snapshots (it never changes the batch); rich is
imported only on a terminal; nothing is computed for progress when nobody shows it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from llmkit._plural import plural
from llmkit.types import Usage
from llmkit.workflow._batch_item import ItemOutcome

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

__all__ = ["BatchProgress", "ProgressCallback", "Tally", "display_for"]


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """Where a batch stands after an item finished."""

    total: int
    """Items in the batch (resumed ones included)."""
    done: int
    """Items finished, failed and resumed ones included."""
    failed: int
    """Items that failed."""
    resumed: int
    """Items read back from the results file instead of run."""
    tokens: int
    """Tokens used so far (input plus output)."""
    cost: float | None
    """US dollars so far; None while an item's cost is unknown."""
    outcome: ItemOutcome | None
    """The item that just finished (None for the snapshot taken before any runs)."""


ProgressCallback = Callable[[BatchProgress], None]
"""What ``batch(progress=...)`` calls after each finished item."""


class Tally:
    """The running counts a :class:`BatchProgress` is taken from."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.resumed = 0
        # Starts at a known cost of 0: items that used nothing leave it known.
        self.usage = Usage(cost=0.0)
        """The items' usages added up so far (the cost rules of ``+``)."""

    def add(self, outcome: ItemOutcome) -> BatchProgress:
        """Count ``outcome``; the snapshot after it."""
        self.done += 1
        self.failed += outcome.error is not None
        self.resumed += outcome.resumed
        # The running total's cost is read at every snapshot, so it is never a deferred
        # sum: adding one more usage costs the same however many came before.
        self.usage = self.usage + outcome.usage
        return self.snapshot(outcome)

    @property
    def tokens(self) -> int:
        """Input plus output tokens so far."""
        return self.usage.total_tokens

    @property
    def cost(self) -> float | None:
        """US dollars so far; None once an item that used something has an unknown cost."""
        return self.usage.cost

    def snapshot(self, outcome: ItemOutcome | None = None) -> BatchProgress:
        """The counts as they are."""
        return BatchProgress(
            self.total, self.done, self.failed, self.resumed, self.tokens, self.cost, outcome
        )


def _counts(progress: BatchProgress) -> str:
    parts = [f"{progress.done}/{progress.total} done"]
    if progress.failed:
        parts.append(f"{progress.failed} failed")
    if progress.resumed:
        parts.append(f"{progress.resumed} resumed")
    parts.append(plural(progress.tokens, "token"))
    if progress.cost is not None and progress.tokens:
        parts.append(f"${progress.cost:.4f}")
    return ", ".join(parts)


class LineProgress:
    """One line per finished item on a stream that is not a terminal."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out

    def __call__(self, progress: BatchProgress) -> None:
        """Write the line of the item that finished."""
        item = progress.outcome
        if item is None:
            return
        status = (
            "resumed" if item.resumed else "ok" if item.error is None else f"failed: {item.error}"
        )
        self._out.write(f"[{progress.done}/{progress.total}] item {item.index} {status}\n")
        self._out.flush()

    def close(self) -> None:
        """Nothing to finish."""


class TerminalProgress:
    """One line rewritten in place on a terminal (no rich needed)."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out

    def __call__(self, progress: BatchProgress) -> None:
        """Redraw the line."""
        self._out.write(f"\r\x1b[2Kbatch: {_counts(progress)}")
        self._out.flush()

    def close(self) -> None:
        """End the line."""
        self._out.write("\n")
        self._out.flush()


class RichProgress:
    """A rich progress bar with the counts beside it (the final frame stays)."""

    def __init__(self, out: IO[str]) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar: Progress = Progress(
            TextColumn("batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=Console(file=out),
        )
        self._task: TaskID | None = None
        self._bar.start()

    def __call__(self, progress: BatchProgress) -> None:
        """Move the bar."""
        counts = _counts(progress).split(", ", 1)[-1] if progress.total else ""
        if self._task is None:
            self._task = self._bar.add_task("batch", total=progress.total, counts=counts)
        self._bar.update(self._task, completed=progress.done, counts=counts)

    def close(self) -> None:
        """Draw the final frame and stop."""
        self._bar.stop()


def display_for(progress: Any, stream: IO[str] | None = None) -> Any:
    """The display ``batch(progress=...)`` asks for: a callable with ``close()``, or None.

    ``None``: live on a terminal, nothing elsewhere; ``True``: live on a terminal, one line
    per item elsewhere; ``False``: nothing.
    """
    if progress is False:
        return None
    out = stream if stream is not None else sys.stderr
    tty = bool(getattr(out, "isatty", lambda: False)())
    if not tty:
        return LineProgress(out) if progress is True else None
    try:
        return RichProgress(out)
    except ImportError:
        return TerminalProgress(out)
