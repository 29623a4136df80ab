"""Bearer tokens: read from the environment or a file, and never written to a log or a response."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from llmkit import Agent
from llmkit.errors import ConfigurationError
from llmkit.serve._security import tokens_from_env, tokens_from_file

GOOD = "tok-good-7f3a9c1e5b"
WRONG = "tok-wrong-2d8e4b6a0c"


def test_a_token_file_holds_one_token_a_line_with_comments(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text("# team A\ntoken-1\n\n  token-2  \n", encoding="utf-8")
    assert tokens_from_file(path) == ["token-1", "token-2"]
    empty = tmp_path / "empty"
    empty.write_text("# nobody\n\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="holds no token"):
        tokens_from_file(empty)
    with pytest.raises(ConfigurationError, match="Cannot read the token file"):
        tokens_from_file(tmp_path / "missing")


def test_tokens_come_from_a_comma_separated_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVE_TOKENS_TEST", " a , b,,")
    assert tokens_from_env("SERVE_TOKENS_TEST") == ["a", "b"]
    monkeypatch.delenv("SERVE_TOKENS_TEST")
    with pytest.raises(ConfigurationError, match="SERVE_TOKENS_TEST"):
        tokens_from_env("SERVE_TOKENS_TEST")


def test_no_token_reaches_a_log_or_a_response(
    serve, llmkit_fake_server, llmkit_model, caplog: pytest.LogCaptureFixture
) -> None:
    llmkit_fake_server.script(["Order 42 left.", "Order 7 waits."])
    caplog.set_level(logging.DEBUG)
    agent = Agent(llmkit_model(), name="support")
    url = serve(agent, tokens=[GOOD])
    bodies = []
    for key in (GOOD, WRONG):
        for method, path, body in (
            ("GET", "/v1/models", None),
            (
                "POST",
                "/v1/chat/completions",
                {"model": "support", "messages": [{"role": "user", "content": "Order 42?"}]},
            ),
            ("POST", "/v1/runs", {"agent": "support", "input": "Order 7?", "wait": True}),
            ("GET", "/v1/runs/nope", None),
        ):
            reply = httpx.request(
                method, f"{url}{path}", json=body, headers={"authorization": f"Bearer {key}"}
            )
            bodies.append(reply.text + repr(dict(reply.headers)))
    assert any("Order 42 left." in text for text in bodies)  # the good token was served
    assert any("Order 7 waits." in text for text in bodies)
    logged = "\n".join(
        record.getMessage() + repr(record.args) + repr(record.__dict__) for record in caplog.records
    )
    for token in (GOOD, WRONG):
        assert all(token not in text for text in bodies)
        assert token not in logged
