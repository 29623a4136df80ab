"""An error that stops an evaluation reaches the caller as itself, with progress shown or not."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from llmkit import Agent
from llmkit.cli import main
from llmkit.errors import UsageError
from llmkit.eval import evaluate_sync
from llmkit.testing import FakeProviderServer, FunctionModel

BAD_SCHEMA = {"type": "nonsense-type"}


@pytest.mark.parametrize("progress", [False, True])
def test_a_bad_output_schema_raises_its_usage_error_with_progress_on_or_off(
    progress: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr = io.StringIO()
    monkeypatch.setattr("sys.stderr", stderr)
    agent = Agent(FunctionModel(lambda request: '{"a": 1}'))
    spec = {
        "name": "s",
        "agent": agent,
        "cases": [{"id": "c1", "input": "x", "output_schema": BAD_SCHEMA}],
    }
    with pytest.raises(UsageError, match="output_schema is not a valid JSON schema"):
        evaluate_sync(spec, progress=progress)
    assert "c1" not in stderr.getvalue()  # the case that raised is not shown as done


def test_llmkit_eval_prints_one_line_and_exits_2_for_a_bad_output_schema(
    tmp_path: Path,
    llmkit_fake_server: FakeProviderServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    llmkit_fake_server.script(lambda request: '{"a": 1}')
    monkeypatch.setenv("OPENAI_BASE_URL", llmkit_fake_server.openai_base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-eval-test")
    path = tmp_path / "set.yaml"
    path.write_text(
        "name: s\nmodel: openai/gpt-4.1-mini\ninstructions: Answer.\ncases:\n"
        "  - id: c1\n    input: hello\n    output_schema: {type: nonsense-type}\n"
    )
    code = main(["eval", str(path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.strip().splitlines() == [
        "error: output_schema is not a valid JSON schema: 'nonsense-type' is not valid under "
        "any of the given schemas."
    ]
