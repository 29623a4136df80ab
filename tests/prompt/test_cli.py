"""``llmkit prompts list`` and ``llmkit prompts render``: output and exit statuses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from llmkit.cli import ExitCode, main

Write = Callable[[str, str], Path]


@pytest.fixture
def folder(write: Write, tmp_path: Path) -> str:
    write("summarise@1.md", "---\ndescription: The first.\n---\nOld: {{ text }}\n")
    write(
        "summarise@2.md",
        "---\ndescription: Shorter.\nmodel: openai/gpt-4.1-mini\n---\n"
        "For {{ audience }}: {{ text }}\n",
    )
    write("_partial.md", "not listed")
    return str(tmp_path / "prompts")


def test_list_prints_each_prompt_with_its_description_and_model(
    folder: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prompts", "list", folder]) == ExitCode.OK
    assert capsys.readouterr().out.splitlines() == [
        "summarise@1  The first.",
        "summarise@2  Shorter.  [openai/gpt-4.1-mini]",
    ]


def test_list_reads_the_prompts_directory_by_default(
    folder: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(Path(folder).parent)
    assert main(["prompts", "list"]) == ExitCode.OK
    assert "summarise@2" in capsys.readouterr().out


def test_render_prints_the_latest_with_the_values_as_text(
    folder: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["prompts", "render", "summarise", "--dir", folder]
    assert main([*args, "--var", "audience=kids", "--var", "text={{ a=b }}"]) == ExitCode.OK
    assert capsys.readouterr().out == "For kids: {{ a=b }}\n"
    assert main(["prompts", "render", "summarise@1", "--dir", folder, "--var", "text=t"]) == 0
    assert capsys.readouterr().out == "Old: t\n"


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["render", "summarise", "--var", "audience=kids"], ExitCode.USAGE, "'text' is undefined"),
        (["render", "summarise", "--var", "audience"], ExitCode.USAGE, "NAME=VALUE"),
        (["render", "nope"], ExitCode.USAGE, "No prompt named 'nope'"),
        (["render", "summarise@9"], ExitCode.USAGE, "no version '9'"),
        (["render", "broken"], ExitCode.CONFIG, "does not parse"),
        (["render", "evil"], ExitCode.SANDBOX, "refused by the sandbox"),
    ],
)
def test_render_failures_exit_with_the_table_s_status(
    folder: str,
    write: Write,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    code: ExitCode,
    fragment: str,
) -> None:
    write("broken.md", "{% for %}")
    write("evil.md", "{{ ''.__class__ }}")
    assert main(["prompts", *args, "--dir", folder]) == code
    assert fragment in capsys.readouterr().err


def test_a_malformed_file_is_a_configuration_error_for_list(
    folder: str, write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    write("bad.md", "---\ncolour: red\n---\n")
    assert main(["prompts", "list", folder]) == ExitCode.CONFIG
    assert "bad.md, line 2: unknown field 'colour'" in capsys.readouterr().err


def test_a_missing_directory_and_a_missing_action_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prompts", "list", str(tmp_path / "nope")]) == ExitCode.USAGE
    assert main(["prompts"]) == ExitCode.USAGE
