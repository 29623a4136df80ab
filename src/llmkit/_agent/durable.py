"""The driver of durable agent runs: it opens a run with a store or a session, and closes it.

A new run (:func:`new_run`) loads its session's messages, then is stored and
checkpointed (``_agent/checkpoints.py``); a resume (:func:`stored_run`) claims
the stored run and rebuilds it (``_agent/restore.py``). Either way the run is
driven like any other (``finish``, ``published``), and closed before the caller
sees its end: its new messages appended to the session, in one unit, when it
finished (a paused or failed run appends nothing), then the run marked
finished or paused; a run stopped by an error (or cancelled) is marked failed,
resumable from its last checkpoint. A resume that cannot start (bad
approvals, a state that no longer fits the agents) gives the run back as it was.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from llmkit._agent.checkpoints import Checkpoints
from llmkit._agent.options import check_approvals, run_messages
from llmkit.durable import Session, Store
from llmkit.errors import UsageError
from llmkit.events import ApprovalRequired, RunEnd
from llmkit.run import RunResult

if TYPE_CHECKING:
    from llmkit._agent.inputs import RunSetup
    from llmkit._agent.loop import AgentRun
    from llmkit._agent.spec import AgentSpec
    from llmkit.bus import Bus
    from llmkit.events import Event

__all__ = ["DurableRun", "Opened", "new_run", "stored_run"]


Opened: TypeAlias = "tuple[AgentRun | RunResult[Any], Checkpoints | None, Session | None]"
"""What a durable run opens with: the run (or a result with nothing to run), its checkpoints
(None without a store) and the session its turns go to (if any)."""


class DurableRun:
    """A run with a store or a session, driven like any other (``finish``, ``published``).

    ``opening`` does the I/O before the run can start (loading the session,
    storing or claiming the run) and gives the run to drive.
    """

    def __init__(self, opening: Callable[[], Awaitable[Opened]], *, bus: Bus | None) -> None:
        self.bus = bus
        self.result: RunResult[Any] | None = None
        self._opening = opening

    async def events(self) -> AsyncGenerator[Event, None]:
        """Open the run, drive it, and close it in the store and the session."""
        run, durable, session = await self._opening()
        if isinstance(run, RunResult):  # a resume that found only decisions to wait for
            if durable is not None:
                await durable.end(run)
            self.result = run
            if self.bus is not None:
                yield ApprovalRequired(run.run_id, list(run.pending))
                yield RunEnd(run.run_id, run)
            return
        closed = False
        try:
            async for event in run.events():
                if type(event) is RunEnd:  # closed before the caller sees the end
                    closed = True
                    await _close(event.result, durable, session)
                yield event
            result = run.result
            assert result is not None
            if not closed:
                closed = True
                await _close(result, durable, session)
        except BaseException as exc:
            if durable is not None:
                await durable.fail(exc)
            raise
        self.result = result


async def _close(
    result: RunResult[Any], durable: Checkpoints | None, session: Session | None
) -> None:
    if session is not None and not result.paused:
        await session.append(result.new_messages)
    if durable is not None:
        await durable.end(result)


def new_run(
    spec: AgentSpec,
    setup: RunSetup,
    user_input: Any,
    store: Store | None,
    session: Session | None,
) -> DurableRun:
    """A new run with a store and/or a session; with a session, ``setup`` gets its messages here."""

    async def opening() -> Opened:
        from llmkit._agent.loop import AgentRun

        run_setup = setup
        if session is not None:
            messages, history_length = run_messages(user_input, await session.messages())
            run_setup = setup.updated(messages=messages, history_length=history_length)
        durable = None if store is None else Checkpoints(store, setup.run_id)
        run = AgentRun(spec, run_setup.updated(durable=durable))
        if durable is not None:
            kept = session.id if session is not None and session.store is store else None
            await durable.start(run, {"session": kept})
        return run, durable, session

    return DurableRun(opening, bus=setup.bus)


def stored_run(
    root: AgentSpec,
    result_or_run_id: Any,
    store: Any,
    approvals: Any,
    **resolved: Any,
) -> DurableRun:
    """The resume of a stored run: claimed, rebuilt from its checkpoints, continued.

    ``resolved`` holds the resumed run's options (deps, limits, max_steps,
    timeout, hooks, bus).
    """
    run_id = result_or_run_id
    if isinstance(run_id, RunResult):
        run_id = run_id.run_id
    if not isinstance(run_id, str) or not run_id.strip():
        raise UsageError(
            f"resume() takes a paused RunResult or a stored run's id (a string), not {run_id!r}."
        )
    if not isinstance(store, Store):
        raise UsageError(
            f"resume({run_id!r}) takes the RunResult of a paused run, or the id of a stored "
            f"run with the store it is in: resume({run_id!r}, store=SQLiteStore('runs.db'))."
        )
    if approvals is not None:
        approvals = check_approvals(approvals)

    async def opening() -> Opened:
        from llmkit._agent.restore import restore_run

        durable = Checkpoints(store, run_id)
        info = await durable.take()
        try:
            stored = await store.load_checkpoints(run_id)
            run = restore_run(root, stored, approvals, durable, **resolved)
        except BaseException as exc:
            await durable.release(info, exc)
            raise
        session_id = info.meta.get("session")
        return run, durable, None if not session_id else store.session(session_id)

    return DurableRun(opening, bus=resolved.get("bus"))
