"""``llmkit.batch``: many runs of an agent, a workflow or a function over a list of inputs.

::

    import llmkit

    results = await llmkit.batch(agent, questions, concurrency=50, results="answers.jsonl")
    results.outputs        # one per input, in input order (None where an item failed)
    results.usage, results.cost, results.failed
    for item in results.errors:
        print(item.index, item.error)

What always holds:

- outcomes come back in input order, one per input, whatever order the items finish in;
- at most ``concurrency`` items run at once (and no more workers start than there are items
  to run); a plain (not async) function runs in a thread of a pool of ``concurrency``
  threads, its context copied, so it does not block the event loop; each is a :class:`~llmkit.workflow._batch_item.BatchItem`
  submitted to the executor (in process by default), so the same code runs on Ray, where the
  target and the options are shipped once per batch (each item's bytes hold its input);
- an item's error is kept in its outcome (type, message without secrets) and the other items
  go on, unless ``fail_fast=True``: then the first error is raised and the items in flight are
  cancelled; an item whose worker died past the executor's retries (``WorkerDiedError``) is
  such an item error too; any other failure of the executor stops the batch;
- with ``results=path`` every finished item is written to the file as it finishes (see
  :mod:`~llmkit.workflow._batch_file`); running the same batch again with the same file skips
  the items that succeeded and runs the rest; a file written for other inputs is refused
  before anything runs; resumed outputs of an agent with an output type are validated again
  into that type;
- ``usage`` and ``cost`` are summed once, in time linear in the items, and kept;
- the batch leaves no task behind: when it is cancelled or fails fast, the items in flight are
  cancelled and awaited, and the lines of the items that finished stay in the results file;
- an executor the caller passes is started (``start()`` is idempotent) but not closed: the
  caller owns it.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, overload

from llmkit._sync import run_sync
from llmkit.errors import LLMKitError, UsageError
from llmkit.types import Usage
from llmkit.workflow._batch_file import KeyFunction, ResultsFile
from llmkit.workflow._batch_item import THREADS, BatchItem, ItemError, ItemOutcome, is_async
from llmkit.workflow._batch_progress import ProgressCallback, Tally, display_for
from llmkit.workflow._executor import Executor, InProcessExecutor, WorkerDiedError

__all__ = ["BatchResult", "batch", "batch_sync"]


class BatchResult(Sequence[ItemOutcome]):
    """The outcomes of a batch in input order (a sequence), with totals."""

    __slots__ = ("_items", "_usage", "duration")

    def __init__(self, items: list[ItemOutcome], *, duration: float = 0.0) -> None:
        self._items = items
        self._usage: Usage | None = None
        self.duration = duration
        """Seconds the batch took (resumed items took none)."""

    @overload
    def __getitem__(self, index: int) -> ItemOutcome: ...
    @overload
    def __getitem__(self, index: slice) -> list[ItemOutcome]: ...
    def __getitem__(self, index: int | slice) -> ItemOutcome | list[ItemOutcome]:
        """The outcome of the ``index``-th input (a list for a slice)."""
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[ItemOutcome]:
        return iter(self._items)

    @property
    def outputs(self) -> list[Any]:
        """The output of every item in input order; None where an item failed."""
        return [item.output for item in self._items]

    @property
    def errors(self) -> list[ItemOutcome]:
        """The items that failed, in input order."""
        return [item for item in self._items if item.error is not None]

    @property
    def failed(self) -> int:
        """How many items failed."""
        return sum(item.error is not None for item in self._items)

    @property
    def resumed(self) -> int:
        """How many items were read back from the results file instead of run."""
        return sum(item.resumed for item in self._items)

    @property
    def ok(self) -> bool:
        """True when every item succeeded."""
        return all(item.error is None for item in self._items)

    @property
    def usage(self) -> Usage:
        """The usage of every item added up (summed at the first read, then kept).

        Summed with :meth:`Usage.sum`: the cost is what adding the items' usages one by one
        gives, unknown when an item that used something has an unknown cost, and a price
        left to look up is looked up when the cost is first read.
        """
        if self._usage is None:
            self._usage = Usage.sum(item.usage for item in self._items)
        return self._usage

    @property
    def cost(self) -> float | None:
        """The cost of every item in USD (None when some item's price is unknown)."""
        return self.usage.cost

    def __repr__(self) -> str:
        return f"BatchResult({len(self._items)} items, {self.failed} failed)"


def _check(
    target: Any,
    concurrency: Any,
    options: Mapping[str, Any] | None,
    executor: Any,
    progress: Any,
    results: Any,
    key: Any,
) -> None:
    from llmkit.agent import Agent
    from llmkit.workflow._workflow import Workflow

    if not isinstance(target, Agent | Workflow) and not callable(target):
        raise UsageError(
            f"batch() runs an Agent, a Workflow or a function of one input, not a "
            f"{type(target).__name__}: pass one of those as the target."
        )
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise UsageError(
            f"concurrency must be a whole number of at least 1 (items run at once), "
            f"not {concurrency!r}."
        )
    if options is not None and not isinstance(options, Mapping):
        raise UsageError(
            f"options must be a dict of run options (timeout=, deps= ...), "
            f"not a {type(options).__name__}."
        )
    if executor is not None and not isinstance(executor, Executor):
        raise UsageError(
            f"executor must be an Executor (llmkit.InProcessExecutor(), a RayExecutor ...) or "
            f"None for this process, not {executor!r}."
        )
    if progress is not None and not isinstance(progress, bool) and not callable(progress):
        raise UsageError(
            f"progress takes True (a display on stderr), False (none), None (live on a "
            f"terminal only) or a function called with each BatchProgress, not {progress!r}."
        )
    if results is not None and not isinstance(results, str | os.PathLike):
        raise UsageError(
            f"results must be the path of a JSONL results file (a str or a Path), not {results!r}."
        )
    if key is not None and not callable(key):
        raise UsageError(f"key must be a function giving each input a stable string, not {key!r}.")


async def batch(
    target: Any,
    inputs: Iterable[Any],
    *,
    concurrency: int = 8,
    executor: Executor | None = None,
    progress: ProgressCallback | bool | None = None,
    fail_fast: bool = False,
    results: str | os.PathLike[str] | None = None,
    options: Mapping[str, Any] | None = None,
    key: KeyFunction | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> BatchResult:
    """Run ``target`` once per input, ``concurrency`` at a time; the outcomes in input order.

    ``target`` is an :class:`~llmkit.Agent`, a :class:`~llmkit.workflow.Workflow` or a
    function of one input (async or not); ``options`` go to every run as keywords
    (``{"timeout": 30}``). ``executor`` is where items run (default: this process).
    ``progress``: a function called with a :class:`BatchProgress` after each item; ``True``
    for a display on stderr (live on a terminal, a line per item elsewhere); ``None`` (the
    default) for the live display on a terminal only; ``False`` for none. ``fail_fast``
    raises the first item error and cancels the rest; otherwise errors are kept in the
    outcomes. ``results`` is a JSONL file written as items finish; a batch run again with
    it skips the items that succeeded; its inputs need a JSON form, or ``key``, a function
    giving each input a stable string. ``clock`` paces the results file's fsyncs.
    """
    _check(target, concurrency, options, executor, progress, results, key)
    items = list(inputs)
    run_options = dict(options or {})
    file = None
    if results is not None:
        file = ResultsFile(results, items, clock=clock, key=key, revive=_reviver(target))
    display = display_for(progress) if not callable(progress) else None
    report: ProgressCallback | None = progress if callable(progress) else display
    chosen = executor if executor is not None else InProcessExecutor()
    started = time.perf_counter()
    outcomes: list[ItemOutcome | None] = [None] * len(items)
    tally = Tally(len(items)) if report is not None else None
    try:
        if file is not None:
            for index, outcome in sorted(file.done.items()):
                outcomes[index] = outcome
                if tally is not None and report is not None:
                    report(tally.add(outcome))
        left = [i for i, found in enumerate(outcomes) if found is None]
        todo = iter(left)
        workers = min(concurrency, len(left))

        def finished(outcome: ItemOutcome) -> None:
            outcomes[outcome.index] = outcome
            if file is not None:
                file.write(outcome)
            if tally is not None and report is not None:
                report(tally.add(outcome))
            if fail_fast and outcome.error is not None:
                raise _failure(outcome)

        await chosen.start()
        threads = None
        if workers and not chosen.remote and _plain_function(target):
            threads = ThreadPoolExecutor(workers, thread_name_prefix="llmkit-batch")
        token = THREADS.set(threads)
        try:
            await _drive(chosen, target, items, run_options, todo, workers, finished)
        finally:
            THREADS.reset(token)
            if threads is not None:
                threads.shutdown(wait=False, cancel_futures=True)
            if executor is None:
                await chosen.aclose()
    finally:
        if file is not None:
            file.close()
        if display is not None:
            display.close()
    return BatchResult(_complete(outcomes), duration=time.perf_counter() - started)


def _complete(outcomes: list[ItemOutcome | None]) -> list[ItemOutcome]:
    """The outcomes, every slot filled: a missing one is an executor's bug, never skipped."""
    done: list[ItemOutcome] = []
    for index, outcome in enumerate(outcomes):
        if outcome is None:
            raise LLMKitError(
                f"Item {index} of the batch has no outcome: the executor returned without "
                "running it. Report this as a bug of the executor."
            )
        done.append(outcome)
    return done


def _plain_function(target: Any) -> bool:
    """True when ``target`` is a function that is not async (it runs in a thread)."""
    from llmkit.agent import Agent
    from llmkit.workflow._workflow import Workflow

    return not isinstance(target, Agent | Workflow) and not is_async(target)


def _reviver(target: Any) -> Callable[[Any], Any] | None:
    """How to turn a resumed output back into ``target``'s output type (None: keep the JSON)."""
    from llmkit.agent import Agent

    if not isinstance(target, Agent) or target.output_type is str:
        return None
    from llmkit.output import OutputSpec

    return OutputSpec(target.output_type).from_json


def _failure(outcome: ItemOutcome) -> BaseException:
    if outcome.exception is not None:
        return outcome.exception
    return LLMKitError(f"Item {outcome.index} of the batch failed: {outcome.error}")


async def _drive(
    executor: Executor,
    target: Any,
    items: list[Any],
    options: Mapping[str, Any],
    todo: Iterator[int],
    concurrency: int,
    finished: Callable[[ItemOutcome], None],
) -> None:
    """Run the items ``todo`` names with ``concurrency`` workers sharing the iterator.

    The first error a worker meets (``finished`` raising under fail-fast, the executor
    failing, the results file refusing a write) stops every worker and is raised here.
    """
    tasks: list[asyncio.Task[None]] = []
    stopped: list[BaseException] = []
    key = uuid.uuid4().hex  # the items' shared target and options are this batch's alone

    async def worker() -> None:
        try:
            for index in todo:  # each worker takes the next index; the iterator is shared
                unit = BatchItem(target, items[index], index, options, batch=key)
                try:
                    outcome = await executor.submit(unit)
                except WorkerDiedError as exc:  # that item's failure, not the batch's
                    outcome = ItemOutcome(index, unit.input, error=ItemError.of(exc), exception=exc)
                finished(outcome)
        except Exception as exc:
            stopped.append(exc)
            me = asyncio.current_task()
            for task in tasks:
                if task is not me:
                    task.cancel()

    async with asyncio.TaskGroup() as group:
        tasks.extend(group.create_task(worker()) for _ in range(concurrency))
    if stopped:
        raise stopped[0]


def batch_sync(
    target: Any,
    inputs: Iterable[Any],
    *,
    concurrency: int = 8,
    executor: Executor | None = None,
    progress: ProgressCallback | bool | None = None,
    fail_fast: bool = False,
    results: str | os.PathLike[str] | None = None,
    options: Mapping[str, Any] | None = None,
    key: KeyFunction | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> BatchResult:
    """Blocking twin of :func:`batch`; also works inside a running event loop (Jupyter)."""
    return run_sync(
        batch(
            target,
            inputs,
            concurrency=concurrency,
            executor=executor,
            progress=progress,
            fail_fast=fail_fast,
            results=results,
            options=options,
            key=key,
            clock=clock,
        )
    )
