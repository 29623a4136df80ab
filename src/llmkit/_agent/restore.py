"""A durable agent run rebuilt from its checkpoints (``_agent/checkpoints.py``), to resume it.

The run goes on with the agent it was with (found through the handoffs of the
agent it started on), from the state of its last checkpoint:

- a reply whose batch was open: its calls with a kept result are not run
  again; a call never started runs; a call that started but left no result
  runs again only when its tool is ``idempotent``, else it is held, marked
  interrupted, like a call waiting for approval;
- held calls make a paused :class:`~llmkit.run.RunResult` (the same form an
  approval pause has); with ``approvals`` deciding them the run continues
  through ``resume_run``, without it the paused result is what the resume gives;
- a final answer already given is not asked for again.

A state of a newer form (``SerializationError``), or one that does not fit
the agents any more (``UsageError``: the agent it was with is no longer
reachable through handoffs, a handoff it was making is gone, a call still to
run names a tool the agent no longer has, or its arguments no longer fit),
raises before anything runs, rather than resuming wrongly; the caller
(``_agent/durable.py``) gives the stored run back as it was. Calls already
answered and closed steps need nothing of the agent: a tool removed since is
then met by the usual rules, as an unknown tool if the model calls it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from llmkit._agent.calls import PlannedCall
from llmkit._agent.checkpoints import DONE, STARTED, STATE, STATE_VERSION, Checkpoints
from llmkit._agent.handoff import find_spec
from llmkit._agent.inputs import Restored, RunSetup
from llmkit._agent.paused import paused_result
from llmkit._agent.resume import resume_run
from llmkit._parts import _part_from_dict
from llmkit.errors import LLMKitError, SerializationError, UsageError
from llmkit.run import RunResult, Step, UsageLimits
from llmkit.tools._schema import describe_validation_error
from llmkit.types import JSONDict, Message, Response, ToolCall, ToolResult, Usage

if TYPE_CHECKING:
    from llmkit._agent.loop import AgentRun
    from llmkit._agent.spec import AgentSpec
    from llmkit._hooks.chain import HookChain
    from llmkit.bus import Bus

__all__ = ["restore_run"]


def restore_run(
    root: AgentSpec,
    checkpoints: Mapping[str, Any],
    approvals: Mapping[str, bool | dict[str, Any]] | None,
    durable: Checkpoints,
    *,
    deps: Any,
    limits: UsageLimits | None,
    max_steps: int,
    timeout: float | None,
    hooks: HookChain | None,
    bus: Bus | None,
) -> AgentRun | RunResult[Any]:
    """The run stored in ``checkpoints``, ready to continue; or its paused result.

    ``root`` is the spec of the agent the run started on; the other keyword
    arguments are the resumed run's options, resolved by the caller.
    """
    from llmkit._agent.loop import AgentRun

    state = checkpoints.get(STATE)
    if not isinstance(state, dict):
        raise SerializationError(
            f"Run {durable.run_id!r} has no agent state stored; it is not an agent run "
            "this llmkit wrote."
        )
    try:
        version = state.get("version")
        if type(version) is not int or not 1 <= version <= STATE_VERSION:
            raise SerializationError(
                f"Run {durable.run_id!r} was stored by a newer llmkit (state version "
                f"{version!r}; this one reads up to {STATE_VERSION}); upgrade llmkit to resume it."
            )
        active = find_spec(root, state["agent"])
        messages = [Message.from_dict(m) for m in state["messages"]]
        output = None
        if "output" in state:
            spec = active.output
            value = state["output"]
            output = (value if spec.is_text else spec.from_json(value),)
        reply = state.get("reply")
        response = None if reply is None else Response.from_dict(reply)
        batch = [] if response is None else _batch(active, response, state["batch"], checkpoints)
        usage = Usage.from_dict(state["usage"])
        steps = [Step.from_dict(s) for s in state["steps"]]
        history_length = state["history_length"]
        step, retries = state["step"], dict(state["retries"])
        output_retries, handoff = state["output_retries"], state["handoff"]
    except (KeyError, TypeError, AttributeError) as exc:
        raise SerializationError(
            f"Run {durable.run_id!r}: its stored state is incomplete ({exc!r})."
        ) from exc
    if handoff is not None and all(r.target != handoff for r in active.handoffs.values()):
        raise UsageError(
            f"Run {durable.run_id!r} was handing the conversation over from {active.name!r} to "
            f"{handoff!r}, a handoff that agent no longer has; resume with the agents the run "
            "was started with."
        )
    held = [p for p in batch if p.held]
    if response is not None and held:
        paused = paused_result(
            batch,
            held,
            response,
            step=step,
            agent=active.name,
            retries=retries,
            output_retries=output_retries,
            handoff=handoff,
            messages=messages,
            usage=usage,
            steps=steps,
            run_id=durable.run_id,
            history_length=history_length,
        )
        if approvals is None:
            return paused
        return resume_run(
            root,
            paused,
            approvals,
            deps=deps,
            limits=limits,
            max_steps=max_steps,
            timeout=timeout,
            hooks=hooks,
            bus=bus,
            durable=durable,
        )
    if approvals:
        raise UsageError(
            f"Run {durable.run_id!r} waits for no decision (no call is pending); resume it "
            "without approvals=."
        )
    setup = RunSetup(
        model=active.model(),
        messages=messages,
        history_length=history_length,
        deps=deps,
        run_id=durable.run_id,
        limits=limits,
        max_steps=max_steps,
        timeout=timeout,
        stream=False,
        hooks=hooks,
        bus=bus,
        durable=durable,
    )
    restored = Restored(
        usage=usage,
        steps=steps,
        step=step,
        retries=retries,
        output_retries=output_retries,
        handoff_to=handoff,
        tool_usage=Usage(),
        batch=batch,
        response=response,
        output=output,
    )
    return AgentRun(active, setup, restored)


def _batch(
    active: AgentSpec, response: Response, entries: list[JSONDict], stored: Mapping[str, Any]
) -> list[PlannedCall]:
    """The open batch of ``response``: kept results, calls to run, and calls to hold."""
    planned = {entry["id"]: entry for entry in entries}
    batch = []
    for call in response.message.tool_calls:
        entry = planned[call.id]
        done = stored.get(DONE + call.id)
        if done is not None:
            usage = done.get("usage")
            batch.append(
                PlannedCall(
                    call,
                    done["kind"],
                    result=_result(done["result"]),
                    bad_call=bool(done["bad"]),
                    usage=None if usage is None else Usage.from_dict(usage),
                )
            )
        elif entry.get("result") is not None:
            batch.append(
                PlannedCall(
                    call, entry["kind"], result=_result(entry["result"]), bad_call=entry["bad"]
                )
            )
        else:
            batch.append(_to_run(active, call, entry, started=STARTED + call.id in stored))
    return batch


def _to_run(active: AgentSpec, call: ToolCall, entry: JSONDict, *, started: bool) -> PlannedCall:
    tool = active.tools.get(call.name)
    if tool is None:
        raise UsageError(f"Agent {active.name!r} has no tool {call.name!r} to resume the run with.")
    try:
        kwargs = tool.validate(call.arguments)
    except Exception as exc:
        if not hasattr(exc, "errors") or isinstance(exc, LLMKitError):
            raise
        raise UsageError(
            f"The stored call {call.id} ({call.name}) no longer fits the tool:\n"
            f"{describe_validation_error(exc)}"
        ) from None
    planned = PlannedCall(call, "tool", tool, kwargs)
    if started and not tool.idempotent:
        planned.held = planned.interrupted = True
    elif entry.get("held"):
        planned.held = True
    return planned


def _result(d: JSONDict) -> ToolResult:
    part = _part_from_dict(d)
    if not isinstance(part, ToolResult):
        raise SerializationError("Expected a tool result in the run's checkpoint.")
    return part
