"""Resuming a run paused for human approval of tool calls.

A paused :class:`~llmkit.run.RunResult` holds the conversation (ending with
the assistant message whose calls wait), the results of the calls that did
not need approval, and the counters of the run. This rebuilds the run from
that data alone, so the result may have crossed a process boundary as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from llmkit._agent.calls import DENIED, PlannedCall, error_result
from llmkit._agent.handoff import find_spec
from llmkit._agent.inputs import Restored, RunSetup
from llmkit._agent.loop import AgentRun
from llmkit._agent.paused import PausedState
from llmkit.errors import SerializationError, UsageError
from llmkit.run import RunResult, UsageLimits
from llmkit.tools._schema import describe_validation_error
from llmkit.types import Part, ToolCall

if TYPE_CHECKING:
    from llmkit._agent.checkpoints import Checkpoints
    from llmkit._agent.spec import AgentSpec
    from llmkit._hooks.chain import HookChain
    from llmkit.bus import Bus

__all__ = ["resume_run"]


def resume_run(
    spec: AgentSpec,
    result: RunResult[Any],
    approvals: Mapping[str, bool | dict[str, Any]],
    *,
    deps: Any,
    limits: UsageLimits | None,
    max_steps: int,
    timeout: float | None,
    hooks: HookChain | None,
    bus: Bus | None,
    durable: Checkpoints | None = None,
) -> AgentRun:
    """An :class:`AgentRun` that continues ``result`` with the given decisions.

    ``spec`` is the spec of the agent the run was started on; the run goes on
    with the agent whose calls wait, found through its handoffs. The other
    arguments are the resumed run's options, resolved by the caller; the rest
    of its setup comes from ``result``; ``durable``, a stored run's checkpoints.
    """
    state = result.state
    if result.status != "paused" or state is None:
        raise UsageError(
            f"Only a paused run can be resumed; this one is {result.status!r}. "
            "Start a new run with message_history=result.messages instead."
        )
    pending = {call.id for call in result.pending}
    missing = sorted(pending - set(approvals))
    extra = sorted(set(approvals) - pending)
    if missing or extra:
        problems = []
        if missing:
            problems.append(f"no decision for {', '.join(missing)}")
        if extra:
            problems.append(f"{', '.join(extra)} {'is' if len(extra) == 1 else 'are'} not pending")
        raise UsageError(
            f"approvals must decide every pending call, and only those: {'; '.join(problems)}. "
            f"Pending: {', '.join(sorted(pending))}."
        )
    paused = PausedState.from_dict(state, steps=len(result.steps))
    active = find_spec(spec, paused.agent)
    messages = list(result.messages)
    if not messages:
        raise SerializationError("The paused run's state is incomplete: it has no messages.")
    last = messages[-1]
    response = paused.response
    done = {d.result.call_id: d for d in paused.results}

    batch: list[PlannedCall] = []
    parts: list[Part] = []
    edited = False
    for part in last.parts:
        if not isinstance(part, ToolCall):
            parts.append(part)
            continue
        call = part
        finished = done.get(call.id)
        if finished is not None:
            batch.append(
                PlannedCall(call, finished.kind, result=finished.result, bad_call=finished.bad)
            )
        else:
            # A call neither done nor pending had not run yet (a durable run stopped first).
            decision = approvals[call.id] if call.id in pending else True
            tool = active.tools.get(call.name)
            if tool is None:
                raise UsageError(f"Agent {active.name!r} has no tool {call.name!r} to resume.")
            if decision is False:
                batch.append(PlannedCall(call, "tool", tool, result=error_result(call, DENIED)))
            elif decision is True or isinstance(decision, dict):
                if isinstance(decision, dict):
                    call = ToolCall(
                        call.id, call.name, dict(decision), None, None, call.provider_data
                    )
                    edited = True
                try:
                    kwargs = tool.validate(call.arguments)
                except Exception as exc:
                    if not hasattr(exc, "errors"):
                        raise
                    raise UsageError(
                        f"The arguments approved for call {call.id} ({call.name}) do not fit "
                        f"the tool:\n{describe_validation_error(exc)}"
                    ) from None
                batch.append(PlannedCall(call, "tool", tool, kwargs))
            else:
                raise UsageError(
                    f"approvals[{call.id!r}] must be True, False or a dict of arguments, "
                    f"not {type(decision).__name__}."
                )
        parts.append(call)
    if edited:
        # The history shows the arguments the call ran with.
        messages[-1] = replace(last, parts=parts)
        response = replace(response, message=messages[-1])
    setup = RunSetup(
        model=active.model(),
        messages=messages,
        history_length=result.history_length,
        deps=deps,
        run_id=result.run_id,
        limits=limits,
        max_steps=max_steps,
        timeout=timeout,
        stream=False,
        hooks=hooks,
        bus=bus,
        durable=durable,
    )
    restored = Restored(
        usage=result.usage,
        steps=result.steps,
        step=paused.step,
        retries=paused.retries,
        output_retries=paused.output_retries,
        handoff_to=paused.handoff,
        tool_usage=paused.tool_usage,
        batch=batch,
        response=response,
    )
    return AgentRun(active, setup, restored)
