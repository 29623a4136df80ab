"""Running an evaluation: every case through the agent, concurrently, then scored.

The cases run as one :func:`llmkit.batch` (the one runner of many runs): ``concurrency``
cases at once, results in case order, progress after each case.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from llmkit._plural import plural
from llmkit._sync import run_sync
from llmkit.errors import UsageError
from llmkit.eval._cases import EvalCase, EvalSet, load_eval_set
from llmkit.eval._judge import judge_agent, judge_answer
from llmkit.eval._metrics import rouge1, schema_errors, token_f1, trajectory_score
from llmkit.eval._report import CaseResult, EvalReport
from llmkit.testing import Observation, observe
from llmkit.testing.matchers import NO_OUTPUT, format_call

if TYPE_CHECKING:
    from llmkit.agent import Agent
    from llmkit.providers.base import Model
    from llmkit.workflow import BatchProgress

__all__ = ["Progress", "evaluate", "evaluate_sync"]

ProgressCallback = Callable[[CaseResult, int, int], None]
"""Called after each case: ``(result, cases done, cases in all)``."""


class Progress:
    """A progress display for a stream (stderr by default): one updating line on a terminal,
    one line per case otherwise."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._failed = 0

    def __call__(self, case: CaseResult, done: int, total: int) -> None:
        if case.error is not None:
            self._failed += 1
        if self._tty:
            errors = f", {plural(self._failed, 'error')}" if self._failed else ""
            self._stream.write(f"\r\x1b[2K[{done}/{total}] {case.id[:50]}{errors}")
            if done == total:
                self._stream.write("\n")
        else:
            status = f"error: {case.error[:80]}" if case.error else f"{case.duration:.2f}s"
            self._stream.write(f"[{done}/{total}] {case.id}: {status}\n")
        self._stream.flush()


def _text_of(output: Any, obs: Observation) -> str:
    if isinstance(output, str):
        return output
    if output is NO_OUTPUT:
        return obs.text or ""
    from pydantic_core import to_json

    return to_json(output).decode()


def _json_value(output: Any) -> tuple[Any, str | None]:
    """The output as JSON data (text is parsed), or why it is not JSON."""
    if output is NO_OUTPUT:
        return None, "the run has no output"
    if isinstance(output, str):
        from llmkit.output import NoJSONError, parse_json

        try:
            return parse_json(output), None
        except NoJSONError as exc:
            return None, f"the answer is not JSON: {exc}"
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(output), None


async def _run_case(
    agent: Agent[Any],
    case: EvalCase,
    eval_set: EvalSet,
    judge: Agent[Any] | None,
) -> CaseResult:
    started = time.perf_counter()
    error: BaseException | None = None
    result = None
    try:
        result = await agent.run(case.input, timeout=eval_set.timeout)
    except Exception as exc:
        error = exc
    obs = observe(result if result is not None else error)
    output = obs.output
    record = CaseResult(
        case.id,
        case.input,
        output=None if output is NO_OUTPUT else output,
        tool_calls=[format_call(c.name, c.arguments) for c in obs.tool_calls],
        error=None if error is None else f"{type(error).__name__}: {error}",
        usage=obs.usage or _usage_of(error),
    )
    answer = _text_of(output, obs)
    if case.expected_tools is not None:
        score, why = trajectory_score(case.expected_tools, obs.tool_calls, case.trajectory_order)
        record.scores["trajectory"] = score
        if why:
            record.notes["trajectory"] = why
    if case.reference is not None:
        record.scores["token_f1"] = token_f1(answer, case.reference)
        record.scores["rouge1"] = rouge1(answer, case.reference)
    if case.output_schema is not None:
        value, not_json = _json_value(output)
        problems = [not_json] if not_json else schema_errors(value, case.output_schema)
        record.scores["schema"] = 0.0 if problems else 1.0
        if problems:
            record.notes["schema"] = "; ".join(problems)[:500]
    rubric = "\n\n".join(r for r in (eval_set.rubric, case.rubric) if r)
    if judge is not None and rubric:
        verdict = await judge_answer(
            judge,
            rubric=rubric,
            question=case.input,
            answer=answer,
            reference=case.reference,
            tool_calls=record.tool_calls,
        )
        record.scores["judge"] = verdict.normalized
        record.notes["judge"] = verdict.error or verdict.reasoning
        if verdict.usage is not None:
            record.usage = record.usage + verdict.usage
    record.duration = time.perf_counter() - started
    return record


def _usage_of(error: BaseException | None) -> Any:
    from llmkit.types import Usage

    found = getattr(error, "usage", None)
    return found if isinstance(found, Usage) else Usage()


def _agent_for(eval_set: EvalSet, model: Model | str | None) -> tuple[Agent[Any], Model | None]:
    from llmkit.agent import Agent
    from llmkit.providers import model as make_model

    chosen = model if model is not None else eval_set.model
    resolved = make_model(chosen) if chosen is not None else None
    if eval_set.agent is not None:
        if not isinstance(eval_set.agent, Agent):
            raise UsageError(
                f"The eval set's agent is a {type(eval_set.agent).__name__}, not an Agent."
            )
        return eval_set.agent, resolved
    if resolved is None:
        raise UsageError(
            f"The eval set {eval_set.name!r} builds its agent from instructions: name a model "
            "(--model provider/model, or model= in the file)."
        )
    agent: Agent[Any] = Agent(resolved, instructions=eval_set.instructions, tools=eval_set.tools)
    return agent, None


async def evaluate(
    eval_set: EvalSet | str | Path | dict[str, Any],
    *,
    model: Model | str | None = None,
    judge_model: Model | str | None = None,
    concurrency: int = 4,
    progress: ProgressCallback | bool | None = None,
) -> EvalReport:
    """Run every case of ``eval_set`` and score it; returns the :class:`EvalReport`.

    ``model`` replaces the agent's model (``agent.override``) or, for a set
    built from instructions, is its model. ``judge_model`` grades the
    answers of cases with a rubric (default: the set's ``judge.model``, else
    the evaluated model). ``concurrency`` cases run at once. ``progress=True``
    shows progress on stderr; a function gets ``(result, done, total)``.
    """
    if not isinstance(concurrency, int) or concurrency < 1:
        raise UsageError(f"concurrency must be a whole number of at least 1, not {concurrency!r}.")
    chosen = load_eval_set(eval_set)
    agent, override = _agent_for(chosen, model)
    from llmkit.providers import model as make_model
    from llmkit.workflow import batch

    judging = judge_model if judge_model is not None else chosen.judge_model
    judge_source = judging if judging is not None else (override or agent.model)
    needs_judge = bool(chosen.rubric) or any(c.rubric for c in chosen.cases)
    judge = None
    judge_name = None
    if needs_judge:
        if judge_source is None:
            raise UsageError("Cases have a rubric but there is no judge model: pass judge_model=.")
        judge_resolved = make_model(judge_source)
        judge = judge_agent(judge_resolved)
        judge_name = judge_resolved.name
    report_progress: ProgressCallback | None
    report_progress = Progress() if progress is True else progress or None
    total = len(chosen.cases)
    started = time.perf_counter()

    async def one(case: EvalCase) -> CaseResult:
        return await _run_case(agent, case, chosen, judge)

    def report(step: BatchProgress) -> None:
        # A case that raised has no CaseResult: fail-fast raises its error right after this.
        finished = step.outcome
        if report_progress is not None and finished is not None and finished.error is None:
            report_progress(finished.output, step.done, total)

    # A failed agent run is a scored case (_run_case keeps its error); anything else that
    # raises (a scorer, the judge's setup) stops the evaluation, as it always has.
    with agent.override(model=override) if override is not None else nullcontext():
        outcome = await batch(
            one,
            chosen.cases,
            concurrency=concurrency,
            progress=report if report_progress is not None else False,
            fail_fast=True,
        )
    results: list[CaseResult] = outcome.outputs
    shown = override if override is not None else agent.model
    return EvalReport(
        chosen.name,
        shown if isinstance(shown, str) else getattr(shown, "name", "?"),
        results,
        dict(chosen.thresholds),
        judge_name,
        time.perf_counter() - started,
    )


def evaluate_sync(
    eval_set: EvalSet | str | Path | dict[str, Any],
    *,
    model: Model | str | None = None,
    judge_model: Model | str | None = None,
    concurrency: int = 4,
    progress: ProgressCallback | bool | None = None,
) -> EvalReport:
    """Blocking twin of :func:`evaluate` (for scripts and plain pytest tests)."""
    return run_sync(
        evaluate(
            eval_set,
            model=model,
            judge_model=judge_model,
            concurrency=concurrency,
            progress=progress,
        )
    )
