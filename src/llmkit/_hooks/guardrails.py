"""``Guardrail``: checks on what goes in and what comes out, with a tripwire that stops the run.

A check is a function of the text (sync or async). It passes by returning
None or True, and trips by returning False or a string saying why (or by
raising :class:`~llmkit.errors.GuardrailTripped` itself). A tripped check
stops the run with ``GuardrailTripped``: ``stage`` says ``"input"`` or
``"output"``, ``reason`` what the check said, and ``messages`` holds the
conversation up to that point.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from llmkit._hooks.base import Hook, HookContext
from llmkit.errors import GuardrailTripped, UsageError
from llmkit.types import Message, Request, Response

if TYPE_CHECKING:
    from llmkit.run import RunResult

__all__ = ["Check", "Guardrail"]

Check: TypeAlias = Callable[[str], "bool | str | Awaitable[bool | str | None] | None"]
"""A check of a text: None/True passes; False or a reason trips the guardrail."""


class Guardrail(Hook):
    """Validate a run's input and its final output (or a plain model call's request and response).

    Args:
        input: Checks the text of the run's new user messages before the first model call.
        output: Checks the final output (text, or the JSON of structured output)
            before the run returns it; for a plain model call, the response text.
        name: Names the guardrail in errors (default: the check's function name).
    """

    priority = 50

    def __init__(
        self,
        *,
        input: Check | None = None,
        output: Check | None = None,
        name: str | None = None,
    ) -> None:
        if input is None and output is None:
            raise UsageError("Guardrail needs a check: pass input=..., output=..., or both.")
        self.input = input
        self.output = output
        check = input if input is not None else output
        self._name = name or getattr(check, "__name__", None) or "guardrail"

    @property
    def name(self) -> str:
        """How errors name this guardrail."""
        return self._name

    async def _check(self, check: Check, text: str, stage: str, point: str) -> None:
        verdict = check(text)
        if inspect.isawaitable(verdict):
            verdict = await verdict
        if verdict is None or verdict is True:
            return
        reason = verdict if isinstance(verdict, str) else "the check failed"
        raise GuardrailTripped(
            f"Guardrail {self._name!r} tripped on the {stage}: {reason}",
            hook=self._name,
            point=point,
            stage=stage,
            reason=reason,
        )

    async def before_run(self, ctx: HookContext) -> None:
        """Check the run's new user messages."""
        if self.input is not None:
            text = _user_text(ctx.input)
            if text:
                await self._check(self.input, text, "input", "before_run")

    async def after_run(self, ctx: HookContext, result: RunResult[Any]) -> None:
        """Check the final output of a completed run."""
        if self.output is not None and result.status == "complete":
            output = result.output
            if not isinstance(output, str):
                spec = result.output_spec
                data = spec.to_json(output) if spec is not None else output
                output = json.dumps(data, ensure_ascii=False, default=str)
            await self._check(self.output, output, "output", "after_run")

    async def before_model(self, ctx: HookContext, request: Request) -> None:
        """For a plain model call: check the request's last user message."""
        if self.input is not None and ctx.parent is None:
            last = next((m for m in reversed(request.messages) if m.role == "user"), None)
            if last is not None and last.text:
                await self._check(self.input, last.text, "input", "before_model")

    async def after_model(self, ctx: HookContext, request: Request, response: Response) -> None:
        """For a plain model call: check the response text."""
        if self.output is not None and ctx.parent is None and response.text:
            await self._check(self.output, response.text, "output", "after_model")


def _user_text(messages: list[Message]) -> str:
    return "\n".join(m.text for m in messages if m.role == "user" and m.text)
