"""``llmkit chat``: a conversation read line by line, with history, commands, failures and Ctrl-C."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys

import pytest

from llmkit.cli import main
from llmkit.testing import FakeProviderServer, Fault
from llmkit.types import Request


def numbered(request: Request) -> str:
    """Answers with how many user messages it saw, so a test can tell what history it got."""
    users = [m.text for m in request.messages if m.role == "user"]
    return f"Answer {len(users)} to {users[-1]!r}."


@pytest.fixture
def server(
    llmkit_fake_server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch
) -> FakeProviderServer:
    monkeypatch.setenv("OPENAI_BASE_URL", llmkit_fake_server.openai_base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test")
    monkeypatch.delenv("LLMKIT_MODEL", raising=False)
    llmkit_fake_server.script(numbered)
    return llmkit_fake_server


def chat(monkeypatch: pytest.MonkeyPatch, lines: str, *args: str) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(lines))
    return main(["chat", "-m", "openai/gpt-4.1-mini", *args])


def test_each_answer_sees_the_conversation_so_far(
    server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert chat(monkeypatch, "My name is Ada.\n\nWhat is my name?\n") == 0
    assert capsys.readouterr().out == (
        "Answer 1 to 'My name is Ada.'.\nAnswer 2 to 'What is my name?'.\n"
    )
    second = (server.requests[1].json or {})["messages"]
    assert second == [
        {"role": "user", "content": "My name is Ada."},
        {"role": "assistant", "content": "Answer 1 to 'My name is Ada.'."},
        {"role": "user", "content": "What is my name?"},
    ]


def test_reset_forgets_and_exit_ends(
    server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = "one\ntwo\n/reset\nthree\n/exit\nnever sent\n"
    assert chat(monkeypatch, lines, "--system", "Be brief.") == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "Answer 1 to 'one'.",
        "Answer 2 to 'two'.",
        "Answer 1 to 'three'.",
    ]
    assert "(the conversation starts again)" in captured.err
    assert len(server.requests) == 3
    third = (server.requests[2].json or {})["messages"]
    assert third == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "three"},
    ]


def test_help_and_unknown_commands_are_not_sent(
    server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert chat(monkeypatch, "/help\n/nope\n") == 0
    err = capsys.readouterr().err
    for command in ("/exit", "/reset", "/help"):
        assert command in err
    assert "Unknown command /nope" in err
    assert server.requests == []


def test_the_commands_are_listed_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--help"]) == 0
    out = capsys.readouterr().out
    assert "/exit" in out and "/reset" in out and "/help" in out


def test_a_failed_turn_keeps_the_conversation_and_the_chat_goes_on(
    server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    turns = iter([numbered, lambda r: Fault.status(400, "Try again."), numbered])
    server.script(lambda request: next(turns)(request))
    assert chat(monkeypatch, "first\nsecond\nsecond again\n", "--usage") == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ["Answer 1 to 'first'.", "Answer 2 to 'second again'."]
    assert "error: openai returned HTTP 400 (invalid_request_error): Try again." in captured.err
    assert captured.err.count("usage: ") == 2
    last = (server.requests[2].json or {})["messages"]
    assert [m["content"] for m in last if m["role"] == "user"] == ["first", "second again"]


def test_a_chat_whose_last_turn_failed_exits_with_that_failure(
    server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server.script([Fault.status(400, "No.")])
    assert chat(monkeypatch, "hello\n") == 1


def test_a_setup_error_ends_the_chat_at_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert chat(monkeypatch, "one\ntwo\n") == 3
    assert capsys.readouterr().err.count("error: No API key for openai") == 1


def test_ctrl_c_in_a_chat_process_exits_130_without_a_traceback() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLMKIT", "OPENAI"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmkit", "chat", "--fake"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("Hello\n")
        proc.stdin.flush()
        # Once the answer is out, the chat waits for the next line: interrupt it there.
        assert proc.stdout.readline() == "Hello! This is the llmkit fake server.\n"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
