"""``LoggingHook``: runs, model calls, tool calls and workflows as stdlib ``logging`` records.

INFO: one record per model call and per tool call (and per run); for a
workflow, one when it starts, one when it ends and one per step that ends;
WARNING: a failed call, run, step attempt or workflow; DEBUG: the request,
response, arguments and results themselves (as JSON, secrets redacted).
Every record carries structured fields through ``extra=`` (``llmkit_event``,
``run_id``, ``agent``, ``step``, ``path``, ``model``, ``tool``,
``duration_ms``, ``input_tokens`` …), for JSON log formatters.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from llmkit._hooks.base import Hook, HookContext
from llmkit._redact import redact
from llmkit.types import Request, Response, ToolCall, ToolResult

if TYPE_CHECKING:
    from llmkit.run import RunResult

__all__ = ["LoggingHook"]


class LoggingHook(Hook):
    """Log every run, model call, tool call, workflow and step with the stdlib ``logging`` module.

    Args:
        logger: A logger or its name (default ``"llmkit"``).
        level: The level of the per-call records (default INFO).
        bodies: Also log request and response bodies at DEBUG (when DEBUG is enabled).
    """

    priority = 100

    def __init__(
        self,
        logger: logging.Logger | str = "llmkit",
        *,
        level: int = logging.INFO,
        bodies: bool = True,
    ) -> None:
        self.logger = logging.getLogger(logger) if isinstance(logger, str) else logger
        self.level = level
        self.bodies = bodies

    def _fields(self, ctx: HookContext, event: str) -> dict[str, Any]:
        run = ctx.run
        fields: dict[str, Any] = {"llmkit_event": event, "run_id": run.run_id or None}
        fields["agent"] = run.agent or None
        fields["step"] = run.step or None
        fields["path"] = ctx.path or None
        model = ctx.model
        fields["model"] = model.name if model is not None else None
        return fields

    def _emit(self, level: int, message: str, *args: Any, extra: dict[str, Any]) -> None:
        # makeRecord + handle, without Logger._log's search for the calling frame: it
        # would always find this module, and it is the dearest part of a record.
        logger = self.logger
        record = logger.makeRecord(
            logger.name, level, __file__, 0, message, args, None, extra=extra
        )
        logger.handle(record)

    def _body(self, fields: dict[str, Any], what: str, data: Any) -> None:
        if self.bodies and self.logger.isEnabledFor(logging.DEBUG):
            text = redact(json.dumps(data, ensure_ascii=False, default=str))
            self._emit(logging.DEBUG, "%s: %s", what, text, extra={**fields, "llmkit_body": True})

    # -------------------------------------------------------------------- runs

    def before_run(self, ctx: HookContext) -> None:
        """Log the start of a run (at DEBUG: the end of the run says what matters)."""
        if self.logger.isEnabledFor(logging.DEBUG):
            fields = self._fields(ctx, "run.start")
            self._emit(
                logging.DEBUG, "run %s of agent %r started", ctx.run_id, ctx.run.agent, extra=fields
            )

    def after_run(self, ctx: HookContext, result: RunResult[Any]) -> None:
        """Log the end of a run: status, model calls, tokens, duration."""
        if self.logger.isEnabledFor(self.level):
            usage = result.usage
            fields = self._fields(ctx, "run.end")
            fields.update(
                status=result.status,
                duration_ms=round(ctx.elapsed * 1000, 3),
                requests=usage.requests,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cost=usage.cost,
            )
            self._emit(
                self.level,
                "run %s %s: %d model calls, %d+%d tokens, %.1f ms",
                ctx.run_id,
                result.status,
                usage.requests,
                usage.input_tokens,
                usage.output_tokens,
                ctx.elapsed * 1000,
                extra=fields,
            )

    # ------------------------------------------------------------- model calls

    def before_model(self, ctx: HookContext, request: Request) -> None:
        """Log the request body at DEBUG."""
        if self.bodies and self.logger.isEnabledFor(logging.DEBUG):
            self._body(self._fields(ctx, "model.request"), "model request", request.to_dict())

    def after_model(self, ctx: HookContext, request: Request, response: Response) -> None:
        """Log the call: model, finish reason, tokens, duration (and the response at DEBUG)."""
        logger = self.logger
        if not logger.isEnabledFor(self.level):
            return
        usage = response.usage
        fields = self._fields(ctx, "model.response")
        duration = ctx.elapsed * 1000
        fields.update(
            duration_ms=round(duration, 3),
            finish_reason=response.finish_reason,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost=usage.cost,
            served_by=ctx.served_by,
            request_id=response.request_id,
        )
        self._emit(
            self.level,
            "model %s: %s, %d+%d tokens, %.1f ms%s",
            fields["model"],
            response.finish_reason,
            usage.input_tokens,
            usage.output_tokens,
            duration,
            f" (served by {ctx.served_by})" if ctx.served_by else "",
            extra=fields,
        )
        self._body(fields, "model response", response.to_dict())

    # -------------------------------------------------------------- tool calls

    def before_tool(self, ctx: HookContext, call: ToolCall) -> None:
        """Log the arguments at DEBUG."""
        if self.bodies and self.logger.isEnabledFor(logging.DEBUG):
            fields = self._fields(ctx, "tool.call")
            fields.update(tool=call.name, call_id=call.id)
            self._body(fields, f"tool {call.name} arguments", call.arguments)

    def after_tool(self, ctx: HookContext, call: ToolCall, result: ToolResult) -> None:
        """Log the call: tool, outcome, duration (and the result at DEBUG)."""
        logger = self.logger
        if not logger.isEnabledFor(self.level):
            return
        fields = self._fields(ctx, "tool.result")
        duration = ctx.elapsed * 1000
        fields.update(
            tool=call.name,
            call_id=call.id,
            is_error=result.is_error,
            duration_ms=round(duration, 3),
            served_by=ctx.served_by,
        )
        self._emit(
            self.level,
            "tool %s: %s, %.1f ms",
            call.name,
            "error" if result.is_error else "ok",
            duration,
            extra=fields,
        )
        self._body(fields, f"tool {call.name} result", result.to_dict())

    # --------------------------------------------------------------- workflows

    def before_workflow(self, ctx: HookContext, state: Any) -> None:
        """Log the start of a workflow run."""
        if self.logger.isEnabledFor(self.level):
            fields = self._fields(ctx, "workflow.start")
            self._emit(
                self.level, "workflow %s started (run %s)", ctx.path, ctx.run_id, extra=fields
            )

    def after_workflow(self, ctx: HookContext, result: Any) -> None:
        """Log the end of a workflow run: whether every step went well, steps, tokens, duration."""
        if self.logger.isEnabledFor(self.level):
            usage = getattr(result, "usage", None)
            steps = len(getattr(result, "trace", ()))
            status = "complete" if getattr(result, "ok", True) else "complete with failed steps"
            fields = self._fields(ctx, "workflow.end")
            fields.update(status=status, steps=steps, duration_ms=round(ctx.elapsed * 1000, 3))
            tokens = ""
            if usage is not None:
                fields.update(
                    input_tokens=usage.input_tokens,
                    output_tokens=usage.output_tokens,
                    cost=usage.cost,
                )
                tokens = f", {usage.input_tokens}+{usage.output_tokens} tokens"
            self._emit(
                self.level,
                "workflow %s %s: %d steps%s, %.1f ms",
                ctx.path,
                status,
                steps,
                tokens,
                ctx.elapsed * 1000,
                extra=fields,
            )

    def after_step(self, ctx: HookContext, output: Any) -> None:
        """Log a step attempt that succeeded: path, kind, attempt, duration."""
        if self.logger.isEnabledFor(self.level):
            kind = getattr(ctx.step, "kind", None)
            fields = self._fields(ctx, "workflow.step.end")
            duration = ctx.elapsed * 1000
            fields.update(kind=kind, attempt=ctx.attempt, duration_ms=round(duration, 3))
            self._emit(
                self.level,
                "step %s ok%s, %.1f ms",
                ctx.path,
                f" (attempt {ctx.attempt})" if ctx.attempt > 1 else "",
                duration,
                extra=fields,
            )

    # ------------------------------------------------------------------ errors

    def on_error(self, ctx: HookContext, error: BaseException) -> None:
        """Log a failed call or run at WARNING (no traceback; the error is raised on)."""
        if not self.logger.isEnabledFor(logging.WARNING):
            return
        fields = self._fields(ctx, f"{ctx.kind}.error")
        fields.update(error_type=type(error).__name__, duration_ms=round(ctx.elapsed * 1000, 3))
        what: str = ctx.kind
        if ctx.kind == "tool" and ctx.tool_call is not None:
            fields.update(tool=ctx.tool_call.name, call_id=ctx.tool_call.id)
            what = f"tool {ctx.tool_call.name}"
        elif ctx.kind == "model":
            what = f"model {fields['model']}"
        elif ctx.kind == "step":
            fields.update(attempt=ctx.attempt)
            what = f"step {ctx.path} (attempt {ctx.attempt})"
        elif ctx.kind == "workflow":
            what = f"workflow {ctx.path}"
        self._emit(
            logging.WARNING,
            "%s failed: %s: %s",
            what,
            type(error).__name__,
            redact(str(error)),
            extra=fields,
        )
