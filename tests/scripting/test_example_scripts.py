"""The Lua and JavaScript examples run offline through the command line, and the spec files (Lua, JS) through the pytest helper."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmkit.cli import main
from llmkit.testing.scripts import check_spec, run_specs

SCRIPTS = Path(__file__).resolve().parents[2] / "examples" / "scripts"


def test_chat_keeps_the_history(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["script", "run", str(SCRIPTS / "chat.lua"), "-p", "questions=a;b;c", "--fake"]) == 0
    )
    out = capsys.readouterr().out
    assert out.count("assistant: ") == 3
    assert out.rstrip().endswith("6 messages")


def test_research_runs_its_lua_tool(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--timeout", "30s", "--max-memory", "64MB", "--fake", "-p", "topic=tides"]
    assert main(["script", "run", str(SCRIPTS / "research.lua"), *args]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["square"] == "The tool returned: 2.25"  # the fake model calls square(1.5)
    assert result["tool_calls"] == 3


def test_research_js_runs_its_tool_in_the_strict_sandbox(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["--sandbox", "strict", "--timeout", "30s", "--fake", "-p", "topic=tides"]
    assert main(["script", "run", str(SCRIPTS / "research.js"), *args]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["a"] == result["b"] == "The tool returned: 2.25"  # square(1.5), in the script
    assert (result["tool_calls"], result["tokens"]) == (2, True)


def test_fanout_answers_each_topic(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["script", "run", str(SCRIPTS / "fanout.lua"), "-p", "topics=a,b", "--fake"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2 answers"


@pytest.mark.parametrize("script", ["workflow.lua", "workflow.js"])
def test_workflow_runs_its_steps_in_order(capsys: pytest.CaptureFixture[str], script: str) -> None:
    assert main(["script", "run", str(SCRIPTS / script), "-p", "topic=tides", "--fake"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == ["article ok", "article/researcher ok", "article/reviews ok"]
    assert "article/branch/rewrite ok" in lines
    result = json.loads(lines[-1])
    assert (result["rounds"], result["requests"], result["score"]) == (2, 4, 0.5)


@pytest.mark.parametrize("script", ["memory.lua", "memory.js"])
def test_memory_finds_the_note_by_meaning(capsys: pytest.CaptureFixture[str], script: str) -> None:
    assert main(["script", "run", str(SCRIPTS / script), "--fake"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "hours Support answers from 9 to 5 on weekdays."
    assert json.loads(lines[-1])["best"] == "hours"


def test_the_spec_files_pass_through_the_pytest_helper() -> None:
    report = check_spec(SCRIPTS / "spec")
    files = sorted({Path(c.file).name for c in report.cases})
    assert files == ["research_spec.js", "research_spec.lua"]
    assert len(report.cases) == 7


def test_the_pytest_helper_names_each_failed_case(tmp_path: Path) -> None:
    (tmp_path / "x_spec.lua").write_text('it("fails", function() expect(1).to_be(2) end)')
    with pytest.raises(AssertionError, match=r"x_spec.lua::fails: .*expected 1 to be 2"):
        check_spec(tmp_path)


def test_a_spec_file_that_breaks_counts_as_one_failure(tmp_path: Path) -> None:
    (tmp_path / "y_spec.lua").write_text("it('a', function() end)\nthis is not lua")
    report = run_specs([tmp_path])
    assert [(c.name, c.passed) for c in report.cases] == [("(the file)", False)]


def test_a_javascript_spec_names_the_line_of_each_failure(tmp_path: Path) -> None:
    (tmp_path / "x_spec.js").write_text(
        'describe("calc", () => {\n'
        '  it("is wrong", async () => {\n'
        "    expect(await json.decode('[1, 2]')).toEqual([1, 3]);\n"
        "  });\n"
        '  it("forgets to await a throw", () => { expect(() => 1).toThrow(); });\n'
        '  it("meets a host error", async () => {\n'
        "    await json.decode('{');\n"
        "  });\n"
        "});\n"
        'describe("setup", () => { throw new TypeError("no fixture"); });\n'
    )
    cases = {c.name: c for c in run_specs([tmp_path]).cases}
    file = str(tmp_path / "x_spec.js")
    assert cases["calc is wrong"].message == f"{file}:3: expected [1,2] to equal [1,3]"
    assert cases["calc forgets to await a throw"].message == (
        f"{file}:5: expected the function to throw"
    )
    assert cases["calc meets a host error"].message.startswith(f"{file}:7: UsageError: ")
    assert cases["setup"].message == f"{file}:10: TypeError: no fixture"
    assert not any(c.passed for c in cases.values())


def test_a_javascript_spec_file_that_breaks_counts_as_one_failure(tmp_path: Path) -> None:
    (tmp_path / "y_spec.js").write_text("it('a', () => {});\nthis is not javascript")
    report = run_specs([tmp_path])
    assert [(c.name, c.passed) for c in report.cases] == [("(the file)", False)]
