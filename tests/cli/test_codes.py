"""One exit-status table for every ``llmkit`` command, each status reached through the entry point."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from llmkit._cli.codes import as_configuration, exit_code_for
from llmkit.cli import ExitCode, main
from llmkit.errors import (
    AgentError,
    ConfigurationError,
    MissingAPIKeyError,
    NetworkBlockedError,
    ProviderError,
    ProviderTimeoutError,
    RunTimeoutError,
    ServerError,
    StepTimeoutError,
    ToolExecutionError,
    UsageError,
    WorkflowDefinitionError,
    WorkflowError,
)
from llmkit.testing import FakeProviderServer, Fault, block_network
from llmkit.tools.builtin import Refused

# Variables that would point a command at a real provider or pick a model for it.
_REAL = ("LLMKIT_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY")


def llmkit(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m llmkit ...`` in its own process, offline."""
    clean = {k: v for k, v in os.environ.items() if k not in _REAL}
    return subprocess.run(
        [sys.executable, "-m", "llmkit", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **(env or {})},
    )


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _REAL:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))


@pytest.fixture
def openai_env(
    llmkit_fake_server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch, offline: None
) -> FakeProviderServer:
    monkeypatch.setenv("OPENAI_BASE_URL", llmkit_fake_server.openai_base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test")
    return llmkit_fake_server


def test_the_table_has_one_meaning_per_status() -> None:
    assert [(c.name, int(c)) for c in ExitCode] == [
        ("OK", 0),
        ("FAILURE", 1),
        ("USAGE", 2),
        ("CONFIG", 3),
        ("TIMEOUT", 4),
        ("SANDBOX", 5),
        ("INTERRUPTED", 130),
    ]
    assert len({c.__doc__ for c in ExitCode}) == len(ExitCode)


def test_help_lists_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == ExitCode.OK
    out = capsys.readouterr().out
    for code in ExitCode:
        assert f"{int(code):<4} {code.__doc__}" in out


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (UsageError("bad option"), ExitCode.USAGE),
        (ConfigurationError("no model"), ExitCode.CONFIG),
        (MissingAPIKeyError("openai", "OPENAI_API_KEY"), ExitCode.CONFIG),
        (RunTimeoutError("slow"), ExitCode.TIMEOUT),
        (ProviderTimeoutError("slow", provider="openai"), ExitCode.TIMEOUT),
        (TimeoutError(), ExitCode.TIMEOUT),
        (NetworkBlockedError("guard"), ExitCode.SANDBOX),
        (Refused("root", "'../x' contains '..'"), ExitCode.SANDBOX),
        (AgentError("stopped"), ExitCode.FAILURE),
        (StepTimeoutError("Step 'flow/a' took longer than its timeout of 1 s"), ExitCode.TIMEOUT),
        (WorkflowError("Workflow 'flow' failed at flow/a"), ExitCode.FAILURE),
        (WorkflowDefinitionError("Step name 'a/b' may not contain '/'"), ExitCode.USAGE),
        (ServerError("500", status=500), ExitCode.FAILURE),
        (ProviderError("failed"), ExitCode.FAILURE),
        (KeyboardInterrupt(), ExitCode.INTERRUPTED),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else v.name,
)
def test_errors_map_to_statuses(error: BaseException, code: ExitCode) -> None:
    assert exit_code_for(error) is code


def test_a_refusal_inside_a_run_is_still_a_sandbox_status() -> None:
    wrapped = ToolExecutionError("tool 'read_file' raised", tool_name="read_file")
    wrapped.__cause__ = Refused("root", "'/etc/passwd' is an absolute path")
    assert exit_code_for(wrapped) is ExitCode.SANDBOX
    other = ToolExecutionError("tool 'x' raised", tool_name="x")
    other.__cause__ = ValueError("boom")
    assert exit_code_for(other) is ExitCode.FAILURE


def test_a_workflow_error_takes_the_status_of_a_timeout_or_refusal_that_caused_it() -> None:
    def failed(cause: BaseException) -> WorkflowError:
        try:
            raise WorkflowError("Workflow 'flow' failed at flow/read") from cause
        except WorkflowError as exc:
            return exc

    assert exit_code_for(failed(Refused("root", "'../x' contains '..'"))) is ExitCode.SANDBOX
    assert exit_code_for(failed(RunTimeoutError("slow"))) is ExitCode.TIMEOUT
    inner = ToolExecutionError("tool 'read_file' raised", tool_name="read_file")
    inner.__cause__ = Refused("root", "'/etc/passwd' is an absolute path")
    assert exit_code_for(failed(inner)) is ExitCode.SANDBOX
    assert exit_code_for(failed(ValueError("boom"))) is ExitCode.FAILURE
    assert exit_code_for(failed(UsageError("bad"))) is ExitCode.FAILURE


def test_a_definition_mistake_read_from_a_file_is_a_configuration_status() -> None:
    with pytest.raises(ConfigurationError) as caught, as_configuration():
        raise WorkflowDefinitionError("flows.yaml, line 4: unknown step kind", file="flows.yaml")
    assert exit_code_for(caught.value) is ExitCode.CONFIG
    assert isinstance(caught.value.__cause__, WorkflowDefinitionError)


# ------------------------------------------------------------------ 0: ok


def test_0_a_prompt_answered_offline_in_its_own_process() -> None:
    done = llmkit("prompt", "--fake", "Hello")
    assert done.returncode == ExitCode.OK, done.stderr
    assert done.stdout == "Hello! This is the llmkit fake server.\n"
    assert done.stderr == ""


# ------------------------------------------------------------------ 1: failure


def test_1_a_run_the_provider_refused(
    openai_env: FakeProviderServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_env.script([Fault.status(400, "This model does not exist.")])
    assert main(["prompt", "-m", "openai/gpt-4.1-mini", "hi"]) == ExitCode.FAILURE
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "This model does not exist." in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_1_a_missed_threshold_and_3_a_broken_eval_set_are_told_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"name": "x", "cases": []}))
    assert main(["eval", str(broken), "--model", "openai/gpt-4.1-mini"]) == ExitCode.CONFIG
    assert "error: An eval set needs 'cases'" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "missing.yaml")]) == ExitCode.CONFIG


def test_3_and_one_line_for_an_eval_set_nested_too_deeply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"cases": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert main(["eval", str(deep), "--model", "openai/gpt-4.1-mini"]) == ExitCode.CONFIG
    err = capsys.readouterr().err
    assert err.startswith(f"error: {deep} is refused as JSON: it nests more than 100 levels")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_1_a_reader_that_went_away_ends_the_command_quietly() -> None:
    clean = {k: v for k, v in os.environ.items() if k not in _REAL}
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmkit", "models"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # as `llmkit models | head -0` would
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == ExitCode.FAILURE
    assert err == ""


# ------------------------------------------------------------------ 2: usage


@pytest.mark.parametrize(
    "argv",
    [
        ["--bogus"],
        ["nosuchcommand"],
        ["prompt", "--fake", "--timeout", "soon", "hi"],
        ["prompt", "--fake", "-m", "nosuch/model", "hi"],
        ["prompt", "--fake"],  # an empty prompt
        ["models", "--provider", "nosuch"],
        ["eval"],
    ],
    ids=["option", "command", "timeout", "provider", "empty-prompt", "models", "eval-file"],
)
def test_2_command_line_mistakes(
    argv: list[str], offline: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "error: " in err and "Traceback" not in err


def test_2_a_usage_error_in_its_own_process() -> None:
    done = llmkit("replay", "run.jsonl", "--speed", "-1")
    assert done.returncode == ExitCode.USAGE
    assert done.stderr == "error: --speed takes 0 (no waiting), 1 (recorded pace) or more.\n"


# ------------------------------------------------------------------ 3: configuration


def test_3_no_model_and_no_api_key(offline: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prompt", "hi"]) == ExitCode.CONFIG
    assert "pass -m provider/model" in capsys.readouterr().err
    assert main(["prompt", "-m", "openai/gpt-4.1-mini", "hi"]) == ExitCode.CONFIG
    assert "OPENAI_API_KEY" in capsys.readouterr().err


def test_3_fake_without_the_testing_extra_names_the_install_command() -> None:
    code = (
        "import sys\nsys.modules['uvicorn'] = None\n"
        "from llmkit.cli import main\nsys.exit(main(['prompt', '--fake', 'hi']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, input=""
    )
    assert done.returncode == ExitCode.CONFIG
    assert "pip install 'llmkit[testing]'" in done.stderr
    assert "Traceback" not in done.stderr


# ------------------------------------------------------------------ 4: timeout


def test_4_a_run_past_its_timeout(
    openai_env: FakeProviderServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_env.script([Fault.slow(30)])
    argv = ["prompt", "-m", "openai/gpt-4.1-mini", "--timeout", "0.2", "hi"]
    assert main(argv) == ExitCode.TIMEOUT
    assert "took longer than 0.2 s" in capsys.readouterr().err


# ------------------------------------------------------------------ 5: sandbox


@pytest.mark.llmkit_allow_network  # the test puts its own guard in force, and expects a refusal
def test_5_a_request_the_network_guard_refuses(
    offline: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://192.0.2.1/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test")
    with block_network() as guard:
        assert main(["prompt", "-m", "openai/gpt-4.1-mini", "hi"]) == ExitCode.SANDBOX
    assert len(guard.blocked) == 1
    assert "network guard" in capsys.readouterr().err


# ------------------------------------------------------------------ 130: Ctrl-C


class _CtrlC(io.StringIO):
    def readline(self, size: int | None = -1) -> str:
        raise KeyboardInterrupt


def test_130_ctrl_c_ends_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", _CtrlC())
    assert main(["chat", "--fake"]) == ExitCode.INTERRUPTED
    assert "Traceback" not in capsys.readouterr().err
