"""Scenarios written as data (YAML, JSON or dicts).

::

    name: refund flow
    agent: support:agent            # module:attribute, looked up beside the file first
    over_http: anthropic            # optional
    turns:
      - user: I want a refund for order 42
      - model: {calls_tool: lookup_order, arguments: {order_id: 42}}
      - model: Your refund is on its way.
      - expect:
          - calls_tool: {name: lookup_order, arguments: {order_id: 42}}
          - says: {contains: refund}

Model turns: text; ``{calls_tool: name, arguments: {...}}``; ``{calls_tools: [...]}``
(several calls in one answer); ``{output: value}``; ``{fault: ...}`` (``{status: 429,
retry_after: 0}``, ``context_length``, ``{drop: 2}``, ``{slow: 0.5, then: text}``,
``malformed_json``, ``html``); ``{error: RateLimitError}``.

Expectations (one-key mappings): ``calls_tool``, ``calls_tools`` (``{calls: [...],
order: ...}``), ``says`` (text or ``{contains, equals, matches, ignore_case}``),
``output`` (an expected value), ``event`` (``{topic, ...fields}``), ``raises``
(an error name or ``{type, match}``), ``usage`` (fields), ``not``, ``any_of``,
``all_of``. Values may hold ``$`` matchers (``{$approx: 12.5}``).

This module fills a scenario it is given the factory of (a :class:`ScenarioBuilder`),
so it does not import :mod:`llmkit.testing.scenario`, which imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from llmkit import errors as _errors
from llmkit.errors import UsageError
from llmkit.testing._fault import Fault
from llmkit.testing._loading import load_object, load_yaml, value_from_data
from llmkit.testing._match import Matcher, all_of, any_of, not_
from llmkit.testing._scenario.script import OutputTurn
from llmkit.testing._script import ScriptExhaustedError
from llmkit.testing.matchers import (
    ToolCallMatcher,
    calls_tool,
    calls_tools,
    event,
    output_matches,
    raises,
    says,
    usage,
)
from llmkit.types import ToolCall

if TYPE_CHECKING:
    from llmkit.agent import Agent

__all__ = [
    "ScenarioBuilder",
    "error_type",
    "expectation_from_data",
    "load_yaml",
    "scenario_from_dict",
]

_SCENARIO_KEYS = frozenset(("name", "agent", "over_http", "stream", "turns", "expect"))


class ScenarioBuilder(Protocol):
    """What :func:`scenario_from_dict` fills: the declaring methods of a scenario.

    :class:`~llmkit.testing.Scenario` is one; its class is the factory, called as
    ``make(agent, name=..., over_http=..., stream=..., **options)``.
    """

    def user(self, message: Any, /) -> object:
        """The user says ``message``: a new run starts."""
        ...

    def model_turn(self, turn: Any) -> object:
        """The model's next answer is ``turn``."""
        ...

    def expect(self, *matchers: Any) -> object:
        """What must hold for the latest run."""
        ...


B = TypeVar("B", bound=ScenarioBuilder)


def scenario_from_dict(
    make: Callable[..., B],
    data: dict[str, Any],
    *,
    agent: Agent[Any] | None,
    options: dict[str, Any],
    base_dir: Path | None = None,
) -> B:
    """The scenario ``make(agent, ...)`` builds, filled from ``data``."""
    unknown = set(data) - _SCENARIO_KEYS
    if unknown:
        raise UsageError(
            f"Unknown scenario keys: {', '.join(sorted(unknown))}. "
            f"Known: {', '.join(sorted(_SCENARIO_KEYS))}."
        )
    if agent is None:
        ref = data.get("agent")
        if not isinstance(ref, str):
            raise UsageError(
                "The scenario names no agent: pass agent=..., or set 'agent: module:attribute'."
            )
        agent = load_object(ref, base_dir=base_dir, what="agent")
    settings = {"name": data.get("name", "scenario")}
    for key in ("over_http", "stream"):
        if key in data:
            settings[key] = data[key]
    scenario = make(agent, **{**settings, **options})
    turns = data.get("turns")
    if not isinstance(turns, list) or not turns:
        raise UsageError("A scenario needs 'turns': a list of user, model and expect entries.")
    for number, entry in enumerate(turns, 1):
        _add_turn(scenario, entry, number)
    if "expect" in data:
        scenario.expect(*_expectations(data["expect"]))
    return scenario


def _add_turn(scenario: ScenarioBuilder, entry: Any, number: int) -> None:
    if not isinstance(entry, dict) or len(entry) != 1:
        raise UsageError(
            f"Turn {number} must be a one-key mapping (user:, model: or expect:), got {entry!r}."
        )
    kind, value = next(iter(entry.items()))
    if kind == "user":
        scenario.user(value)
    elif kind == "model":
        scenario.model_turn(_model_turn(value, number))
    elif kind == "expect":
        scenario.expect(*_expectations(value))
    else:
        raise UsageError(f"Turn {number}: unknown kind {kind!r}; use user, model or expect.")


def _call(data: Any, where: str) -> ToolCall:
    if isinstance(data, str):
        return ToolCall("", data, {})
    if isinstance(data, dict) and isinstance(data.get("name"), str):
        arguments = data.get("arguments") or {}
        if not isinstance(arguments, dict):
            raise UsageError(f"{where}: 'arguments' must be a mapping.")
        return ToolCall("", data["name"], arguments)
    raise UsageError(f"{where}: a tool call is a name or {{name: ..., arguments: {{...}}}}.")


def _model_turn(value: Any, number: int) -> Any:
    where = f"Turn {number}"
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        raise UsageError(f"{where}: a model turn is text or a mapping, got {value!r}.")
    if "calls_tool" in value:
        return ToolCall("", str(value["calls_tool"]), dict(value.get("arguments") or {}))
    if "calls_tools" in value:
        calls = value["calls_tools"]
        if not isinstance(calls, list) or not calls:
            raise UsageError(f"{where}: calls_tools is a non-empty list of calls.")
        return [_call(c, where) for c in calls]
    if "output" in value:
        return OutputTurn(value["output"])
    if "fault" in value:
        return fault_from_data(value["fault"], where)
    if "error" in value:
        return error_type(str(value["error"]))
    raise UsageError(
        f"{where}: a model turn mapping has calls_tool, calls_tools, output, fault or error."
    )


# The Fault constructors a data fault may name, by the key that names them.
_FAULTS: dict[str, Callable[..., Fault]] = {
    "status": Fault.status,
    "context_length": Fault.context_length,
    "drop": Fault.drop,
    "slow": Fault.slow,
    "malformed_json": Fault.malformed_json,
    "html": Fault.html,
}


def fault_from_data(data: Any, where: str) -> Fault:
    """A :class:`Fault` from ``"context_length"`` or ``{status: 429, retry_after: 0}``-style data."""
    if isinstance(data, str) and data in _FAULTS:
        return _FAULTS[data]()
    if isinstance(data, dict):
        kinds = [k for k in data if k in _FAULTS]
        if len(kinds) == 1:
            kind = kinds[0]
            options = {k: v for k, v in data.items() if k != kind}
            argument = data[kind]
            make = _FAULTS[kind]
            try:
                if argument is None:
                    return make(**options)
                return make(argument, **options)
            except TypeError as exc:
                raise UsageError(f"{where}: fault {data!r}: {exc}.") from None
    raise UsageError(f"{where}: a fault is one of {', '.join(_FAULTS)}, e.g. {{status: 429}}.")


def error_type(name: str) -> type[BaseException]:
    """The llmkit error class called ``name`` (``RateLimitError``, ``UsageLimitExceeded`` …)."""
    if name == "ScriptExhaustedError":
        return ScriptExhaustedError
    value = getattr(_errors, name, None)
    if isinstance(value, type) and issubclass(value, BaseException):
        return value
    known = sorted(n for n in _errors.__all__ if n[0].isupper())
    raise UsageError(f"Unknown error type {name!r}; llmkit's errors are {', '.join(known)}.")


def _expectations(data: Any) -> list[Matcher]:
    items = data if isinstance(data, list) else [data]
    return [expectation_from_data(item) for item in items]


def expectation_from_data(data: Any) -> Matcher:
    """The matcher a one-key mapping such as ``{says: {contains: refund}}`` stands for."""
    if not isinstance(data, dict) or len(data) != 1:
        raise UsageError(
            f"An expectation is a one-key mapping such as {{says: ...}}, got {data!r}."
        )
    kind, value = next(iter(data.items()))
    make: Any = _EXPECTATIONS.get(kind)
    if make is None:
        raise UsageError(
            f"Unknown expectation {kind!r}; known: {', '.join(sorted(_EXPECTATIONS))}."
        )
    matcher: Matcher = make(value)
    return matcher


def _calls_tool(value: Any) -> ToolCallMatcher:
    if isinstance(value, str):
        return calls_tool(value)
    if not isinstance(value, dict) or "name" not in value:
        raise UsageError("calls_tool: give a name, or {name: ..., arguments: {...}}.")
    matcher = calls_tool(str(value["name"]), **value_from_data(value.get("arguments") or {}))
    if value.get("exact"):
        matcher = matcher.exact()
    if "times" in value:
        matcher = matcher.times(int(value["times"]))
    return matcher


def _calls_tools(value: Any) -> Matcher:
    if isinstance(value, list):
        value = {"calls": value}
    if not isinstance(value, dict) or not isinstance(value.get("calls"), list):
        raise UsageError("calls_tools: give {calls: [...], order: in_order|any_order|exact}.")
    calls = [_calls_tool(c) for c in value["calls"]]
    return calls_tools(*calls, order=str(value.get("order", "in_order")))


def _says(value: Any) -> Matcher:
    if isinstance(value, str):
        return says(contains=value)
    if not isinstance(value, dict):
        raise UsageError("says: give text, or {contains, equals, matches, ignore_case}.")
    return says(**value)


def _event(value: Any) -> Matcher:
    if isinstance(value, str):
        return event(value)
    if not isinstance(value, dict) or "topic" not in value:
        raise UsageError("event: give a topic, or {topic: ..., field: value ...}.")
    fields = {k: value_from_data(v) for k, v in value.items() if k not in ("topic", "times")}
    matcher = event(str(value["topic"]), **fields)
    return matcher.times(int(value["times"])) if "times" in value else matcher


def _raises(value: Any) -> Matcher:
    if isinstance(value, str):
        return raises(error_type(value))
    if isinstance(value, dict) and "type" in value:
        return raises(error_type(str(value["type"])), match=value.get("match"))
    raise UsageError("raises: give an error name, or {type: ..., match: regex}.")


_EXPECTATIONS: dict[str, Any] = {
    "calls_tool": _calls_tool,
    "calls_tools": _calls_tools,
    "says": _says,
    "output": lambda v: output_matches(value_from_data(v)),
    "event": _event,
    "raises": _raises,
    "usage": lambda v: usage(**value_from_data(v)),
    "not": lambda v: not_(expectation_from_data(v)),
    "any_of": lambda v: any_of(*(expectation_from_data(x) for x in v)),
    "all_of": lambda v: all_of(*(expectation_from_data(x) for x in v)),
}
