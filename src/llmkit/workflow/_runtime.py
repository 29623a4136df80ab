"""The runtime of one workflow run: what every executor reads, and the seams it is built from.

A :class:`Runtime` is made once per run (``_runner.new_runtime``) and passed to every
executor. It holds the run's id, deps and clock, the composed hook chain (None when no hook
and no session hook exists, so no ``HookContext`` is ever built), the bus events go to (None
when nobody listens, so no event is built), the stream channel (only for ``stream()``), the
usage ledger (only with ``usage_limits``), the breaker gate, the replayer (only in a replay),
and the executor table the policy loop dispatches through (so ``_policy`` imports no
executor module).

:meth:`Runtime.scope_for` sets :data:`llmkit._scope.STEP_SCOPE` for one step attempt: agent
runs, events and hook contexts made inside read the step's path from it.

The two protocols here are the seams other modules implement: :class:`BreakerGate` (the
registry of circuit breakers) and :class:`Replayer` (a recording answering steps).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

from llmkit._ids import new_id
from llmkit._scope import STEP_SCOPE, StepScope
from llmkit.types import Usage
from llmkit.workflow._breaker import CircuitBreaker
from llmkit.workflow._result import StepFailure, StepRecord, StepStatus
from llmkit.workflow._retry import Retry
from llmkit.workflow._spec import (
    BranchNode,
    LeafNode,
    LoopNode,
    MapNode,
    Node,
    ParallelNode,
    SequenceNode,
)
from llmkit.workflow._steps import StepContext

if TYPE_CHECKING:
    from llmkit._hooks.chain import HookChain
    from llmkit.bus import Bus
    from llmkit.durable import Store
    from llmkit.events import Event
    from llmkit.run import UsageLimits
    from llmkit.workflow._checks import TreeInfo
    from llmkit.workflow._executor import Executor as UnitExecutor
    from llmkit.workflow._journal import Journal
    from llmkit.workflow._limits import UsageLedger
    from llmkit.workflow._state import Scope

__all__ = [
    "NO_DEFAULTS",
    "NO_SLEEP",
    "Attempt",
    "BreakerGate",
    "Channel",
    "Defaults",
    "Executor",
    "Replayer",
    "ResumeOptions",
    "Runtime",
    "TraceEntry",
    "WorkflowOptions",
    "flatten",
    "kind_of",
]


_KINDS: dict[type[Node], str] = {
    SequenceNode: "sequence",
    ParallelNode: "parallel",
    BranchNode: "branch",
    LoopNode: "loop",
    MapNode: "map",
}


def kind_of(node: Node) -> str:
    """The kind of ``node``: a leaf's kind, else ``"sequence"``, ``"parallel"``, ``"branch"`` …"""
    if isinstance(node, LeafNode):
        return node.kind
    return _KINDS.get(type(node), type(node).__name__)


class WorkflowOptions(TypedDict, total=False):
    """Options of one workflow run (keyword arguments of ``Workflow.run`` and its twins)."""

    deps: Any
    """Given to every agent run (as ``run(deps=...)``) and in ``StepContext.deps``."""
    usage_limits: UsageLimits | None
    """Tokens, requests and cost across every agent of the run."""
    timeout: float | None
    """Seconds the whole run may take."""
    hooks: Sequence[object]
    """Hooks around the workflow, its steps, and every agent run in it."""
    bus: Bus | None
    """Where events go; default: the active bus (``llmkit.bus()``)."""
    breakers: BreakerGate | None
    """The circuit breakers' shared state; default: the process's."""
    run_id: str
    """The run's id; default: a new uuid4 hex (a replay passes the recorded one)."""
    clock: Callable[[], float]
    """Seconds, for timings and ``max_duration``; default ``time.perf_counter`` (tests inject one)."""
    store: Store | None
    """Make the run durable: checkpoint every finished step in this store (``run_id`` names it
    there; ``Workflow.resume`` continues it after a crash)."""
    executor: UnitExecutor | None
    """Where ``parallel`` branches and ``map_each`` items run (``RayExecutor()``: on Ray);
    default: this process."""


class ResumeOptions(TypedDict, total=False):
    """Options of ``Workflow.resume``: those of a run but the store and the run id, given apart."""

    deps: Any
    usage_limits: UsageLimits | None
    timeout: float | None
    hooks: Sequence[object]
    bus: Bus | None
    breakers: BreakerGate | None
    clock: Callable[[], float]


class BreakerGate(Protocol):
    """Where a step asks its circuit breaker first: a permit, or ``CircuitOpenError``."""

    def acquire(self, breaker: CircuitBreaker) -> Any:
        """A permit for one call through ``breaker``'s circuit; raises CircuitOpenError when open."""
        ...

    def release(self, permit: Any, *, ok: bool | None) -> None:
        """The call's verdict: True succeeded, False failed (counted), None cancelled (no verdict)."""
        ...


class Replayer(Protocol):
    """A recording that answers a replayed run's steps instead of running them."""

    def agent_run(
        self, agent: Any, input: Any, *, path: str, attempt: int, deps: Any
    ) -> Awaitable[Any]:
        """The ``RunResult`` of the agent step at ``path`` on ``attempt``, replayed from the
        recording (``input`` is what the step would send: a replay checks it)."""
        ...

    def step_outcome(self, path: str, attempt: int, input: Any) -> Awaitable[Any]:
        """The recorded output of a function or Step attempt; raises its recorded error."""
        ...

    @property
    def answers_steps(self) -> bool:
        """Whether function and Step attempts are answered (False: they run again)."""
        ...


class Channel(Protocol):
    """Where a streamed run puts its events (bounded: ``put`` waits when the reader lags)."""

    async def put(self, event: Event) -> None:
        """Hand ``event`` to the reader."""
        ...


@dataclass(frozen=True, slots=True)
class Defaults:
    """What a combinator hands down to the leaves inside it: its ``retry=`` and ``breaker=``."""

    retry: Retry | None = None
    breaker: CircuitBreaker | None = None


NO_DEFAULTS = Defaults()


@dataclass(slots=True, eq=False)
class TraceEntry:
    """One node of a run as it happens; the trace is these, flattened in tree order."""

    path: str
    kind: str
    started: float
    children: list[TraceEntry] = field(default_factory=list)
    status: StepStatus | None = None
    """None while the node runs (and for a node a stop cut short)."""
    attempts: int = 0
    duration: float = 0.0
    usage: Usage = field(default_factory=Usage)
    error: StepFailure | None = None
    run_ids: list[str] = field(default_factory=list)
    reason: str = ""
    resumed: bool = False
    """Its outcome came from a durable run's checkpoint (see ``_journal``)."""

    def record(self) -> StepRecord:
        """This entry as a trace record (a node a stop cut short is ``failed``, ``"stopped"``)."""
        return StepRecord(
            path=self.path,
            kind=self.kind,
            status=self.status or "failed",
            attempts=self.attempts,
            started=self.started,
            duration=self.duration,
            usage=self.usage,
            error=self.error,
            run_ids=tuple(self.run_ids),
            reason=self.reason if self.status is not None else (self.reason or "stopped"),
            resumed=self.resumed,
        )


def flatten(entries: Sequence[TraceEntry]) -> list[StepRecord]:
    """The records of ``entries`` and their children, in pre-order."""
    out: list[StepRecord] = []
    stack = list(reversed(entries))
    while stack:
        entry = stack.pop()
        out.append(entry.record())
        stack.extend(reversed(entry.children))
    return out


@dataclass(slots=True, eq=False)
class Attempt:
    """One attempt of a node, as its executor gets it."""

    path: str
    """The node's path."""
    number: int
    """The attempt (1-based)."""
    input: Any
    """What the node reads: ``input=``'s value, else the state."""
    entry: TraceEntry
    """The node's trace entry: children append theirs to ``entry.children``."""
    defaults: Defaults
    """The retry and breaker the leaves inside get when they set none."""
    context: StepContext | None = None
    """The step's context, when one was built for hooks (executors build one when needed)."""


Executor = Callable[["Runtime", Node, "Scope", Attempt], Awaitable[Any]]
"""Runs one attempt of a node kind: ``(rt, node, scope, attempt) -> output``."""


async def _no_sleep(seconds: float) -> None:
    return None


class Runtime:
    """Everything one workflow run shares (see the module docstring); built by ``new_runtime``."""

    __slots__ = (
        "_bus",
        "agent_hooks",
        "channel",
        "clock",
        "deps",
        "errors",
        "events_on",
        "executors",
        "gate",
        "hooks",
        "journal",
        "ledger",
        "metadata",
        "name",
        "remote",
        "replayer",
        "rng",
        "run_id",
        "shared_key",
        "sleep",
        "started",
        "tool_agents",
        "tree",
    )

    def __init__(
        self,
        *,
        run_id: str,
        name: str,
        deps: Any,
        chain: HookChain | None,
        agent_hooks: tuple[object, ...],
        bus: Bus | None,
        channel: Channel | None,
        ledger: UsageLedger | None,
        gate: BreakerGate | None,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        rng: Callable[[], float],
        executors: dict[type[Node], Executor],
        replayer: Replayer | None = None,
        journal: Journal | None = None,
        remote: UnitExecutor | None = None,
    ) -> None:
        self.run_id = run_id
        """The workflow run's id."""
        self.name = name
        """The root's name."""
        self.deps = deps
        """The run's deps (None: each agent keeps its own)."""
        self.hooks = chain
        """The run's hook chain (the session's hooks included), or None when there is none."""
        self.agent_hooks = agent_hooks
        """Hooks passed to every agent run (the run's hooks, the ledger's)."""
        self._bus = bus
        self.channel = channel
        """The stream's channel, or None."""
        self.events_on = channel is not None or bus is not None
        """Whether events are built: a stream is read, or the bus has a subscriber (a plain
        attribute, read at every step: the bus and the channel are fixed for the run)."""
        self.ledger = ledger
        """The usage ledger when ``usage_limits`` is set."""
        self.gate = gate
        """The circuit breakers' registry, or None (breakers then let every call through)."""
        self.clock = clock
        self.sleep = sleep
        """What waits between retries (a no-op in a replay)."""
        self.rng = rng
        """The jitter source of retry waits."""
        self.executors = executors
        """The executor of each node kind."""
        self.replayer = replayer
        self.remote = remote
        """The executor branches and map items are submitted to when they leave the process
        (``run(executor=...)`` with a remote one), else None: they run here."""
        self.shared_key = f"{run_id}/{new_id()}" if remote is not None else run_id
        """What this run's shipped parts are filed under: new for each run, even one that
        resumes a run id, so a worker never takes a part shipped by an earlier run."""
        self.journal = journal
        """The durable run's journal (``run(store=...)``, ``resume``), or None."""
        self.metadata: dict[str, Any] = {}
        """Free-form data of the run, shared by its steps and hook contexts."""
        self.errors: list[StepFailure] = []
        """Failures the run went on after."""
        self.started = clock()
        self.tool_agents: dict[int, Any] = {}
        """The model-free agent of each tool leaf, made on first use."""
        self.tree: TreeInfo | None = None
        """What the checks learnt of the tree (which nodes write), once the root is checked."""

    def now(self) -> float:
        """Seconds since the run started, by the run's clock."""
        return self.clock() - self.started

    async def emit(self, event: Event) -> None:
        """Publish ``event`` on the bus and hand it to the stream (only call when ``events_on``)."""
        if self._bus is not None:
            self._bus.publish(event)
        if self.channel is not None:
            await self.channel.put(event)

    async def forward(self, event: Event) -> None:
        """Hand an agent's event to the stream (the agent published it itself)."""
        if self.channel is not None:
            await self.channel.put(event)

    @contextmanager
    def scope_for(self, path: str, attempt: int) -> Iterator[None]:
        """Run the block as attempt ``attempt`` of the step at ``path`` (sets ``STEP_SCOPE``)."""
        token = STEP_SCOPE.set(StepScope(self.run_id, path, attempt))
        try:
            yield
        finally:
            STEP_SCOPE.reset(token)


def default_clock() -> Callable[[], float]:
    """The clock a run uses when none is given."""
    return time.perf_counter


NO_SLEEP = _no_sleep
"""A sleep that does not wait (replays)."""
