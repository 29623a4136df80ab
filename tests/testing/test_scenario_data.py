"""Scenarios written as YAML or dicts: every turn kind, every expectation kind, and bad data."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from llmkit import Agent, tool
from llmkit.errors import UsageError
from llmkit.testing import Scenario, ScenarioFailed

REFUND = """
name: refund flow
turns:
  - user: I want a refund for order 42
  - model: {calls_tool: lookup_order, arguments: {order_id: 42}}
  - model:
      calls_tools:
        - {name: refund, arguments: {order_id: 42, amount: 19.99}}
        - note_refund
  - model: Your refund of 19.99 EUR is on its way.
  - expect:
      - calls_tool: {name: lookup_order, arguments: {order_id: 42}, times: 1}
      - calls_tools: {calls: [lookup_order, {name: refund, arguments: {amount: {$approx: 19.99}}}], order: in_order}
      - says: {contains: refund, matches: '\\d+\\.\\d+ EUR'}
      - says: on its way
      - event: {topic: tool.result, result: {$anything: null}}
      - usage: {requests: 3, total_tokens: {$at_most: 10000}}
      - not: {calls_tool: delete_account}
      - any_of: [{says: nope}, {says: refund}]
      - all_of: [{calls_tool: refund}, {calls_tool: note_refund}]
  - user: thanks
  - model: {fault: {status: 429, retry_after: 0}}
  - expect: {raises: RateLimitError}
"""


@tool
def lookup_order(order_id: int) -> dict:
    """Look up an order."""
    return {"order_id": order_id, "total": 19.99}


@tool
def refund(order_id: int, amount: float) -> str:
    """Refund an order."""
    return "ok"


@tool
def note_refund() -> str:
    """Note that a refund happened."""
    return "noted"


agent = Agent("openai/gpt-4.1-mini", tools=[lookup_order, refund, note_refund])


def test_yaml_text_with_every_kind_of_turn_and_expectation() -> None:
    scenario = Scenario.from_yaml(REFUND, agent=agent)
    assert scenario.name == "refund flow"
    result = scenario.run()
    assert result.passed and len(result) == 2


def test_a_yaml_file_names_its_agent_beside_it(tmp_path: Path) -> None:
    (tmp_path / "shop_agents.py").write_text(
        textwrap.dedent(
            """
            from pydantic import BaseModel
            from llmkit import Agent

            class Quote(BaseModel):
                item: str
                price: float

            quoter = Agent("openai/gpt-4.1-mini", output_type=Quote, output_mode="tool")
            """
        )
    )
    (tmp_path / "quote.yaml").write_text(
        textwrap.dedent(
            """
            name: quote
            agent: shop_agents:quoter
            over_http: true
            turns:
              - user: price of tea?
              - model: {output: {item: tea, price: 3.5}}
            expect:
              - output: {item: tea, price: {$approx: 3.5}}
              - calls_tool: final_result
            """
        )
    )
    result = Scenario.from_yaml(tmp_path / "quote.yaml").run()
    assert result.passed
    assert Scenario.from_yaml(str(tmp_path / "quote.yaml")).run().passed


def test_data_builds_the_scenario_class_it_is_read_through() -> None:
    class NamedScenario(Scenario):
        """A user's own scenario class."""

    data = {"name": "mine", "turns": [{"user": "hi"}, {"model": "hello"}]}
    scenario = NamedScenario.from_dict(data, agent=agent)
    assert type(scenario) is NamedScenario
    assert scenario.name == "mine"
    assert scenario.run().passed
    from_yaml = NamedScenario.from_yaml("turns: [{user: hi}, {model: hello}]", agent=agent)
    assert type(from_yaml) is NamedScenario


def test_faults_errors_and_failing_yaml_expectations() -> None:
    data = {
        "turns": [
            {"user": "hi"},
            {"model": {"fault": {"drop": None}}},
            {"expect": {"raises": {"type": "ProviderConnectionError", "match": "closed"}}},
            {"user": "again"},
            {"model": {"error": "OverloadedError"}},
            {"expect": {"raises": "OverloadedError"}},
            {"user": "and again"},
            {"model": "plain"},
            {"expect": [{"says": {"equals": "other"}}]},
        ]
    }
    with pytest.raises(ScenarioFailed) as caught:
        Scenario.from_dict(data, agent=agent).run()
    assert "user turn 3 of 3: FAILED" in str(caught.value)
    assert "user turn 1 of 3: passed" in str(caught.value)


def test_each_fault_form_builds_its_fault() -> None:
    data = {
        "turns": [
            {"user": "too long"},
            {"model": {"fault": "context_length"}},
            {"expect": {"raises": "ContextLengthError"}},
            {"user": "slow"},
            {"model": {"fault": {"slow": 0, "then": "late but here"}}},
            {"expect": {"says": {"equals": "late but here"}}},
            {"user": "busy"},
            {"model": {"fault": {"status": 503, "message": "busy now"}}},
            {"expect": {"raises": {"type": "OverloadedError", "match": "busy now"}}},
        ]
    }
    assert Scenario.from_dict(data, agent=agent).run().passed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"turns": [{"user": "x"}], "extra": 1}, "Unknown scenario keys: extra"),
        ({"turns": []}, "A scenario needs 'turns'"),
        ({"turns": [{"user": "x", "model": "y"}]}, "Turn 1 must be a one-key mapping"),
        ({"turns": [{"assistant": "x"}]}, "Turn 1: unknown kind 'assistant'"),
        ({"turns": [{"user": "x"}, {"model": 3}]}, "Turn 2: a model turn is text or a mapping"),
        (
            {"turns": [{"user": "x"}, {"model": {"say": "x"}}]},
            "has calls_tool, calls_tools, output",
        ),
        ({"turns": [{"user": "x"}, {"model": {"fault": "meltdown"}}]}, "a fault is one of status"),
        ({"turns": [{"user": "x"}, {"model": {"fault": {"status": 200}}}]}, "error status"),
        (
            {"turns": [{"user": "x"}, {"model": {"fault": {"status": 429, "wait": 1}}}]},
            "Turn 2: fault .* unexpected keyword argument 'wait'",
        ),
        ({"turns": [{"user": "x"}, {"model": {"error": "Oops"}}]}, "Unknown error type 'Oops'"),
        ({"turns": [{"user": "x"}, {"expect": {"smiles": 1}}]}, "Unknown expectation 'smiles'"),
        (
            {
                "turns": [
                    {"user": "x"},
                    {"expect": {"calls_tool": {"name": "a", "arguments": {"b": {"$near": 1}}}}},
                ]
            },
            "Unknown matcher '\\$near'",
        ),
        (
            {
                "turns": [
                    {"user": "x"},
                    {"expect": {"calls_tools": {"calls": ["a"], "order": "loose"}}},
                ]
            },
            "order must be one of",
        ),
        ({"turns": [{"user": "x"}, {"expect": {"says": 3}}]}, "says: give text"),
        ({"turns": [{"user": "x"}, {"expect": {"event": 3}}]}, "event: give a topic"),
        ({"turns": [{"user": "x"}, {"expect": {"raises": 3}}]}, "raises: give an error name"),
        (
            {"turns": [{"user": "x"}, {"expect": {"usage": {"tokens": 1}}}]},
            "usage\\(\\) takes fields",
        ),
        ({"turns": [{"user": "x"}]}, None),
    ],
)
def test_bad_data_names_the_problem(data: dict, message: str | None) -> None:
    if message is None:
        with pytest.raises(UsageError, match="names no agent"):
            Scenario.from_dict(data)
        return
    with pytest.raises(UsageError, match=message):
        Scenario.from_dict(data, agent=agent)


def test_bad_agent_references(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="write it as 'module:attribute'"):
        Scenario.from_dict({"agent": "nocolon", "turns": [{"user": "x"}]})
    with pytest.raises(UsageError, match="cannot import 'no_such_module_xyz'"):
        Scenario.from_dict({"agent": "no_such_module_xyz:a", "turns": [{"user": "x"}]})
    with pytest.raises(UsageError, match="has no 'nope'"):
        Scenario.from_dict({"agent": "llmkit:nope", "turns": [{"user": "x"}]})
    with pytest.raises(UsageError, match="is not valid YAML"):
        Scenario.from_yaml("turns: [unclosed\n", agent=agent)
    with pytest.raises(UsageError, match="No such file"):
        Scenario.from_yaml(tmp_path / "missing.yaml", agent=agent)
    with pytest.raises(UsageError, match="A YAML scenario is a mapping"):
        Scenario.from_yaml("- a\n- b\n", agent=agent)


def test_missing_pyyaml_names_the_extra() -> None:
    code = (
        "import sys\nsys.modules['yaml'] = None\n"
        "from llmkit import Agent\nfrom llmkit.testing import Scenario\n"
        "try:\n    Scenario.from_yaml('turns: []\\n', agent=Agent('openai/x'))\n"
        "except Exception as exc:\n    print(type(exc).__name__, '|', exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.strip() == (
        "MissingExtraError | Reading YAML needs pyyaml: pip install 'llmkit[eval]'."
    )


def test_an_alias_bomb_in_a_scenario_is_refused_before_it_expands(yaml_bomb: str) -> None:
    with pytest.raises(UsageError, match=r"refused as YAML: .*alias bomb"):
        Scenario.from_yaml(
            "turns:\n  - user: hi\n"
            f"  - model: {{calls_tool: refund, arguments: {{order_id: {yaml_bomb}}}}}\n",
            agent=agent,
        )
