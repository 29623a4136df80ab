"""Loading evaluation sets: files, references beside them, and bad data named precisely."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from llmkit import Agent
from llmkit.errors import UsageError
from llmkit.eval import load_eval_set

AGENT = Agent("openai/gpt-4.1-mini")


def good(**changes: object) -> dict:
    data: dict = {
        "name": "s",
        "agent": AGENT,
        "cases": [{"id": "a", "input": "hi", "expected_tools": ["x"], "reference": "hello"}],
    }
    data.update(changes)
    return data


def test_yaml_and_json_files_and_an_agent_beside_them(tmp_path: Path) -> None:
    (tmp_path / "bots.py").write_text(
        "from llmkit import Agent\nbot = Agent('openai/gpt-4.1-mini', name='bot')\n"
    )
    (tmp_path / "set.yaml").write_text(
        textwrap.dedent(
            """
            agent: bots:bot
            trajectory_order: any_order
            thresholds: {trajectory: 0.5}
            judge: {rubric: Be nice., model: anthropic/claude-sonnet-4-5}
            cases:
              - input: hi
                expected_tools: [{name: greet, arguments: {who: {$anything: null}}}]
              - {id: two, input: bye, trajectory_order: exact, rubric: Says bye.}
            """
        )
    )
    loaded = load_eval_set(tmp_path / "set.yaml")
    assert loaded.name == "set" and loaded.agent.name == "bot"
    assert [c.id for c in loaded.cases] == ["case-1", "two"]
    assert [c.trajectory_order for c in loaded.cases] == ["any_order", "exact"]
    assert loaded.rubric == "Be nice." and loaded.judge_model == "anthropic/claude-sonnet-4-5"
    first = loaded.cases[0]
    assert first.metrics(loaded, judging=True) == ["trajectory", "judge"]
    assert first.metrics(loaded, judging=False) == ["trajectory"]
    (tmp_path / "set.json").write_text(
        json.dumps({"instructions": "Be brief.", "cases": [{"input": "hi"}]})
    )
    from_json = load_eval_set(str(tmp_path / "set.json"))
    assert from_json.agent is None and from_json.instructions == "Be brief."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "An eval set is a mapping, a path or an EvalSet, not a list"),
        (good(cases=[]), "needs 'cases': a non-empty list"),
        (good(extra=1), "Unknown keys in the eval set: extra"),
        (good(agent=None), "names no agent"),
        (good(cases=["hi"]), "Case 1 must be a mapping"),
        (good(cases=[{"input": ""}]), "Case 1 needs an 'input' text"),
        (good(cases=[{"input": "x", "expected": 1}]), "Case 1: unknown keys expected"),
        (good(cases=[{"input": "x", "expected_tools": "a"}]), "expected_tools is a list"),
        (good(cases=[{"input": "x", "expected_tools": [3]}]), "3 is not a tool name"),
        (
            good(cases=[{"input": "x", "expected_tools": [{"name": "a", "arguments": [1]}]}]),
            "the arguments of 'a' must be a mapping",
        ),
        (
            good(cases=[{"id": "a", "input": "x"}, {"id": "a", "input": "y"}]),
            "Two cases are called 'a'",
        ),
        (good(trajectory_order="sorted"), "order must be one of"),
        (good(thresholds={"bleu": 0.5}), "Unknown metric 'bleu'"),
        (good(thresholds={"token_f1": 1.5}), "must be a number from 0 to 1"),
        (good(thresholds={"judge": 0.5}), "A threshold is set for judge, but no case is scored"),
        (good(output_schema=[1]), "output_schema must be a JSON schema"),
        (good(judge="strict"), "judge: give"),
    ],
)
def test_bad_sets_name_the_problem(data: object, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        load_eval_set(data)  # type: ignore[arg-type]


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="No such file"):
        load_eval_set(tmp_path / "nope.yaml")
    (tmp_path / "set.txt").write_text("x")
    with pytest.raises(UsageError, match="use a .yaml, .yml or .json file"):
        load_eval_set(tmp_path / "set.txt")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(UsageError, match="is not valid JSON"):
        load_eval_set(tmp_path / "bad.json")
    (tmp_path / "bad.yaml").write_text("cases: [\n")
    with pytest.raises(UsageError, match="is not valid YAML"):
        load_eval_set(tmp_path / "bad.yaml")


def test_a_json_eval_set_nested_too_deeply_is_a_usage_error(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"cases": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(UsageError, match=r"deep.json is refused as JSON: it nests more than 100"):
        load_eval_set(deep)
    # The bound of YAML sets: 100 levels (the top object and 99 lists) are read.
    (tmp_path / "ok.json").write_text('{"cases": ' + "[" * 99 + "]" * 99 + "}")
    with pytest.raises(UsageError, match="Case 1 must be a mapping"):
        load_eval_set(tmp_path / "ok.json")


def test_an_alias_bomb_in_an_eval_set_is_refused_before_it_expands(
    tmp_path: Path, yaml_bomb: str
) -> None:
    (tmp_path / "bomb.yaml").write_text(
        "cases:\n  - input: hi\n"
        f"    expected_tools: [{{name: greet, arguments: {{who: {yaml_bomb}}}}}]\n"
    )
    with pytest.raises(UsageError, match=r"bomb.yaml is refused as YAML: .*alias bomb"):
        load_eval_set(tmp_path / "bomb.yaml")
