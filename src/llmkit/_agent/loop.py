"""The agent loop: call the model, run the tools it asks for, repeat until a final answer.

One :class:`AgentRun` per run, built complete from the agent's
:class:`~llmkit._agent.spec.AgentSpec`, a :class:`~llmkit._agent.inputs.RunSetup`
and, for a resumed run, a :class:`~llmkit._agent.inputs.Restored`; after that
only its own methods change it. Its :meth:`~AgentRun.events` generator is the
single code path behind ``Agent.run`` (which calls ``Model.generate`` and
builds events only for bus subscribers) and ``Agent.stream`` (which yields
every event and calls ``Model.stream``); it is the run's only generator: a
step runs inline in it, its bookkeeping in plain methods, so each model event
passes through one frame. What a reply asks for (tool calls, a handoff, the
final answer) is decided by the plain functions of ``_agent/plan.py``.

Whatever stops a run (an error, a limit, a timeout, a cancellation), the
conversation it leaves behind answers every tool call it holds. A reply the
provider marks as failed (``finish_reason="error"``, e.g. Gemini's
``MALFORMED_FUNCTION_CALL``) is never taken for the final answer: the model is
told and tries again, counted like a wrong tool call under ``tool_retries``.
What the run awaits, tool calls included, it awaits within its deadline
(``_agent/deadline.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

from llmkit._agent.batch import run_calls, tool_context
from llmkit._agent.calls import PlannedCall, answer_open_calls, stop_reason
from llmkit._agent.deadline import calls_within, within
from llmkit._agent.hooked import call_context, run_context
from llmkit._agent.partial import PartialOutputs
from llmkit._agent.paused import complete_result, paused_result
from llmkit._agent.plan import (
    FAILED_REPLY,
    NO_ANSWER,
    count_wrong_calls,
    failed_reply_message,
    invalid_answer,
    plan_reply,
)
from llmkit._agent.prepare import build_request, dynamic_system
from llmkit.context import RunContext
from llmkit.errors import (
    AgentError,
    MaxStepsExceeded,
    OutputValidationError,
    ProviderError,
    RunTimeoutError,
    ToolRetriesExceeded,
    UsageError,
    UsageLimitExceeded,
)
from llmkit.events import (
    ApprovalRequired,
    ErrorEvent,
    Event,
    Handoff,
    ModelRequest,
    ModelResponse,
    RunEnd,
    RunStart,
    StepEnd,
    ToolCallEvent,
    ToolResultEvent,
)
from llmkit.output import OutputInvalid
from llmkit.run import RunResult, Step
from llmkit.types import Message, Request, Response, ToolResult, Usage

if TYPE_CHECKING:
    from llmkit._agent.inputs import Restored, RunSetup
    from llmkit._agent.prepare import Prepared
    from llmkit._agent.spec import AgentSpec
    from llmkit._hooks.base import HookContext

__all__ = ["AgentRun"]

T = TypeVar("T")


class AgentRun:
    """The state of one run and the loop that advances it."""

    def __init__(self, spec: AgentSpec, setup: RunSetup, restored: Restored | None = None) -> None:
        self.spec = spec
        """The spec of the agent the run is with (a handoff moves the run to the target's)."""
        self.model = model = setup.model
        self.prep: Prepared = spec.prepared(model)
        self.messages = setup.messages
        self.deps = setup.deps
        self.run_id = setup.run_id
        self.limits = setup.limits
        self.max_steps = setup.max_steps
        self.timeout = setup.timeout
        self.deadline: float | None = None
        self.stream = stream = setup.stream
        self.bus = bus = setup.bus
        """The bus to publish events on (None: nobody listens)."""
        self.emit = stream or bus is not None
        """Build events: for the caller (streaming) or for the event bus."""
        self.partials = setup.partials
        """Give ``PartialOutput`` events while a structured answer streams."""
        self.hooks = setup.hooks
        self.durable = setup.durable
        """Where checkpoints go (``_agent/checkpoints.py``); None: the run is not durable."""
        self.hook_ctx: HookContext | None = None
        self.history_length = setup.history_length
        self.output: Any = NO_ANSWER
        self.result: RunResult[Any] | None = None
        self.batch: list[PlannedCall] | None = None
        self._ctx: RunContext[Any] | None = None
        self._restored = restored
        """The paused batch to finish first (a resumed run), until it is."""
        if restored is None:
            self.usage = Usage()
            self.steps: list[Step] = []
            self.step = 0
            self.retries: dict[str, int] = {}
            self.output_retries = 0
            self.handoff_to: str | None = None
        else:
            self.usage = restored.usage
            self.steps = list(restored.steps)
            self.step = restored.step
            self.retries = dict(restored.retries)
            self.output_retries = restored.output_retries
            self.handoff_to = restored.handoff_to
            if restored.output is not None:
                self.output = restored.output[0]

    # ------------------------------------------------------------------ helpers

    def context(self) -> RunContext[Any]:
        """The run context, brought up to date (built on first use only)."""
        ctx = self._ctx
        if ctx is None:
            ctx = self._ctx = RunContext(self.deps, self.run_id)
        ctx.agent = self.spec.name
        ctx.model = self.model
        ctx.messages = self.messages
        ctx.usage = self.usage
        ctx.step = self.step
        return ctx

    def _call_context(self) -> HookContext:
        return call_context(self.context(), self.model, self.hook_ctx, stream=self.stream)

    async def _guard(self, awaitable: Awaitable[T]) -> T:
        """Await within the run's deadline (if it has one)."""
        deadline = self.deadline
        if deadline is None:
            return await awaitable
        return await within(deadline, awaitable, self._timed_out)

    def _timed_out(self) -> AgentError:
        return self._error(RunTimeoutError, f"the run took longer than {self.timeout} s")

    def _error(self, cls: type[AgentError], why: str, **fields: Any) -> AgentError:
        return cls(
            f"Agent {self.spec.name!r} stopped: {why.rstrip('.')}.",
            messages=self.messages,
            usage=self.usage,
            **fields,
        )

    # ----------------------------------------------------------------- the loop

    async def events(self) -> AsyncGenerator[Event, None]:
        """Advance the run to its end; yields events only when streaming or publishing."""
        emit = self.emit
        hooks = self.hooks
        if self.timeout is not None:
            self.deadline = asyncio.get_running_loop().time() + self.timeout
        try:
            if emit:
                yield RunStart(self.run_id, self.spec.name, self.messages[self.history_length :])
            if hooks is not None:
                self.hook_ctx = run_context(
                    self.context(),
                    self.model,
                    self.messages[self.history_length :],
                    stream=self.stream,
                )
                await self._guard(hooks.start_run(self.hook_ctx))
            restored = self._restored
            if restored is not None:
                self._restored = None
                async for event in self._finish_resumed_batch(restored):
                    yield event
            while self.output is NO_ANSWER and self.result is None:
                request = await self._next_request()
                if emit:
                    yield ModelRequest(self.run_id, self.step, request)
                if self.stream:
                    response: Response | None = None
                    partial = self.partials and PartialOutputs.start(
                        self.prep, self.run_id, self.step
                    )
                    stream = (
                        self.model.stream(request)
                        if hooks is None
                        else hooks.stream(self._call_context(), self.model, request)
                    )
                    try:
                        next_event = stream.__anext__
                        while True:
                            try:  # no coroutine around an event or a call without a deadline
                                model_event = await (
                                    next_event()
                                    if self.deadline is None
                                    else self._guard(next_event())
                                )
                            except StopAsyncIteration:
                                break
                            if type(model_event) is ModelResponse:
                                response = model_event.response
                            yield model_event
                            if partial and (update := partial.feed(model_event)) is not None:
                                yield update
                    finally:
                        await stream.aclose()
                    if response is None:
                        raise UsageError(
                            f"{self.model!r}.stream() ended without a ModelResponse event."
                        )
                else:
                    call = (
                        self.model.generate(request)
                        if hooks is None
                        else hooks.generate(self._call_context(), self.model, request)
                    )
                    response = await (call if self.deadline is None else self._guard(call))
                    if emit:
                        yield ModelResponse(response)
                for event in self._take_reply(response):
                    yield event
                if self.durable is not None:
                    await self.durable.reply(self, response)
                batch = self.batch
                if batch is not None:
                    async for event in self._batch(response, batch, response.usage):
                        yield event
            if self.result is None:
                self.result = complete_result(self)
            if hooks is not None:
                assert self.hook_ctx is not None
                self.result = await self._guard(hooks.end_run(self.hook_ctx, self.result))
        except BaseException as exc:
            answer_open_calls(self.messages, self.batch, stop_reason(exc))
            if isinstance(exc, AgentError) and exc.usage is None:
                # Raised below the loop (a tool with errors="raise"): give it the conversation.
                exc.messages = self.messages
                exc.usage = self.usage
            elif isinstance(exc, ProviderError):
                # A model call failed (after the transport's retries); keep what the run did.
                exc.messages = self.messages
                exc.usage = self.usage
            if hooks is not None and self.hook_ctx is not None:
                await hooks.error(self.hook_ctx, exc)
            if emit and isinstance(exc, Exception):
                yield ErrorEvent(type(exc).__name__, str(exc), self.run_id)
            raise
        if emit:
            if self.result.paused:
                yield ApprovalRequired(self.run_id, list(self.result.pending))
            yield RunEnd(self.run_id, self.result)

    async def _next_request(self) -> Request:
        """Check the step limits, count the step and build its request."""
        if self.step >= self.max_steps:
            raise self._error(
                MaxStepsExceeded,
                f"no final answer after max_steps={self.max_steps} model calls (raise "
                "max_steps, or continue the run with message_history=err.messages)",
            )
        limits = self.limits
        if limits is not None:
            why = limits.check_before_request(self.usage)
            if why is not None:
                raise self._error(UsageLimitExceeded, why)
        self.step += 1
        prep = self.prep
        system = (
            await self._guard(dynamic_system(prep, self.spec.instructions, self.context()))
            if prep.dynamic
            else prep.system
        )
        return build_request(prep, system, self.messages)

    def _take_reply(self, response: Response) -> list[Event]:
        """Count and keep the reply, plan its tool calls (``self.batch``); the events this makes."""
        emit = self.emit
        self.usage = self.usage + response.usage
        failed = response.finish_reason == "error"
        if not failed:
            self.messages.append(response.message)
            if self.retries:
                self.retries.pop(FAILED_REPLY, None)
        limits = self.limits
        if limits is not None:
            why = limits.check(self.usage)
            if why is not None:
                raise self._error(UsageLimitExceeded, why)
        if failed:
            self._failed_reply(response)
            return [StepEnd(self.run_id, self.step, response.usage)] if emit else []
        calls = response.message.tool_calls
        if not calls:
            self._final_from_text(response)
            self.steps.append(Step(response=response, usage=response.usage, agent=self.spec.name))
            return [StepEnd(self.run_id, self.step, response.usage)] if emit else []
        plan = plan_reply(calls, self.prep, self.spec.handoffs, self.handoff_to)
        if plan.invalid is not None:
            self._output_retry(plan.invalid)
        self.output, self.handoff_to = plan.answer, plan.handoff_to
        batch = self.batch = plan.batch
        for p in batch:
            if p.needs_run and p.tool is not None and p.tool.requires_approval:
                p.held = True
        if not emit:
            return []
        return [ToolCallEvent(self.run_id, self.step, p.call) for p in batch if p.needs_run]

    async def _batch(
        self, response: Response, batch: list[PlannedCall], usage: Usage
    ) -> AsyncIterator[Event]:
        """Run the batch's calls, then close it (``usage``: the step's so far) or pause on it."""
        await self._run_calls(batch)
        for event in self._after_calls(response, batch, usage):
            yield event
        if self.result is None:  # not paused
            for event in self._hand_on(batch):
                yield event
            if self.durable is not None:
                await self.durable.step(self, batch)

    def _after_calls(
        self, response: Response, batch: list[PlannedCall], usage: Usage
    ) -> list[Event]:
        """Close the batch whose calls have run, or pause the run on its held calls."""
        pending = [p for p in batch if p.held]
        if not pending:
            return self._close_batch(response, batch, usage)
        events: list[Event] = [
            ToolResultEvent(self.run_id, self.step, p.result, p.duration, p.error)
            for p in batch
            if self.emit and p.kind == "tool" and p.result is not None
        ]
        self.result = result = paused_result(
            batch,
            pending,
            response,
            step=self.step,
            agent=self.spec.name,
            retries=self.retries,
            output_retries=self.output_retries,
            handoff=self.handoff_to,
            messages=self.messages,
            usage=self.usage,
            steps=self.steps,
            run_id=self.run_id,
            history_length=self.history_length,
        )
        self.usage = result.usage
        self.batch = None
        return events

    async def _run_calls(self, batch: list[PlannedCall]) -> None:
        """Run the batch's tool calls within the run's deadline (if it has one)."""
        calls = run_calls(
            batch,
            tool_context(batch, self.hooks, self.context),
            self.hooks,
            self.hook_ctx,
            run_id=self.run_id,
            tool_errors=self.spec.tool_errors,
            durable=self.durable,
        )
        if self.deadline is None:
            await calls
        else:
            await calls_within(self.deadline, calls, self._timed_out)

    def _failed_reply(self, response: Response) -> None:
        """A reply the provider marked as failed: kept in the steps, not in the conversation;
        the model is asked again (counted like wrong tool calls under ``tool_retries``)."""
        self.steps.append(Step(response=response, usage=response.usage, agent=self.spec.name))
        raw = response.raw_finish_reason or response.finish_reason
        limit = self.spec.tool_retries
        count = self.retries[FAILED_REPLY] = self.retries.get(FAILED_REPLY, 0) + 1
        if count > limit:
            raise self._error(
                ToolRetriesExceeded,
                f"the model's reply failed {count} times in a row (finish reason {raw}; "
                f"tool_retries={limit}); no answer was taken from it",
            )
        self.messages.append(failed_reply_message(raw))

    def _close_batch(
        self, response: Response, batch: list[PlannedCall], usage: Usage
    ) -> list[Event]:
        """Append the batch's results and record the step; the events this makes.

        ``usage`` is the step's usage so far (the model call's, plus what tools
        reported before a pause).
        """
        events: list[Event] = []
        results: list[ToolResult] = []
        for p in batch:
            result = p.result
            assert result is not None
            results.append(result)
            if self.emit and p.kind == "tool":
                events.append(ToolResultEvent(self.run_id, self.step, result, p.duration, p.error))
        reported = [p.usage for p in batch if p.usage is not None]
        if reported:
            usage = Usage.sum([usage, *reported])
            self.usage = Usage.sum([self.usage, *reported])
        self.messages.append(Message.tool(*results))
        self.batch = None
        self.steps.append(
            Step(response=response, tool_results=results, usage=usage, agent=self.spec.name)
        )
        if self.emit:
            events.append(StepEnd(self.run_id, self.step, usage))
        return events

    def _hand_on(self, batch: list[PlannedCall]) -> list[Event]:
        """After a closed batch: count wrong calls per tool name in a row (past
        ``tool_retries`` the run stops), then apply a handoff the batch asked for."""
        limit = self.spec.tool_retries
        over = count_wrong_calls(batch, self.retries, limit)
        if over is not None:
            name, count, result = over
            raise self._error(
                ToolRetriesExceeded,
                f"the model called {name!r} wrongly {count} times in a row "
                f"(tool_retries={limit}); last error: {result.text}",
                tool_name=name,
            )
        target = self.handoff_to
        if target is None or self.output is not NO_ANSWER:
            return []
        self.handoff_to = None
        source = self.spec.name
        self._switch_to(target)
        return [Handoff(self.run_id, source, target)] if self.emit else []

    # ----------------------------------------------------------------- answers

    def _final_from_text(self, response: Response) -> None:
        text = response.message.text
        output = self.prep.output
        if output.is_text:
            self.output = text
            return
        try:
            self.output = output.from_text(text)
        except OutputInvalid as exc:
            self._output_retry(exc)
            self.messages.append(invalid_answer(exc, self.prep))

    def _output_retry(self, exc: OutputInvalid) -> None:
        self.output_retries += 1
        if self.output_retries > self.spec.output_retries:
            raise self._error(
                OutputValidationError,
                f"the answer did not match the output type after {self.spec.output_retries} "
                f"retries:\n{exc.errors}",
                raw_output=exc.raw,
                errors=exc.errors,
            )

    def _switch_to(self, name: str) -> None:
        route = next(r for r in self.spec.handoffs.values() if r.target == name)
        target = route.spec()
        if route.input_filter is not None:
            self.messages = list(route.input_filter(list(self.messages)))
        self.spec = target
        self.model = target.model()
        self.prep = target.prepared(self.model)

    # ------------------------------------------------------------------- resume

    async def _finish_resumed_batch(self, restored: Restored) -> AsyncIterator[Event]:
        response = restored.response
        if response is None:  # a durable run restored between steps
            return
        batch = self.batch = list(restored.batch)
        if self.durable is not None:  # the decisions taken on resume are kept before any runs
            await self.durable.reply(self, response)
        if self.emit:
            for p in batch:
                if p.needs_run:
                    yield ToolCallEvent(self.run_id, self.step, p.call)
        async for event in self._batch(response, batch, response.usage + restored.tool_usage):
            yield event
