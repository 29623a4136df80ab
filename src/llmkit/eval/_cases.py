"""Evaluation sets: cases with an input, an expected tool trajectory and a reference answer.

::

    name: support
    agent: support_agent:agent        # module:attribute, looked up beside the file first
    trajectory_order: in_order        # exact | in_order | any_order
    thresholds: {trajectory: 1.0, token_f1: 0.5, judge: 0.7}
    judge:
      rubric: Polite, correct about the order, says what happens next.
    cases:
      - id: refund
        input: I want a refund for order 42
        expected_tools: [{name: lookup_order, arguments: {order_id: 42}}, refund]
        reference: Your refund for order 42 is on its way.

Instead of ``agent``, a set may give ``instructions`` (and ``tools``, a list of
``module:attribute`` references); the agent is then built around the model
named on the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmkit.errors import UsageError
from llmkit.testing.matchers import ORDERS, ToolCallMatcher, calls_tool, check_order
from llmkit.testing.scenario import load_data, load_object, value_from_data

__all__ = ["METRICS", "EvalCase", "EvalSet", "load_eval_set"]

METRICS: tuple[str, ...] = ("trajectory", "token_f1", "rouge1", "schema", "judge")
"""Every metric an evaluation can report, in report order."""

_SET_KEYS = frozenset(
    (
        "name",
        "description",
        "agent",
        "instructions",
        "tools",
        "model",
        "trajectory_order",
        "thresholds",
        "judge",
        "output_schema",
        "timeout",
        "cases",
    )
)
_CASE_KEYS = frozenset(
    (
        "id",
        "input",
        "expected_tools",
        "reference",
        "rubric",
        "output_schema",
        "trajectory_order",
    )
)


@dataclass(slots=True)
class EvalCase:
    """One case: what the user says, and what a good run does and answers."""

    id: str
    input: str
    expected_tools: list[ToolCallMatcher] | None = None
    """The tool calls a good run makes (None: the trajectory is not scored)."""
    reference: str | None = None
    """A reference answer, for the token F1 and ROUGE-1 scores."""
    rubric: str | None = None
    """What the judge looks for in this case (added to the set's rubric)."""
    output_schema: dict[str, Any] | None = None
    """A JSON schema the output must satisfy."""
    trajectory_order: str = "in_order"

    def metrics(self, eval_set: EvalSet | _RubricOnly, *, judging: bool) -> list[str]:
        """The metrics this case is scored on."""
        found = []
        if self.expected_tools is not None:
            found.append("trajectory")
        if self.reference is not None:
            found += ["token_f1", "rouge1"]
        if self.output_schema is not None:
            found.append("schema")
        if judging and (self.rubric or eval_set.rubric):
            found.append("judge")
        return found


@dataclass(slots=True)
class EvalSet:
    """A named list of cases, how to build the agent, and the thresholds that make it pass."""

    name: str
    cases: list[EvalCase]
    agent: Any = None
    """The agent under test (or None: built from ``instructions`` and ``tools``)."""
    instructions: str | None = None
    tools: list[Any] = field(default_factory=list)
    model: str | None = None
    """The model named in the file (the command line's ``--model`` wins)."""
    thresholds: dict[str, float] = field(default_factory=dict)
    """Least mean score per metric for the set to pass."""
    rubric: str | None = None
    judge_model: str | None = None
    timeout: float | None = None
    """Seconds one case may take."""
    path: Path | None = None


@dataclass(slots=True)
class _RubricOnly:
    rubric: str | None


def _threshold(name: str, value: Any) -> float:
    if name not in METRICS:
        raise UsageError(f"Unknown metric {name!r} in thresholds; metrics: {', '.join(METRICS)}.")
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise UsageError(f"The threshold for {name} must be a number from 0 to 1, not {value!r}.")
    return float(value)


def _expected_tools(value: Any, where: str) -> list[ToolCallMatcher]:
    if not isinstance(value, list):
        raise UsageError(f"{where}: expected_tools is a list of tool names or {{name, arguments}}.")
    calls: list[ToolCallMatcher] = []
    for item in value:
        if isinstance(item, str):
            calls.append(calls_tool(item))
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            arguments = item.get("arguments") or {}
            if not isinstance(arguments, dict):
                raise UsageError(f"{where}: the arguments of {item['name']!r} must be a mapping.")
            calls.append(calls_tool(item["name"], **value_from_data(arguments)))
        else:
            raise UsageError(f"{where}: {item!r} is not a tool name or {{name, arguments}}.")
    return calls


def _schema(value: Any, where: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise UsageError(f"{where}: output_schema must be a JSON schema (a mapping).")
    return value


def _case(data: Any, number: int, defaults: dict[str, Any]) -> EvalCase:
    where = f"Case {number}"
    if not isinstance(data, dict):
        raise UsageError(f"{where} must be a mapping with at least 'input'.")
    unknown = set(data) - _CASE_KEYS
    if unknown:
        raise UsageError(
            f"{where}: unknown keys {', '.join(sorted(unknown))}; known: {', '.join(sorted(_CASE_KEYS))}."
        )
    text = data.get("input")
    if not isinstance(text, str) or not text:
        raise UsageError(f"{where} needs an 'input' text.")
    case_id = str(data.get("id") or f"case-{number}")
    where = f"Case {case_id!r}"
    order = str(data.get("trajectory_order", defaults["trajectory_order"]))
    if order not in ORDERS:
        check_order(order)
    reference = data.get("reference")
    rubric = data.get("rubric")
    return EvalCase(
        id=case_id,
        input=text,
        expected_tools=(
            _expected_tools(data["expected_tools"], where) if "expected_tools" in data else None
        ),
        reference=None if reference is None else str(reference),
        rubric=None if rubric is None else str(rubric),
        output_schema=_schema(data.get("output_schema", defaults["output_schema"]), where),
        trajectory_order=order,
    )


def eval_set_from_dict(data: Any, *, path: Path | None = None) -> EvalSet:
    """An :class:`EvalSet` from its data form; bad data raises :class:`UsageError` naming the key."""
    if not isinstance(data, dict):
        raise UsageError("An eval set is a mapping with 'cases' (and 'name', 'agent' …).")
    unknown = set(data) - _SET_KEYS
    if unknown:
        raise UsageError(
            f"Unknown keys in the eval set: {', '.join(sorted(unknown))}. "
            f"Known: {', '.join(sorted(_SET_KEYS))}."
        )
    base_dir = path.resolve().parent if path is not None else None
    cases_data = data.get("cases")
    if not isinstance(cases_data, list) or not cases_data:
        raise UsageError("An eval set needs 'cases': a non-empty list.")
    order = str(data.get("trajectory_order", "in_order"))
    check_order(order)
    defaults = {
        "trajectory_order": order,
        "output_schema": _schema(data.get("output_schema"), "The eval set"),
    }
    cases = [_case(c, i, defaults) for i, c in enumerate(cases_data, 1)]
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise UsageError(f"Two cases are called {case.id!r}; case ids must be unique.")
        seen.add(case.id)
    judge = data.get("judge") or {}
    if not isinstance(judge, dict):
        raise UsageError("judge: give {rubric: ..., model: ...}.")
    agent = data.get("agent")
    if isinstance(agent, str):
        agent = load_object(agent, base_dir=base_dir, what="agent")
    tools = [
        load_object(t, base_dir=base_dir, what="tool") if isinstance(t, str) else t
        for t in data.get("tools") or []
    ]
    if agent is None and data.get("instructions") is None:
        raise UsageError(
            "The eval set names no agent: set 'agent: module:attribute', or 'instructions' "
            "(and 'tools') to build one."
        )
    thresholds = {k: _threshold(k, v) for k, v in (data.get("thresholds") or {}).items()}
    judge_rubric = judge.get("rubric")
    scored = {m for c in cases for m in c.metrics(_RubricOnly(judge_rubric), judging=True)}
    unscored = [m for m in thresholds if m not in scored]
    if unscored:
        raise UsageError(
            f"A threshold is set for {', '.join(unscored)}, but no case is scored on it "
            "(trajectory needs expected_tools, token_f1/rouge1 a reference, schema an "
            "output_schema, judge a rubric)."
        )
    timeout = data.get("timeout")
    return EvalSet(
        name=str(data.get("name") or (path.stem if path else "eval")),
        cases=cases,
        agent=agent,
        instructions=data.get("instructions"),
        tools=tools,
        model=data.get("model"),
        thresholds=thresholds,
        rubric=judge_rubric,
        judge_model=judge.get("model"),
        timeout=float(timeout) if timeout is not None else None,
        path=path,
    )


def load_eval_set(source: str | Path | dict[str, Any] | EvalSet) -> EvalSet:
    """An :class:`EvalSet` from a ``.yaml``/``.yml``/``.json`` file, a dict, or as is."""
    if isinstance(source, EvalSet):
        return source
    if isinstance(source, dict):
        return eval_set_from_dict(source)
    if not isinstance(source, str | Path):
        raise UsageError(
            f"An eval set is a mapping, a path or an EvalSet, not a {type(source).__name__}."
        )
    path = Path(source)
    return eval_set_from_dict(load_data(path), path=path)
