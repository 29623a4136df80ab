"""``llmkit prompt``: one prompt, streamed; instructions, JSON, stdin, the default model, usage."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from llmkit import Agent
from llmkit.cli import main
from llmkit.testing import FakeProviderServer

ANSWER = "Paris is the capital of France, and it has been for a long time."


class Piped(io.StringIO):
    """stdin as a pipe (not a terminal)."""


class Terminal(io.StringIO):
    """stdin as a terminal."""

    def isatty(self) -> bool:
        return True


class Writes(io.StringIO):
    """stdout that remembers each write, to see an answer arrive in pieces."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


@pytest.fixture
def server(
    llmkit_fake_server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch
) -> FakeProviderServer:
    monkeypatch.setenv("OPENAI_BASE_URL", llmkit_fake_server.openai_base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test")
    monkeypatch.setenv("LLMKIT_MODEL", "openai/gpt-4.1-mini")
    monkeypatch.setattr(sys, "stdin", Terminal(""))
    llmkit_fake_server.script(lambda request: ANSWER)
    return llmkit_fake_server


def sent_messages(server: FakeProviderServer, index: int = 0) -> list[dict[str, object]]:
    body = server.requests[index].json or {}
    return list(body["messages"])


def test_the_answer_streams_to_stdout_as_it_arrives(
    server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = Writes()
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["prompt", "What", "is", "the", "capital?"]) == 0
    assert out.getvalue() == ANSWER + "\n"
    assert len([w for w in out.writes if w.strip()]) > 3  # pieces, not one write at the end
    assert (server.requests[0].json or {})["stream"] is True
    assert sent_messages(server) == [{"role": "user", "content": "What is the capital?"}]
    assert capsys.readouterr().err == ""


def test_system_sends_instructions_first(
    server: FakeProviderServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prompt", "--system", "Answer in French.", "Capital?"]) == 0
    assert sent_messages(server) == [
        {"role": "system", "content": "Answer in French."},
        {"role": "user", "content": "Capital?"},
    ]


def test_json_prints_the_run_result_as_one_line(
    server: FakeProviderServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prompt", "--json", "Capital?"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    data = json.loads(out)
    assert data["output"] == ANSWER and data["status"] == "complete"
    assert data["usage"]["requests"] == 1 and data["usage"]["output_tokens"] > 0
    again = Agent().load_result(data)
    assert again.output == ANSWER and again.messages[0].text == "Capital?"


def test_the_prompt_comes_from_stdin_when_no_words_are_given(
    server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal("typed until Ctrl-D\n"))
    assert main(["prompt"]) == 0
    assert sent_messages(server)[-1]["content"] == "typed until Ctrl-D"


def test_piped_text_comes_first_then_the_words(
    server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", Piped("def add(a, b):\n    return a - b\n"))
    assert main(["prompt", "Find", "the", "bug."]) == 0
    assert sent_messages(server)[-1]["content"] == (
        "def add(a, b):\n    return a - b\n\nFind the bug."
    )


def test_a_terminal_is_not_read_when_words_are_given(
    server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal("not for this prompt"))
    assert main(["prompt", "Hi"]) == 0
    assert sent_messages(server)[-1]["content"] == "Hi"


def test_model_option_wins_over_the_environment(
    server: FakeProviderServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prompt", "-m", "openai/gpt-4.1", "Hi"]) == 0
    assert (server.requests[0].json or {})["model"] == "gpt-4.1"
    assert main(["prompt", "Hi"]) == 0
    assert (server.requests[1].json or {})["model"] == "gpt-4.1-mini"  # from LLMKIT_MODEL


def test_usage_goes_to_stderr_with_counts_in_words(
    server: FakeProviderServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prompt", "--usage", "Hi"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ANSWER + "\n"
    assert captured.err.startswith("usage: ")
    assert ", 1 model call, $" in captured.err


def test_fake_answers_offline_in_any_protocol(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("LLMKIT_MODEL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "stdin", Terminal(""))
    models = ("anthropic/claude-sonnet-4-5", "groq/llama-3.3-70b-versatile", "azure/gpt-4.1", None)
    for model in models:
        assert main(["prompt", "--fake", *(["-m", model] if model else []), "Hi"]) == 0
        assert capsys.readouterr().out == "Hello! This is the llmkit fake server.\n"


def test_prompt_reads_a_pipe_in_its_own_process() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLMKIT", "OPENAI"))}
    done = subprocess.run(
        [sys.executable, "-m", "llmkit", "prompt", "--fake", "--json", "Summarize."],
        input="A long text.\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    sent = json.loads(done.stdout)["messages"][0]["parts"][0]["text"]
    assert sent == "A long text.\n\nSummarize."
