"""Writing a recording: the hook that sees every model and tool call of the runs in its scope.

The recorder sits innermost in each run's hook chain, so it writes what
the model was actually sent and answered, and what the tool was actually
called with and returned (after the other hooks' changes to the request and
the arguments, before their changes to the answer). Replaying runs the same
hooks again around the recorded answers.

Workflow runs in its scope are recorded from the workflow hook points:
``workflow.start``, one ``workflow.step.start`` per step attempt (with the
``input`` of function, ``Step`` and tool steps, which a replay checks), one
``workflow.step.end`` per attempt that succeeded (its ``output``), an
``error`` line (``where: "step"``) per attempt that failed, and
``workflow.end`` (the result, or the error with the state and the trace).
The ``run.start`` of an agent run inside a step also names the workflow run
and the attempt. Lines of agent runs outside workflows are as they always
were: no key is added to them.
"""

from __future__ import annotations

import json
import threading
import time
from contextvars import Token
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from llmkit._hooks.base import HookContext
from llmkit._hooks.session import SESSION_HOOKS
from llmkit._redact import redact
from llmkit._scope import current_scope
from llmkit._version import __version__
from llmkit.errors import UsageError
from llmkit.events import (
    ErrorEvent,
    ModelRequest,
    ModelResponse,
    RunEnd,
    RunStart,
    ToolCallEvent,
    ToolResultEvent,
    WorkflowEnd,
    WorkflowStart,
    WorkflowStepEnd,
    WorkflowStepStart,
    event_to_dict,
)
from llmkit.types import JSONDict, Request, Response, ToolCall, ToolResult

if TYPE_CHECKING:
    from llmkit.events import Event
    from llmkit.providers.base import Model
    from llmkit.run import RunResult

__all__ = [
    "CHECKED_INPUT",
    "LEAF_KINDS",
    "RECORDING_FORMAT",
    "Recorder",
    "jsonable",
    "model_fields",
]

RECORDING_FORMAT = 1
"""Version of the recording format written; readers take this one and older."""

INNERMOST = -(10**9)
"""The priority of the recorder and the replay tool runner: inside every other hook."""


LEAF_KINDS = frozenset({"function", "step", "agent", "tool"})
"""The step kinds a replay answers from the recording (the rest run their children)."""

CHECKED_INPUT = frozenset({"function", "step", "tool"})
"""The step kinds whose input a ``workflow.step.start`` line holds (an agent's is on its
``run.start``)."""


def jsonable(value: Any) -> Any:
    """``value`` as JSON data: pydantic's rules, ``repr`` for what has no JSON form."""
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value, fallback=repr)


def _error_class(error: BaseException) -> str:
    cls = type(error)
    return f"{cls.__module__}:{cls.__qualname__}"


def model_fields(model: Model | None) -> JSONDict:
    """What a replay needs to know about a model: its name and capabilities."""
    if model is None:
        return {}
    return {"model": model.name, "capabilities": asdict(model.capabilities)}


class Recorder:
    """Records agent runs to a JSON Lines file while its ``with`` block is active.

    Made by :func:`llmkit.record`. Each line is one event of the run's model
    and tool boundary, in the order it happened, with ``t``: seconds since
    the recording started. Secrets are redacted before a line is written.
    The file is flushed line by line, so a crash leaves every line before it.
    """

    priority = INNERMOST
    name = "recorder"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.lines = 0
        """Lines written so far (the header included)."""
        self._file: IO[str] | None = None
        self._lock = threading.Lock()
        self._start = 0.0
        self._token: Token[tuple[object, ...]] | None = None
        self._agents: dict[str, str] = {}

    # ------------------------------------------------------------------ scope

    def __enter__(self) -> Recorder:
        if self._file is not None:
            raise UsageError("This recorder is already recording; make a new one with record().")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", encoding="utf-8")
        self._start = time.perf_counter()
        header = {
            "llmkit_recording": RECORDING_FORMAT,
            "llmkit": __version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self._write_line(json.dumps(header))
        self._token = SESSION_HOOKS.set((*SESSION_HOOKS.get(), self))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._token is not None:
            SESSION_HOOKS.reset(self._token)
            self._token = None
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    async def __aenter__(self) -> Recorder:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    # ----------------------------------------------------------------- writing

    def _write_line(self, text: str) -> None:
        with self._lock:
            if self._file is None:
                return  # a run outliving the with block: nothing more is written
            self._file.write(text + "\n")
            self._file.flush()
            self.lines += 1

    def write(self, event: Event, **extra: Any) -> None:
        """Append ``event`` (plus ``extra`` fields) as one line."""
        data = event_to_dict(event)
        data.update(extra)
        data["t"] = round(time.perf_counter() - self._start, 6)
        self._write_line(redact(json.dumps(data, ensure_ascii=False, default=str)))

    # ------------------------------------------------------------------- hooks

    def before_run(self, ctx: HookContext) -> None:
        """Write ``run.start`` with the history the run continues and its model."""
        messages = ctx.run.messages
        history = messages[: len(messages) - len(ctx.input)]
        self._agents[ctx.run_id] = ctx.run.agent
        extra: JSONDict = {"history": [m.to_dict() for m in history], **model_fields(ctx.model)}
        scope = current_scope()
        if scope is not None:
            # Inside a workflow step: which workflow run and which attempt (the path is the event's).
            extra["workflow"] = scope.run_id
            extra["attempt"] = scope.attempt
        self.write(RunStart(ctx.run_id, ctx.run.agent, list(ctx.input)), **extra)

    def after_run(self, ctx: HookContext, result: RunResult[Any]) -> None:
        """Write ``run.end`` with the run's result."""
        self._agents.pop(ctx.run_id, None)
        self.write(RunEnd(ctx.run_id, result))

    def before_model(self, ctx: HookContext, request: Request) -> None:
        """Write ``model.request``, with the agent and model that send it."""
        extra: JSONDict = {"agent": ctx.run.agent}
        if self._agents.get(ctx.run_id) != ctx.run.agent:
            # After a handoff: the replay needs the new agent's model and capabilities.
            self._agents[ctx.run_id] = ctx.run.agent
            extra.update(model_fields(ctx.model))
        elif ctx.model is not None:
            extra["model"] = ctx.model.name
        self.write(ModelRequest(ctx.run_id, ctx.run.step, request), **extra)

    def after_model(self, ctx: HookContext, request: Request, response: Response) -> None:
        """Write ``model.response``."""
        self.write(ModelResponse(response), run_id=ctx.run_id, step=ctx.run.step)

    def before_tool(self, ctx: HookContext, call: ToolCall) -> None:
        """Write ``tool.call``."""
        self.write(ToolCallEvent(ctx.run_id, ctx.run.step, call))

    def after_tool(self, ctx: HookContext, call: ToolCall, result: ToolResult) -> None:
        """Write ``tool.result``."""
        self.write(
            ToolResultEvent(ctx.run_id, ctx.run.step, result, round(ctx.elapsed, 6), ctx.tool_error)
        )

    def before_workflow(self, ctx: HookContext, state: Any) -> None:
        """Write ``workflow.start`` with the state the run starts on."""
        self.write(WorkflowStart(ctx.run_id, ctx.path, jsonable(state), path=ctx.path))

    def after_workflow(self, ctx: HookContext, result: Any) -> None:
        """Write ``workflow.end`` with the run's result (its JSON form)."""
        self.write(WorkflowEnd(ctx.run_id, ctx.path, "complete", result, path=ctx.path))

    def before_step(self, ctx: HookContext, input: Any) -> None:
        """Write ``workflow.step.start`` (with the input of a function, Step or tool step)."""
        kind = str(getattr(ctx.step, "kind", ""))
        extra: JSONDict = {}
        if kind in CHECKED_INPUT:
            extra["input"] = jsonable(input)
        self.write(WorkflowStepStart(ctx.run_id, kind, ctx.attempt, path=ctx.path), **extra)

    def after_step(self, ctx: HookContext, output: Any) -> None:
        """Write ``workflow.step.end`` with the attempt's output."""
        kind = str(getattr(ctx.step, "kind", ""))
        self.write(
            WorkflowStepEnd(
                ctx.run_id,
                kind,
                "ok",
                ctx.attempt,
                round(ctx.elapsed, 6),
                output=jsonable(output),
                path=ctx.path,
            )
        )

    def _step_failed(self, ctx: HookContext, error: BaseException) -> None:
        kind = str(getattr(ctx.step, "kind", ""))
        inner = getattr(error, "error", None)
        if kind not in LEAF_KINDS and isinstance(inner, BaseException):
            # A combinator's attempt fails with its child's failure, passed up wrapped.
            error = inner
        self.write(
            ErrorEvent(type(error).__name__, str(error), ctx.run_id, path=ctx.path),
            where="step",
            kind=kind,
            attempt=ctx.attempt,
            error_class=_error_class(error),
        )

    def _workflow_failed(self, ctx: HookContext, error: BaseException) -> None:
        extra: JSONDict = {"failed_at": str(getattr(error, "path", "") or ctx.path)}
        if hasattr(error, "state") and hasattr(error, "trace"):
            extra["state"] = jsonable(error.state)
            extra["trace"] = [
                record.to_dict() for record in error.trace if hasattr(record, "to_dict")
            ]
        self.write(
            WorkflowEnd(
                ctx.run_id,
                ctx.path,
                "failed",
                None,
                type(error).__name__,
                str(error),
                path=ctx.path,
            ),
            **extra,
        )

    def on_error(self, ctx: HookContext, error: BaseException) -> None:
        """Write ``error``: which call failed (``where``) and how (a failed workflow: ``workflow.end``)."""
        if ctx.kind == "step":
            self._step_failed(ctx, error)
            return
        if ctx.kind == "workflow":
            self._workflow_failed(ctx, error)
            return
        extra: JSONDict = {"where": ctx.kind, "step": ctx.run.step}
        if ctx.tool_call is not None:
            extra["call_id"] = ctx.tool_call.id
            extra["tool_name"] = getattr(error, "tool_name", None) or ctx.tool_call.name
        self.write(ErrorEvent(type(error).__name__, str(error), ctx.run_id or None), **extra)

    def __repr__(self) -> str:
        return f"<Recorder {str(self.path)!r} lines={self.lines}>"
