"""The run service: served agents and workflows, their runs per tenant, live events, approvals, sessions.

Transport-neutral: the HTTP app and JSON-RPC call the same methods with a
*tenant*, an opaque string naming who asks (:func:`tenant_for` makes one from
a bearer token without keeping the token). Guarantees:

- **Tenants are apart.** Runs are keyed by ``(tenant, run id)`` and sessions
  are stored under the tenant: another tenant's run or session id raises
  :class:`~llmkit.serve.UnknownRunError` / ``UnknownSessionError``, the same
  as an id that never existed, and :meth:`RunService.runs` and
  :meth:`RunService.list_sessions` list the caller's own only
  (:mod:`llmkit.serve._listing`).
- **A run outlives its caller.** Runs are tasks of the service: a caller that
  stops waiting or reading leaves the run going (unless the disconnect policy
  is ``"cancel"``, see :meth:`RunService.disconnected`); its result stays
  readable with :meth:`RunService.get` until the service forgets the oldest
  finished runs past ``keep_runs``.
- **Events are numbered** from 1 per run and kept in a bounded buffer
  (:class:`~llmkit.serve._eventlog.EventLog`), so a reader resumes after the
  last id it saw. They are the run's event vocabulary as JSON
  (``llmkit.events.event_to_dict``), tool tracebacks left out, each with
  ``"time"``: the service's clock when the event was recorded.
- **Concurrency is bounded** by ``max_runs``: over it a new run is refused
  with :class:`~llmkit.serve.TooManyRunsError` (``when_full="reject"``) or
  waits its turn with status ``queued`` (``when_full="queue"``).
- **Nothing is lost.** A failed run keeps its error (type and message, no
  traceback) and its events; a paused run keeps its pending calls until they
  are decided (:meth:`RunService.approve` resumes it with ``Agent.resume``,
  from the store when one is configured); a session gets a run's turns only
  when the run finishes, as with ``agent.run(..., session=...)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from llmkit.agent import Agent
from llmkit.bus import Bus, use_bus
from llmkit.errors import UsageError
from llmkit.events import ErrorEvent, Event, RunEnd, WorkflowEnd
from llmkit.serve._errors import (
    RunStateError,
    TooManyRunsError,
    UnknownRunError,
    UnknownSessionError,
    UnknownTargetError,
)
from llmkit.serve._listing import RunPage, page_of_runs, tenant_sessions
from llmkit.serve._run import ServedRun
from llmkit.types import Message
from llmkit.workflow import Workflow

if TYPE_CHECKING:
    from llmkit.durable import Session, SessionInfo, Store

__all__ = ["OnDisconnect", "RunService", "Target", "WhenFull", "tenant_for"]

Target: TypeAlias = "Agent[Any] | Workflow"
"""What a service serves: an agent or a workflow, by its name."""
WhenFull: TypeAlias = Literal["reject", "queue"]
"""What a new run does when ``max_runs`` runs are going: refused (429), or queued."""
OnDisconnect: TypeAlias = Literal["continue", "cancel"]
"""What happens to a run whose caller goes away before its end."""

_MAX_ID = 200


def tenant_for(token: str) -> str:
    """The tenant a bearer token stands for: a digest, so the token itself is never kept."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:32]


class RunService:
    """Runs of served agents and workflows for many tenants; see the module's guarantees.

    Args:
        targets: The agents and workflows to serve, each under its ``name`` (unique).
        store: A :class:`~llmkit.durable.Store` for sessions and checkpoints of runs
            (``Agent.run(..., store=...)``); default: sessions in a ``MemoryStore``.
        max_runs: Most runs going at once (None: no limit).
        when_full: ``"reject"`` (default) or ``"queue"`` a run over ``max_runs``.
        on_disconnect: ``"continue"`` (default) or ``"cancel"`` a run whose caller left.
        run_timeout: Seconds an agent run may take (None: the agent's own timeout).
        event_limit: Events kept per run for readers that resume.
        keep_runs: Finished runs kept for reading; the oldest are forgotten past it.
        clock: Seconds since the epoch, for a run's ``created`` and ``ended`` and the
            ``"time"`` of its events (tests inject one).
    """

    def __init__(
        self,
        *targets: Target,
        store: Store | None = None,
        max_runs: int | None = None,
        when_full: WhenFull = "reject",
        on_disconnect: OnDisconnect = "continue",
        run_timeout: float | None = None,
        event_limit: int = 10_000,
        keep_runs: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._targets = _by_name(targets)
        _check_options(max_runs, when_full, on_disconnect, run_timeout, keep_runs)
        self._store = store
        self._sessions: Store | None = store
        self._max_runs = max_runs
        self._when_full: WhenFull = when_full
        self.on_disconnect: OnDisconnect = on_disconnect
        self._run_timeout = run_timeout
        self._event_limit = event_limit
        self._keep_runs = keep_runs
        self._clock = clock
        self._runs: OrderedDict[tuple[str, str], ServedRun] = OrderedDict()
        self._started = 0
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._slots: asyncio.Semaphore | None = None

    # ------------------------------------------------------------------ targets

    @property
    def names(self) -> list[str]:
        """The names of the served agents and workflows, in the order given."""
        return list(self._targets)

    def target(self, name: object) -> Target:
        """The agent or workflow served as ``name``; :class:`UnknownTargetError` otherwise."""
        found = self._targets.get(name) if isinstance(name, str) else None
        if found is None:
            served = ", ".join(repr(n) for n in self._targets)
            raise UnknownTargetError(
                f"No agent or workflow is served as {name!r}; the served names are: {served}."
            )
        return found

    # --------------------------------------------------------------------- runs

    @property
    def active(self) -> int:
        """How many runs are queued or going."""
        return len(self._tasks)

    async def start(
        self,
        tenant: str,
        target: str,
        user_input: Any = None,
        *,
        session: str | None = None,
        message_history: Sequence[Message] | None = None,
        wait: bool = False,
    ) -> ServedRun:
        """Start a run of ``target`` on ``user_input`` (a workflow: its state) for ``tenant``.

        ``session`` continues the tenant's stored conversation of that id (agents only);
        ``message_history`` is a conversation to continue instead. With ``wait`` the call
        returns once the run is complete, paused, failed or cancelled; a caller that stops
        waiting leaves the run going. Raises :class:`TooManyRunsError` when full and
        configured to refuse.
        """
        found = self.target(target)
        if session is not None:
            _check_id(session, "session")
            if not isinstance(found, Agent):
                raise UsageError(f"{target!r} is a workflow; sessions are for agents.")
            if message_history is not None:
                raise UsageError("Pass a session or a message history, not both.")
        if isinstance(found, Workflow) and message_history is not None:
            raise UsageError(f"{target!r} is a workflow: give it a state, not messages.")
        full = self._max_runs is not None and self.active >= self._max_runs
        if full and self._when_full == "reject":
            raise TooManyRunsError(
                f"{self._max_runs} runs are going, the most this server runs at once; "
                "try again shortly."
            )
        self._started += 1
        run = ServedRun(
            run_id=f"run_{uuid.uuid4().hex}",
            tenant=tenant,
            target=target,
            kind="agent" if isinstance(found, Agent) else "workflow",
            session=session,
            created=self._clock(),
            event_limit=self._event_limit,
            number=self._started,
            clock=self._clock,
        )
        self._keep(run)
        if isinstance(found, Agent):
            drive = self._drive_agent(run, found, user_input, message_history)
        else:
            drive = self._drive_workflow(run, found, user_input)
        self._launch(run, drive)
        if wait:
            await run.settled()
        return run

    def get(self, tenant: str, run_id: object) -> ServedRun:
        """The tenant's run ``run_id``; :class:`UnknownRunError` for any other id."""
        run = self._runs.get((tenant, run_id)) if isinstance(run_id, str) else None
        if run is None:
            raise UnknownRunError(
                f"No run {run_id!r} for this token; start one with POST /v1/runs "
                "(runs are kept per token)."
            )
        return run

    def runs(self, tenant: str, *, limit: int = 20, after: str | None = None) -> RunPage:
        """The tenant's runs that the service still keeps, newest first, ``limit`` a page.

        ``after`` is the ``next`` cursor of the page before (None for the first page).
        """
        return page_of_runs(reversed(self._runs.values()), tenant, limit=limit, after=after)

    def events(
        self, tenant: str, run_id: str, *, after: int = 0
    ) -> AsyncIterator[tuple[int, dict[str, Any]]]:
        """The run's events after id ``after``, kept ones first, then live until the run ends
        (or pauses and is resumed and ends)."""
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise UsageError(
                f"An event id to resume after is an integer of 0 or more, not {after!r}."
            )
        return self.get(tenant, run_id).events.follow(after=after)

    async def approve(
        self,
        tenant: str,
        run_id: str,
        decisions: Mapping[str, bool | dict[str, Any]],
        *,
        wait: bool = False,
    ) -> ServedRun:
        """Decide every pending call of a paused agent run (True, False, or edited arguments);
        the run resumes. With ``wait``, returns once it is over or paused again."""
        run = self.get(tenant, run_id)
        if run.status != "paused":
            raise RunStateError(
                f"Run {run_id!r} is {run.status}, not paused: it waits for no approval."
            )
        pending = {call.id for call in run.result.pending}
        _check_decisions(decisions, pending)
        agent = self.target(run.target)
        if not isinstance(agent, Agent):
            raise RunStateError(f"Run {run_id!r} is a workflow run; only agent runs pause.")
        run.running()
        self._launch(run, self._drive_resume(run, agent, dict(decisions)))
        if wait:
            await run.settled()
        return run

    async def cancel(self, tenant: str, run_id: str) -> ServedRun:
        """Cancel the tenant's run; a paused run is cancelled too. Its events and any result stay."""
        run = self.get(tenant, run_id)
        if run.over:
            raise RunStateError(f"Run {run_id!r} is already {run.status}; nothing to cancel.")
        task = self._tasks.get(run.id)
        if task is None:
            run.cancelled()
            return run
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(run.settled())
        return run

    def disconnected(self, tenant: str, run_id: str) -> None:
        """The run's caller went away before its end: apply the ``on_disconnect`` policy.

        Not a coroutine, so a transport can call it while its own task is being cancelled;
        with ``"cancel"`` the run is cancelled in the background (see :meth:`cancel`).
        """
        run = self._runs.get((tenant, run_id))
        if run is None or run.over or self.on_disconnect != "cancel":
            return
        task = self._tasks.get(run.id)
        if task is None:
            run.cancelled()
        else:
            task.cancel()

    # ----------------------------------------------------------------- sessions

    def session(self, tenant: str, session_id: str) -> Session:
        """The tenant's session ``session_id`` (stored under the tenant; no I/O yet)."""
        _check_id(session_id, "session")
        return self._session_store().session(f"{tenant}/{session_id}")

    async def list_sessions(self, tenant: str, *, limit: int = 100) -> list[SessionInfo]:
        """The tenant's sessions (ids as the tenant named them), most recently updated first."""
        return await tenant_sessions(self._session_store(), f"{tenant}/", limit=limit)

    def _session_store(self) -> Store:
        store = self._sessions
        if store is None:
            from llmkit.durable import MemoryStore

            store = self._sessions = MemoryStore()
        return store

    async def session_messages(self, tenant: str, session_id: str) -> list[Message]:
        """The tenant's conversation ``session_id``; :class:`UnknownSessionError` when there is none."""
        messages = await self.session(tenant, session_id).messages()
        if not messages:
            raise UnknownSessionError(f"No session {session_id!r} for this token.")
        return messages

    async def delete_session(self, tenant: str, session_id: str) -> None:
        """Remove the tenant's conversation ``session_id``; :class:`UnknownSessionError` when none."""
        if not await self.session(tenant, session_id).delete():
            raise UnknownSessionError(f"No session {session_id!r} for this token.")

    # ---------------------------------------------------------------- lifecycle

    async def aclose(self) -> None:
        """Cancel the runs still going and wait for them to stop."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ------------------------------------------------------------------ driving

    def _launch(self, run: ServedRun, drive: Any) -> None:
        task = asyncio.get_running_loop().create_task(self._guarded(run, drive))
        self._tasks[run.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(run.id, None))

    async def _guarded(self, run: ServedRun, drive: Any) -> None:
        try:
            async with self._slot():
                if run.status == "queued":
                    run.running()
                await drive
        except asyncio.CancelledError:
            run.cancelled()
        except Exception as exc:
            run.failed(exc, reported=_reported(run))
        finally:
            drive.close()

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        if self._max_runs is None:
            yield
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._max_runs)
        async with self._slots:
            yield

    async def _drive_agent(
        self,
        run: ServedRun,
        agent: Agent[Any],
        user_input: Any,
        history: Sequence[Message] | None,
    ) -> None:
        options: dict[str, Any] = {"run_id": run.id}
        if history is not None:
            options["message_history"] = list(history)
        if run.session is not None:
            options["session"] = self.session(run.tenant, run.session)
        store = self._run_store(run)
        if store is not None:
            options["store"] = store
        if self._run_timeout is not None:
            options["timeout"] = self._run_timeout
        result = None
        async for event in agent.stream(user_input, **options):
            run.record(event)
            if isinstance(event, RunEnd):
                result = event.result
        run.finished(result)

    async def _drive_resume(
        self, run: ServedRun, agent: Agent[Any], decisions: dict[str, Any]
    ) -> None:
        # Agent.resume streams nothing: its events come through a bus of this run's own.
        ended: list[Any] = []

        def take(event: Event) -> None:
            run.record(event)
            if isinstance(event, RunEnd):
                ended.append(event.result)

        listener = Bus()
        listener.on("*", take, inline=True)
        options: dict[str, Any] = {}
        if self._run_timeout is not None:
            options["timeout"] = self._run_timeout
        store = self._run_store(run)
        with use_bus(listener):
            if store is not None:
                result = await agent.resume(run.id, approvals=decisions, store=store, **options)
            else:
                result = await agent.resume(run.result, approvals=decisions, **options)
        if not ended:
            run.record(RunEnd(run.id, result))
        run.finished(result)

    async def _drive_workflow(self, run: ServedRun, flow: Workflow, state: Any) -> None:
        options: dict[str, Any] = {"run_id": run.id}
        if self._store is not None:
            options["store"] = self._store
        result = None
        async for event in flow.stream(state, **options):
            run.record(event)
            if isinstance(event, WorkflowEnd):
                result = event.result
        run.finished(result)

    def _run_store(self, run: ServedRun) -> Store | None:
        """The store an agent run is checkpointed in: the configured one; for a session run
        without one, the sessions' own (so a paused session run appends its turns on resume)."""
        if self._store is not None:
            return self._store
        return self._sessions if run.session is not None else None

    def _keep(self, run: ServedRun) -> None:
        self._runs[(run.tenant, run.id)] = run
        if len(self._runs) <= self._keep_runs:
            return
        for key, old in list(self._runs.items()):
            if len(self._runs) <= self._keep_runs:
                break
            if old.over:
                del self._runs[key]

    def __repr__(self) -> str:
        return f"<RunService {self.names} active={self.active}>"


def _reported(run: ServedRun) -> bool:
    """Whether the run's last event already reports its failure (agents yield ``error`` first)."""
    last = run.events.kept(after=max(0, run.events.last_id - 1))
    return bool(last) and last[-1][1].get("topic") == ErrorEvent.topic


def _by_name(targets: Sequence[Any]) -> dict[str, Target]:
    if not targets:
        raise UsageError("Serve at least one agent or workflow: RunService(agent, ...).")
    named: dict[str, Target] = {}
    for target in targets:
        if not isinstance(target, Agent | Workflow):
            raise UsageError(
                f"Serve Agents and Workflows, not {type(target).__name__}; wrap a tool with "
                "Agent.from_tool(tool)."
            )
        if target.name in named:
            raise UsageError(
                f"Two served targets are named {target.name!r}; give each a unique name "
                "(Agent(..., name='...'), sequence(..., name='...'))."
            )
        named[target.name] = target
    return named


def _check_options(
    max_runs: Any, when_full: Any, on_disconnect: Any, run_timeout: Any, keep_runs: Any
) -> None:
    if max_runs is not None and (
        isinstance(max_runs, bool) or not isinstance(max_runs, int) or max_runs < 1
    ):
        raise UsageError(f"max_runs is a number of runs of 1 or more (or None), not {max_runs!r}.")
    if when_full not in ("reject", "queue"):
        raise UsageError(f"when_full is 'reject' or 'queue', not {when_full!r}.")
    if on_disconnect not in ("continue", "cancel"):
        raise UsageError(f"on_disconnect is 'continue' or 'cancel', not {on_disconnect!r}.")
    if run_timeout is not None and (
        isinstance(run_timeout, bool)
        or not isinstance(run_timeout, int | float)
        or run_timeout <= 0
    ):
        raise UsageError(
            f"run_timeout is a positive number of seconds (or None), not {run_timeout!r}."
        )
    if isinstance(keep_runs, bool) or not isinstance(keep_runs, int) or keep_runs < 1:
        raise UsageError(f"keep_runs is a number of runs of 1 or more, not {keep_runs!r}.")


def _check_id(value: object, what: str) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_ID:
        raise UsageError(
            f"A {what} id is a non-empty string of at most {_MAX_ID} characters, not {value!r}."
        )


def _check_decisions(decisions: object, pending: set[str]) -> None:
    if not isinstance(decisions, Mapping) or not decisions:
        raise UsageError(
            'Approvals map each pending call id to true, false or edited arguments: {"call_1": true}.'
        )
    unknown = [key for key in decisions if key not in pending]
    if unknown:
        raise UsageError(
            f"No pending call has the id {unknown[0]!r}; the pending calls are: {sorted(pending)}."
        )
    missing = sorted(pending - set(decisions))
    if missing:
        raise UsageError(f"Decide every pending call; these have no decision: {missing}.")
    for key, value in decisions.items():
        if not isinstance(value, bool | dict):
            raise UsageError(
                f"The decision for {key!r} is true, false or an object of arguments, not {value!r}."
            )
