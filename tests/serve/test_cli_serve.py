"""``llmkit serve`` in a subprocess: binds 127.0.0.1, prints the URL, needs tokens, never prints them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

APP = """
from llmkit import Agent
from llmkit.testing import ScriptedModel

agent = Agent(ScriptedModel(["Order 42 shipped."]), name="support")
"""


def command(tmp_path: Path, *extra: str, env: dict[str, str]) -> subprocess.Popen[str]:
    (tmp_path / "app.py").write_text(APP)
    return subprocess.Popen(
        [sys.executable, "-m", "llmkit", "serve", "app.py:agent", "--port", "0", *extra],
        cwd=tmp_path,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_prints_the_url_and_answers_with_a_token(tmp_path: Path) -> None:
    process = command(tmp_path, env={"LLMKIT_SERVE_TOKENS": "tok-secret-1,tok-2"})
    try:
        line = process.stdout.readline()
        assert line.startswith("Serving on http://127.0.0.1:"), line
        url = line.split()[2]
        headers = {"Authorization": "Bearer tok-2"}
        assert [m["id"] for m in httpx.get(f"{url}/models", headers=headers).json()["data"]] == [
            "support"
        ]
        answer = httpx.post(
            f"{url}/chat/completions",
            json={"model": "support", "messages": [{"role": "user", "content": "Order 42?"}]},
            headers=headers,
        ).json()
        assert answer["choices"][0]["message"]["content"] == "Order 42 shipped."
        assert httpx.get(f"{url}/models").status_code == 401
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert "tok-secret-1" not in out + err and "tok-2" not in out + err


def test_serve_without_tokens_refuses_to_start(tmp_path: Path) -> None:
    env = {"LLMKIT_SERVE_TOKENS": ""}
    process = command(tmp_path, "--token-env", "LLMKIT_SERVE_TOKENS", env=env)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 3
    assert "No bearer tokens: set LLMKIT_SERVE_TOKENS" in err
