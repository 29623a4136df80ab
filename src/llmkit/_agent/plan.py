"""What a model reply asks for, decided from plain values: no run state is read or changed here.

A reply with tool calls becomes a batch of :class:`~llmkit._agent.calls.PlannedCall`
(:func:`plan_reply`): ordinary tool calls, checked; a handoff (the first one
wins, later ones are refused); the final-result call, whose arguments are
the answer (given once: a second one is refused, and once it is valid the
other calls of the batch are not run). The loop keeps the counts and
decides when a run stops; an invalid answer (from the final-result call, or
the text of a reply without tool calls) is the
:class:`~llmkit.output.OutputInvalid` that :func:`invalid_answer` words for
the model.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmkit._agent.calls import NOT_RUN_FINAL, PlannedCall, error_result, plan_tool_call
from llmkit.output import FINAL_RESULT_TOOL, OutputInvalid
from llmkit.types import Message, ToolCall, ToolResult

if TYPE_CHECKING:
    from llmkit._agent.prepare import Prepared
    from llmkit._agent.spec import HandoffRoute

__all__ = [
    "FAILED_REPLY",
    "NO_ANSWER",
    "Plan",
    "count_wrong_calls",
    "failed_reply_message",
    "invalid_answer",
    "plan_reply",
]

NO_ANSWER: Any = object()
"""The answer of a run that has none yet."""

FAILED_REPLY = "(failed reply)"
"""The key failed replies are counted under with the wrong calls (no tool has this name)."""


@dataclass(slots=True)
class Plan:
    """A reply's tool calls, classified, and what they decide."""

    batch: list[PlannedCall]
    handoff_to: str | None
    """The agent the run goes on with after the batch (None: this one)."""
    answer: Any = NO_ANSWER
    """The final answer, when the final-result call gave a valid one."""
    invalid: OutputInvalid | None = None
    """Why the final-result call's answer is not valid (the call is answered with it)."""


def plan_reply(
    calls: Sequence[ToolCall],
    prep: Prepared,
    handoffs: Mapping[str, HandoffRoute],
    handoff_to: str | None,
) -> Plan:
    """Classify ``calls``; ``handoff_to`` is a handoff already decided (one of a paused batch)."""
    tools = prep.tool_map
    batch: list[PlannedCall] = []
    final: PlannedCall | None = None
    for call in calls:
        name = call.name
        if prep.final_tool and name == FINAL_RESULT_TOOL:
            planned = PlannedCall(call, "final")
            if final is None:
                final = planned
            else:
                planned.result = error_result(call, "Not run: give the final answer once.")
        elif name in handoffs:
            planned = PlannedCall(call, "handoff")
            if handoff_to is None:
                handoff_to = handoffs[name].target
                planned.result = ToolResult(call.id, f"Transferred to {handoff_to}.", name=name)
            else:
                planned.result = error_result(call, "Not run: transfer to one agent at a time.")
        else:
            planned = plan_tool_call(call, tools.get(name), prep.tool_names)
        batch.append(planned)
    plan = Plan(batch, handoff_to)
    if final is not None:
        _read_final_call(final, plan, prep)
    return plan


def _read_final_call(final: PlannedCall, plan: Plan, prep: Prepared) -> None:
    call = final.call
    try:
        if call.arguments_error is not None:
            raise OutputInvalid(
                f"The arguments could not be read: {call.arguments_error}.", call.raw_arguments
            )
        plan.answer = prep.output.from_arguments(call.arguments, call.raw_arguments)
    except OutputInvalid as exc:
        plan.invalid = exc
        final.result = error_result(
            call,
            f"The final answer is not valid:\n{exc.errors}\nFix it and call {call.name} again.",
        )
        return
    plan.handoff_to = None  # the answer ends the run where it is
    final.result = ToolResult(call.id, "Final answer received.", name=call.name)
    for p in plan.batch:
        if p.result is None:
            p.result = error_result(p.call, NOT_RUN_FINAL)
            p.kind = "error"


def invalid_answer(exc: OutputInvalid, prep: Prepared) -> Message:
    """What the model is told when its text answer does not fit the output type."""
    how = (
        f"Call the {FINAL_RESULT_TOOL} tool with your answer."
        if prep.final_tool
        else "Reply again with only the JSON value."
    )
    return Message.user(f"Your answer is not valid:\n{exc.errors}\n{how}")


def failed_reply_message(raw: str) -> Message:
    """What the model is told when its reply failed (``finish_reason="error"``)."""
    return Message.user(
        f"Your last reply failed ({raw}) and was dropped. If you meant to call a tool, "
        "call it again with arguments that are one valid JSON object matching its "
        "parameters; otherwise answer in plain text."
    )


def count_wrong_calls(
    batch: Sequence[PlannedCall], retries: MutableMapping[str, int], limit: int
) -> tuple[str, int, ToolResult] | None:
    """Count the batch's wrong calls per tool name in a row, in ``retries``.

    A good call of a tool clears its count. Returns the first name counted
    past ``limit``, with its count and the call's result, or None.
    """
    for p in batch:
        name = p.call.name
        result = p.result
        assert result is not None  # every call of a closed batch is answered
        if p.bad_call:
            count = retries[name] = retries.get(name, 0) + 1
            if count > limit:
                return name, count, result
        elif name in retries and p.kind == "tool" and not result.is_error:
            del retries[name]
    return None
