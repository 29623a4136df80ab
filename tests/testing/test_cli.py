"""``python -m llmkit.testing serve`` in its own process, read as a benchmark would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from llmkit.errors import UsageError
from llmkit.testing.__main__ import load_responder, main

BODY = {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}]}
TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {
            "type": "object",
            "properties": {"q": {"type": "string"}},
            "required": ["q"],
        },
    },
}


def serve(
    *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmkit.testing", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        assert proc.stderr is not None
        line = proc.stdout.readline()
        prefix = "llmkit fake server listening on "
        assert line.startswith(prefix), (
            line,
            proc.stderr.read() if proc.poll() is not None else "",
        )
        yield proc, line[len(prefix) :].strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def default_server() -> Iterator[tuple[subprocess.Popen[str], str]]:
    yield from serve("--api-key", "secret-key")


def test_prints_the_url_and_serves_the_builtin_responder(
    default_server: tuple[subprocess.Popen[str], str],
) -> None:
    _, url = default_server
    assert url.startswith("http://127.0.0.1:")
    headers = {"authorization": "Bearer secret-key"}
    with httpx2.Client(base_url=url + "/v1", headers=headers) as client:
        assert client.post("/chat/completions", json=BODY).json()["choices"][0]["message"][
            "content"
        ] == ("Hello! This is the llmkit fake server.")
        call = client.post("/chat/completions", json={**BODY, "tools": [TOOL]}).json()["choices"][0]
        assert call["finish_reason"] == "tool_calls"
        assert call["message"]["tool_calls"][0]["function"] == {
            "name": "lookup",
            "arguments": '{"q":"example"}',
        }
        # It is endless: many more requests than any list script would have.
        for _ in range(20):
            assert client.post("/chat/completions", json=BODY).status_code == 200
        wrong = client.post(
            "/chat/completions", json=BODY, headers={"authorization": "Bearer nope"}
        )
        assert wrong.status_code == 401


def test_stops_promptly_on_sigterm() -> None:
    for proc, url in serve():
        assert (
            httpx2.get(url + "/v1/models", headers={"authorization": "Bearer k"}).status_code == 200
        )
        proc.terminate()
        # uvicorn shuts down gracefully, then re-raises the signal so the parent sees it.
        assert proc.wait(timeout=10) == -signal.SIGTERM


def test_custom_responder(tmp_path: Path) -> None:
    (tmp_path / "my_answers.py").write_text(
        "def answer(request):\n    return 'custom: ' + request.messages[-1].text\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    for _, url in serve("--responder", "my_answers:answer", env=env):
        r = httpx2.post(
            url + "/v1/chat/completions", json=BODY, headers={"authorization": "Bearer k"}
        )
        assert r.json()["choices"][0]["message"]["content"] == "custom: hi"


@pytest.mark.parametrize("spec", ["no_colon", ":answer", "json:", "json:__name__"])
def test_bad_responder_spec(spec: str) -> None:
    with pytest.raises(UsageError, match="--responder"):
        load_responder(spec)


def test_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([])
    assert "serve" in capsys.readouterr().err
