"""A durable agent run's checkpoints: what it writes to its store, and when.

With ``run(..., store=store)`` a run is stored under its run id
(``store.start_run``) and writes, through :class:`Checkpoints`:

- ``"agent"``: the run's state (conversation, usage, steps, counters, the
  agent it is with) at its start, after every model reply (before the reply's
  tool calls run, with the planned batch) and after every step;
- ``"started:<call id>"`` just before a tool call runs, and
  ``"done:<call id>"`` with its result as soon as it has one (calls of one
  reply run concurrently; each keeps its own result). A closed step drops them.

So a run rebuilt from its checkpoints (``_agent/restore.py``) never repeats a
model call whose reply was kept, nor a tool call whose result was kept. At its
end the run is marked ``finished`` (with ``result.to_dict()``), ``paused``
(waiting for decisions) or ``failed`` (with the error's type and message,
secrets redacted); a failed or crashed run may be resumed from its last
checkpoint. A run with a :class:`~llmkit.durable.Session` appends its new
messages to it, in one unit, when it finishes (before the run is marked
finished, so a crash between the two repeats no model call and loses no turn);
a paused or failed run appends nothing.

Without a store or session none of this runs: the loop tests one attribute
for None at each point. Dependencies (``deps``) are never stored: a resume is
given them again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from llmkit._agent.calls import stop_reason
from llmkit._agent.plan import NO_ANSWER
from llmkit._json import dumps
from llmkit._parts import _part_from_dict
from llmkit._redact import redact
from llmkit.durable import Claim, RunInfo, Store, StoreError
from llmkit.types import JSONDict, Message, Response

if TYPE_CHECKING:
    from llmkit._agent.calls import PlannedCall
    from llmkit._agent.prepare import Prepared
    from llmkit._agent.spec import AgentSpec
    from llmkit.run import RunResult, Step
    from llmkit.types import Usage

__all__ = [
    "DONE",
    "STARTED",
    "STATE",
    "STATE_VERSION",
    "Checkpoints",
    "RunState",
    "describe",
    "snapshot",
]

STATE = "agent"
"""The checkpoint key of the run's state."""
STARTED = "started:"
"""Prefix of the key that marks a tool call as started (the call id follows)."""
DONE = "done:"
"""Prefix of the key that holds a tool call's result (the call id follows)."""
STATE_VERSION = 1
"""The version of the state's JSON form this llmkit writes (and the highest it reads)."""


class RunState(Protocol):
    """What a checkpoint reads of a run (an ``AgentRun`` has it all)."""

    spec: AgentSpec
    prep: Prepared
    run_id: str
    messages: list[Message]
    history_length: int
    usage: Usage
    steps: list[Step]
    step: int
    retries: dict[str, int]
    output_retries: int
    handoff_to: str | None
    batch: list[PlannedCall] | None
    output: Any


class Checkpoints:
    """The writes of one durable run to its store; the run calls them at each point."""

    __slots__ = ("claim", "run_id", "store")

    def __init__(self, store: Store, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        self.claim: Claim | None = None
        """The proof this process holds the run (set by :meth:`start` or :meth:`take`)."""

    def _held(self) -> Claim:
        claim = self.claim
        assert claim is not None, "start() or take() comes first"
        return claim

    async def start(self, run: RunState, meta: JSONDict) -> None:
        """Store the new run, held by this process, with its state at the start."""
        self.claim = await self.store.start_run(
            self.run_id, kind="agent", name=run.spec.name, meta=meta
        )
        await self.reply(run, None)

    async def take(self) -> RunInfo:
        """Claim the stored run to resume it; the run as it was."""
        self.claim, info = await self.store.claim_run(self.run_id, kind="agent")
        return info

    async def reply(self, run: RunState, response: Response | None) -> None:
        """Keep the run's state: after a model reply (``response``, its batch planned) or at a start."""
        batch = run.batch
        await self.store.checkpoint(
            self._held(),
            {STATE: snapshot(run, response)},
            delete=[STARTED + p.call.id for p in batch or () if p.result is None],
            steps=run.step,
            usage=run.usage.to_dict(),
        )

    async def started(self, p: PlannedCall) -> None:
        """Mark a tool call as started (it may have side effects from now on)."""
        await self.store.checkpoint(self._held(), {STARTED + p.call.id: True})

    async def done(self, p: PlannedCall) -> None:
        """Keep a tool call's result."""
        result = p.result
        assert result is not None
        form = {
            "result": result.to_dict(),
            "kind": p.kind,
            "bad": p.bad_call,
            "usage": None if p.usage is None else p.usage.to_dict(),
        }
        await self.store.checkpoint(self._held(), {DONE + p.call.id: form})

    async def step(self, run: RunState, batch: list[PlannedCall]) -> None:
        """Keep the run's state after a closed step; its calls' keys go."""
        ids = [p.call.id for p in batch]
        await self.store.checkpoint(
            self._held(),
            {STATE: snapshot(run, None)},
            delete=[STARTED + i for i in ids] + [DONE + i for i in ids],
            steps=run.step,
            usage=run.usage.to_dict(),
        )

    async def end(self, result: RunResult[Any]) -> None:
        """Mark the run finished, or paused for decisions, with its result."""
        await self.store.finish_run(
            self._held(),
            status="paused" if result.paused else "finished",
            result=result.to_dict(),
        )

    async def fail(self, exc: BaseException) -> None:
        """Mark the run failed (resumable from its last checkpoint); never raises a store error."""
        if self.claim is None:
            return
        why = f"{type(exc).__name__}: {exc}" if isinstance(exc, Exception) else stop_reason(exc)
        # The store may be what failed; the error that stopped the run is the one to see.
        with contextlib.suppress(StoreError):
            await self.store.finish_run(self.claim, status="failed", error=redact(why))

    async def release(self, info: RunInfo, exc: BaseException) -> None:
        """Give back a run claimed for a resume that could not start, as it was."""
        status = info.status if info.status in ("paused", "failed") else "failed"
        error = info.error or redact(f"{type(exc).__name__}: {exc}")
        with contextlib.suppress(StoreError):
            await self.store.finish_run(
                self._held(),
                status="paused" if status == "paused" else "failed",
                result=info.result,
                error=None if status == "paused" else error,
            )


def snapshot(run: RunState, response: Response | None) -> JSONDict:
    """The JSON form of ``run``'s state; with ``response``, the reply whose batch is open."""
    state: JSONDict = {
        "version": STATE_VERSION,
        "agent": run.spec.name,
        "messages": [m.to_dict() for m in run.messages],
        "history_length": run.history_length,
        "usage": run.usage.to_dict(),
        "steps": [s.to_dict() for s in run.steps],
        "step": run.step,
        "retries": dict(run.retries),
        "output_retries": run.output_retries,
        "handoff": run.handoff_to,
    }
    batch = run.batch
    if batch is not None and response is not None:
        state["reply"] = response.to_dict()
        state["batch"] = [
            {
                "id": p.call.id,
                "kind": p.kind,
                "bad": p.bad_call,
                "held": p.held,
                "result": None if p.result is None else p.result.to_dict(),
            }
            for p in batch
        ]
    if run.output is not NO_ANSWER:
        spec = run.prep.output
        state["output"] = run.output if spec.is_text else spec.to_json(run.output)
    return state


def describe(checkpoints: Mapping[str, Any]) -> dict[str, list[str]]:
    """Readable lines for the checkpoints of an agent run (``llmkit runs show``), by key;
    a key or a form this llmkit did not write is left out (the caller shows it as JSON).

    The state gives the agent, step, messages, tokens, the last text the model wrote and
    the calls of its open reply still without a result; a started call with no result,
    that it may have run; a done call, its tool and result.
    """
    lines: dict[str, list[str]] = {}
    for key, value in checkpoints.items():
        try:
            if key == STATE:
                found = _describe_state(value, checkpoints)
            elif key.startswith(STARTED):
                kept = DONE + key.removeprefix(STARTED) in checkpoints
                found = ["started; its result is kept"] if kept else [_NO_RESULT]
            elif key.startswith(DONE):
                result = _part_from_dict(value["result"])
                name = getattr(result, "name", None) or "the tool"
                found = [f"result of {name}: {_quoted(getattr(result, 'text', ''))}"]
            else:
                found = None
        except (KeyError, TypeError, ValueError, AttributeError):
            found = None
        if found is not None:
            lines[key] = found
    return lines


_NO_RESULT = "started, no result kept: it may have run (a resume runs it again only if idempotent)"


def _describe_state(state: Any, checkpoints: Mapping[str, Any]) -> list[str] | None:
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        return None
    messages = [Message.from_dict(m) for m in state["messages"]]
    usage = state.get("usage") or {}
    tokens = int(usage.get("input_tokens", 0)) + int(usage.get("output_tokens", 0))
    earlier = state.get("history_length", 0)
    lines = [
        f"agent {state['agent']!r}, step {state['step']}, {len(messages)} messages"
        f" ({earlier} from the history), {tokens} tokens"
    ]
    said = next((m.text for m in reversed(messages) if m.role == "assistant" and m.text), None)
    lines.append(f"last model text: {_quoted(said) if said is not None else '(none)'}")
    if state.get("handoff"):
        lines.append(f"handing over to: {state['handoff']!r}")
    reply = state.get("reply")
    if reply is not None:
        open_ids = {
            e["id"]
            for e in state.get("batch", ())
            if e.get("result") is None and DONE + e["id"] not in checkpoints
        }
        calls = [c for c in Response.from_dict(reply).message.tool_calls if c.id in open_ids]
        shown = ", ".join(f"{c.name} {_clip(dumps(c.arguments), 40)} ({c.id})" for c in calls)
        lines.append(f"pending calls: {shown or '(none)'}")
    if "output" in state:
        output = state["output"]
        lines.append(
            f"output: {_quoted(output) if isinstance(output, str) else _clip(dumps(output))}"
        )
    return lines


def _clip(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _quoted(text: str) -> str:
    return dumps(_clip(text))
