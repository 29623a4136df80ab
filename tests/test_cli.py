"""The llmkit command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from llmkit import __version__
from llmkit.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip() == f"llmkit {__version__}"


def test_version_flag_prints_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"llmkit {__version__}\n"


def test_bare_llmkit_prints_the_help_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("usage: llmkit")
    for command in ("prompt", "chat", "models", "replay", "eval"):
        assert f"    {command} " in captured.out
    assert captured.err == ""


def test_python_dash_m_llmkit_runs_the_command() -> None:
    for args, shown in ((["--version"], f"llmkit {__version__}\n"), ([], "usage: llmkit")):
        done = subprocess.run(
            [sys.executable, "-m", "llmkit", *args], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(shown)


def test_models_lists_priced_models_and_the_other_providers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "openai/gpt-4.1-mini" in out
    assert "0.4 / 1.6" in out
    assert "Also:" in out and "groq" in out


def test_models_for_one_provider(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--provider", "groq"]) == 0
    assert "any model id" in capsys.readouterr().out


def test_unknown_provider_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--provider", "nosuch"]) == 2
    assert capsys.readouterr().err.startswith("error: Unknown provider 'nosuch'")


def test_console_script_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "llmkit.cli", "version"], capture_output=True, text=True, check=True
    )
    assert __version__ in done.stdout


def test_models_asks_a_running_ollama(
    llmkit_fake_server: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", llmkit_fake_server.ollama_base_url)  # type: ignore[attr-defined]
    assert main(["models", "--provider", "ollama"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ollama (running server):")
    assert "ollama/" in out


def test_models_reports_an_ollama_that_is_not_running(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")
    assert main(["models", "--provider", "ollama"]) == 1
    assert "ollama serve" in capsys.readouterr().err
