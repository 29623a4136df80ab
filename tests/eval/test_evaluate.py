"""Running evaluations: scores, thresholds, concurrency, progress, reports, and the llmkit command."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from llmkit import Agent, Request, tool
from llmkit.cli import main
from llmkit.errors import UsageError
from llmkit.eval import EvalReport, Progress, assert_passed, evaluate, evaluate_sync
from llmkit.testing import FakeProviderServer, Fault, FunctionModel, tool_call
from llmkit.testing._script import Turn


@tool
def lookup_order(order_id: int) -> dict:
    """Look up an order."""
    return {"order_id": order_id, "status": "delivered"}


agent = Agent("openai/gpt-4.1-mini", instructions="You are a support agent.", tools=[lookup_order])


def support_model(request: Request) -> Turn:
    """Answers like a decent support model, and grades like a lenient judge."""
    first, last = request.messages[0], request.messages[-1]
    if first.text.startswith("You grade"):
        return (
            '{"reasoning": "Correct.", "score": 5}'
            if "delivered" in last.text
            else '{"reasoning": "Vague.", "score": 2}'
        )
    if last.role == "tool":
        return "Order 42 was delivered yesterday."
    if "42" in last.text:
        return tool_call("lookup_order", order_id=42)
    if "fail" in last.text:
        return Fault.status(400, "bad request")
    return "Hello! How can I help you?"


SET = {
    "name": "support",
    "agent": agent,
    "thresholds": {"trajectory": 0.5, "token_f1": 0.4, "judge": 0.5},
    "judge": {"rubric": "Says what happened to the order."},
    "cases": [
        {
            "id": "where-is-42",
            "input": "Where is order 42?",
            "expected_tools": [{"name": "lookup_order", "arguments": {"order_id": 42}}],
            "reference": "Order 42 was delivered.",
        },
        {
            "id": "greeting",
            "input": "Hi there",
            "expected_tools": [],
            "reference": "Hello! How can I help?",
        },
    ],
}


def test_scores_thresholds_and_the_table() -> None:
    report = evaluate_sync(SET, model=FunctionModel(support_model))
    first, second = report.cases
    assert first.scores == {
        "trajectory": 1.0,
        "token_f1": pytest.approx(8 / 9),  # 4 shared words of 5 and of 4
        "rouge1": pytest.approx(8 / 9),
        "judge": 1.0,
    }
    assert first.tool_calls == ["lookup_order(order_id=42)"]
    assert first.output == "Order 42 was delivered yesterday."
    assert first.notes["judge"] == "Correct."
    assert second.scores["judge"] == 0.25 and second.notes["judge"] == "Vague."
    assert report.passed
    assert report.table() == "\n".join(
        [
            "support: 2 cases, model test/function, judge test/function",
            "",
            "case         trajectory  token_f1  rouge1  judge",
            "where-is-42        1.00      0.89    0.89   1.00",
            "greeting           1.00      0.91    0.91   0.25",
            "mean               1.00      0.90    0.90   0.62",
            "threshold          0.50      0.40       -   0.50",
            "                     ok        ok             ok",
            "",
            "PASSED: 3 thresholds met",
        ]
    )
    assert report.usage.requests == 5  # three agent calls, two judge calls
    assert_passed(report)


def test_a_set_without_thresholds_says_none_were_set_not_0_met() -> None:
    one_case = {**SET, "thresholds": {}, "cases": SET["cases"][:1]}
    report = evaluate_sync(one_case, model=FunctionModel(support_model))
    assert report.passed
    assert report.summary() == "No thresholds set: the scores above are not checked."
    table = report.table()
    assert "0 thresholds" not in table and "threshold " not in table
    assert table.startswith("support: 1 case, model test/function")


def test_a_missed_threshold_fails_with_the_table() -> None:
    strict = {**SET, "thresholds": {"judge": 0.9}}
    report = evaluate_sync(strict, model=FunctionModel(support_model))
    assert not report.passed and report.summary() == "FAILED: judge 0.62 < 0.90"
    with pytest.raises(AssertionError, match="missed its thresholds") as caught:
        report.assert_passed()
    assert "judge 0.62 < 0.90" in str(caught.value) and "MISSED" in str(caught.value)


def test_a_failing_case_is_reported_and_scored_on_what_it_did() -> None:
    data = {
        **SET,
        "cases": [
            {
                "id": "broken",
                "input": "please fail",
                "expected_tools": ["lookup_order"],
                "reference": "x",
            }
        ],
    }
    report = evaluate_sync(data, model=FunctionModel(support_model))
    (case,) = report.cases
    assert case.error is not None and case.error.startswith("BadRequestError: bad request")
    assert case.scores["trajectory"] == 0.0 and case.scores["token_f1"] == 0.0
    assert case.notes["trajectory"] == "missing (in_order): calls_tool('lookup_order')"
    assert report.errors == [case] and not report.passed
    assert "error: BadRequestError" in report.table()


class Invoice(BaseModel):
    total: float
    currency: str


def test_schema_validity_of_structured_and_text_output() -> None:
    schema = {
        "type": "object",
        "required": ["total"],
        "properties": {"total": {"type": "number", "minimum": 0}},
    }
    typed = Agent(FunctionModel(lambda r: '{"total": -1, "currency": "EUR"}'), output_type=Invoice)
    report = evaluate_sync({"agent": typed, "output_schema": schema, "cases": [{"input": "bill"}]})
    assert report.cases[0].scores == {"schema": 0.0}
    assert report.cases[0].notes["schema"] == "total: -1.0 is less than the minimum of 0"
    texts = iter(['Here: {"total": 3}', "no json here"])
    plain = Agent(FunctionModel(lambda r: next(texts)))
    report = evaluate_sync(
        {"agent": plain, "output_schema": schema, "cases": [{"input": "a"}, {"input": "b"}]},
        concurrency=1,
    )
    assert [c.scores["schema"] for c in report.cases] == [1.0, 0.0]
    assert report.cases[1].notes["schema"].startswith("the answer is not JSON")


@pytest.mark.anyio
async def test_cases_run_concurrently_up_to_the_limit() -> None:
    in_flight = peak = 0
    full = asyncio.Event()

    async def slow(request: Request) -> Turn:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight == 3:
            full.set()
        # The first cases wait until three run at once (a minute at most), so the peak
        # does not depend on how fast the machine starts them; then each holds its slot.
        await asyncio.wait_for(full.wait(), 60)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return "ok"

    cases = [{"input": f"q{i}"} for i in range(6)]
    seen: list[tuple[str, int, int]] = []
    await evaluate(
        {"instructions": "Be brief.", "cases": cases},
        model=FunctionModel(slow),
        concurrency=3,
        progress=lambda case, done, total: seen.append((case.id, done, total)),
    )
    assert peak == 3
    assert [(d, t) for _, d, t in seen] == [(i, 6) for i in range(1, 7)]


def test_progress_lines_and_terminal_updates() -> None:
    report = evaluate_sync(SET, model=FunctionModel(support_model), concurrency=1)
    plain = io.StringIO()
    show = Progress(plain)
    for i, case in enumerate(report.cases, 1):
        show(case, i, 2)
    lines = plain.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["[1/2] where-is-42", "[2/2] greeting"]

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    show = Progress(term)
    for i, case in enumerate(report.cases, 1):
        show(case, i, 2)
    assert term.getvalue() == "\r\x1b[2K[1/2] where-is-42\r\x1b[2K[2/2] greeting\n"


def test_bad_calls_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="concurrency must be a whole number"):
        evaluate_sync(SET, concurrency=0)
    with pytest.raises(UsageError, match="builds its agent from instructions: name a model"):
        evaluate_sync({"instructions": "x", "cases": [{"input": "y"}]})
    with pytest.raises(UsageError, match="not an Agent"):
        evaluate_sync({"agent": 3, "cases": [{"input": "y"}]})


def write_set(tmp_path: Path, thresholds: dict) -> Path:
    (tmp_path / "cli_agents.py").write_text(
        "from llmkit import Agent, tool\n\n"
        "@tool\ndef lookup_order(order_id: int) -> dict:\n"
        '    """Look up an order."""\n'
        "    return {'order_id': order_id, 'status': 'delivered'}\n\n"
        "agent = Agent('openai/gpt-4.1-mini', tools=[lookup_order])\n"
    )
    data = {**SET, "agent": "cli_agents:agent", "thresholds": thresholds}
    path = tmp_path / "support.json"
    path.write_text(json.dumps(data))
    return path


def test_the_llmkit_eval_command(
    tmp_path: Path,
    llmkit_fake_server: FakeProviderServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    llmkit_fake_server.script(support_model)
    monkeypatch.setenv("OPENAI_BASE_URL", llmkit_fake_server.openai_base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-eval-test")
    path = write_set(tmp_path, {"trajectory": 1.0, "judge": 0.5})
    out_file = tmp_path / "report.json"
    code = main(["eval", str(path), "--model", "openai/gpt-4.1-mini", "--report", str(out_file)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "support: 2 cases, model openai/gpt-4.1-mini, judge openai/gpt-4.1-mini" in captured.out
    assert captured.out.rstrip().endswith("PASSED: 2 thresholds met")
    assert "[2/2]" in captured.err and "Report written to" in captured.err
    saved = json.loads(out_file.read_text())
    assert saved["passed"] is True and saved["metrics"]["judge"]["mean"] == pytest.approx(0.625)
    assert [c["id"] for c in saved["cases"]] == ["where-is-42", "greeting"]
    assert saved["cases"][0]["tool_calls"] == ["lookup_order(order_id=42)"]
    assert not llmkit_fake_server.errors

    strict = write_set(tmp_path, {"judge": 0.9})
    assert main(["eval", str(strict), "--model", "openai/gpt-4.1-mini", "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "FAILED: judge 0.62 < 0.90" in captured.out and captured.err == ""

    assert main(["eval", str(tmp_path / "missing.yaml")]) == 3  # the set file is wrong
    assert "error: No such file" in capsys.readouterr().err


def test_report_json_round_trip(tmp_path: Path) -> None:
    report = evaluate_sync(SET, model=FunctionModel(support_model))
    report.write_json(tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data == json.loads(json.dumps(report.to_dict()))
    assert isinstance(report, EvalReport) and data["metrics"]["rouge1"]["threshold"] is None
