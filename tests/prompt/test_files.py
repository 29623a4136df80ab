"""Prompt files: front-matter, versions, partials, lazy loading, and errors with file and line."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from llmkit.prompt import (
    MissingVariableError,
    PromptFileError,
    PromptNotFoundError,
    PromptSandboxError,
    PromptSyntaxError,
    load_prompts,
)

Write = Callable[[str, str], Path]

SUMMARISE_V2 = """\
---
version: 2
description: Summarise a text for an audience.
model: openai/gpt-4.1-mini
settings: {temperature: 0.2, max_tokens: 200}
output: Summary
metadata: {owner: docs}
---

Summarise for {{ audience }}:
{% include "_tone.md" %}
{{ text }}
"""


def test_markdown_front_matter_and_the_template_below_it(write: Write, tmp_path: Path) -> None:
    write("summarise.md", SUMMARISE_V2)
    write("_tone.md", "---\ndescription: a partial's front-matter is not text\n---\nBe kind.\n")
    prompt = load_prompts(tmp_path / "prompts")["summarise"]
    assert prompt.render(audience="kids", text="{{ x }}") == (
        "Summarise for kids:\nBe kind.\n{{ x }}\n"
    )
    assert (prompt.name, prompt.version, prompt.model, prompt.output) == (
        "summarise",
        "2",
        "openai/gpt-4.1-mini",
        "Summary",
    )
    assert prompt.settings == {"temperature": 0.2, "max_tokens": 200}
    assert prompt.description == "Summarise a text for an audience."
    assert prompt.info is not None and prompt.info.metadata == {"owner": "docs"}


def test_yaml_prompt_files(write: Write, tmp_path: Path) -> None:
    write("triage.yaml", "version: 3\ntemplate: |\n  Ticket: {{ ticket }}\n  Sort it.\n")
    assert load_prompts(tmp_path / "prompts")["triage@3"].render(ticket="T-1") == (
        "Ticket: T-1\nSort it.\n"
    )


def test_versions_by_front_matter_or_file_name_and_latest_by_default(
    write: Write, tmp_path: Path
) -> None:
    write("greet@1.md", "Hello {{ name }}.")
    write("greet@1.9.md", "Hi {{ name }}.")
    write("greet.md", "---\nversion: '1.10'\n---\nHey {{ name }}.")
    prompts = load_prompts(tmp_path / "prompts")
    assert list(prompts) == ["greet@1", "greet@1.9", "greet@1.10"]
    assert prompts.versions("greet") == ["1", "1.9", "1.10"]
    assert prompts["greet"].render(name="A") == "Hey A."  # 1.10 comes after 1.9
    assert prompts["greet@latest"] is prompts["greet"]
    assert prompts["greet@1"].render(name="A") == "Hello A."
    assert "greet@1.9" in prompts and "greet@2" not in prompts and len(prompts) == 3


def test_sub_directories_name_prompts_by_path(write: Write, tmp_path: Path) -> None:
    write("support/triage.md", "{% include 'support/_rules.md' %} {{ t }}")
    write("support/_rules.md", "Rules.")
    write(".hidden/x.md", "not a prompt")
    prompts = load_prompts(tmp_path / "prompts")
    assert list(prompts) == ["support/triage"]
    assert prompts["support/triage"].render(t="go") == "Rules. go"


def test_an_unknown_prompt_or_version_lists_what_there_is(write: Write, tmp_path: Path) -> None:
    write("a@1.md", "a")
    write("b.md", "b")
    prompts = load_prompts(tmp_path / "prompts")
    with pytest.raises(PromptNotFoundError, match=r"No prompt named 'c'.*\(prompts: a, b\)"):
        prompts["c"]
    with pytest.raises(PromptNotFoundError, match=r"no version '2'.*\(versions: 1\)"):
        prompts["a@2"]
    assert prompts.get("c") is None


def test_nothing_is_read_before_the_first_lookup_and_templates_compile_on_demand(
    write: Write, tmp_path: Path
) -> None:
    write("good.md", "fine")
    write("broken.md", "{% if %}")
    prompts = load_prompts(tmp_path / "prompts")  # nothing read yet
    write("late.md", "written after load_prompts")
    assert prompts["good"].render() == "fine"  # broken.md is not compiled
    assert prompts["late"].render() == "written after load_prompts"
    with pytest.raises(PromptSyntaxError):
        prompts["broken"]


def test_a_template_is_compiled_once_and_its_files_read_once(write: Write, tmp_path: Path) -> None:
    write("main.md", "{% include '_part.md' %}!")
    part = write("_part.md", "first")
    prompts = load_prompts(tmp_path / "prompts")
    first = prompts["main"]
    assert first.render() == "first!"
    part.write_text("second", encoding="utf-8")
    assert prompts["main"] is first
    assert first.render() == "first!"  # the compiled include is kept
    assert load_prompts(tmp_path / "prompts")["main"].render() == "second!"  # a new load reads


def test_a_missing_variable_names_the_file_and_the_line(write: Write, tmp_path: Path) -> None:
    path = write("letter.md", "---\nversion: 1\n---\nDear {{ name }},\n\n{{ body }}\n")
    with pytest.raises(MissingVariableError) as caught:
        load_prompts(tmp_path / "prompts")["letter"].render(name="Ada")
    error = caught.value
    assert (error.file, error.line, error.variable) == (str(path), 6, "body")
    assert f"({path}, line 6)" in str(error)


def test_a_missing_variable_in_a_partial_names_the_partial(write: Write, tmp_path: Path) -> None:
    write("main.md", "one\n{% include '_sig.md' %}\n")
    sig = write("_sig.md", "---\nx: 1\n---\n-- {{ signer }}\n")
    with pytest.raises(MissingVariableError) as caught:
        load_prompts(tmp_path / "prompts")["main"].render()
    assert (caught.value.file, caught.value.line) == (str(sig), 4)


def test_a_syntax_error_in_a_yaml_template_names_the_file_line(
    write: Write, tmp_path: Path
) -> None:
    path = write("t.yaml", "version: 1\ndescription: x\ntemplate: |\n  ok\n  {{ a + }}\n")
    with pytest.raises(PromptSyntaxError) as caught:
        load_prompts(tmp_path / "prompts")["t"]
    assert (caught.value.file, caught.value.line) == (str(path), 5)


def test_a_sandbox_refusal_in_a_file_names_the_file_line(write: Write, tmp_path: Path) -> None:
    path = write("evil.md", "---\nversion: 1\n---\nok\n{{ cycler.__init__.__globals__ }}\n")
    with pytest.raises(PromptSandboxError) as caught:
        load_prompts(tmp_path / "prompts")["evil"].render()
    assert (caught.value.file, caught.value.line) == (str(path), 5)


@pytest.mark.parametrize(
    "target",
    ["../secret.md", "/etc/hostname", "sub/../../secret.md", "..\\\\secret.md"],
)
def test_includes_cannot_leave_the_directory(write: Write, tmp_path: Path, target: str) -> None:
    (tmp_path / "secret.md").write_text("SECRET", encoding="utf-8")
    write("sneaky.md", f"{{% include '{target}' %}}")
    with pytest.raises(PromptNotFoundError) as caught:
        load_prompts(tmp_path / "prompts")["sneaky"].render()
    assert "SECRET" not in str(caught.value)


def test_a_link_out_of_the_directory_is_refused(write: Write, tmp_path: Path) -> None:
    (tmp_path / "secret.md").write_text("SECRET", encoding="utf-8")
    os.symlink(tmp_path / "secret.md", tmp_path / "prompts" / "_link.md")
    write("sneaky.md", "{% include '_link.md' %}")
    with pytest.raises(PromptNotFoundError, match="only files inside the prompt directory"):
        load_prompts(tmp_path / "prompts")["sneaky"].render()


def test_an_include_of_a_missing_file_is_a_typed_error(write: Write, tmp_path: Path) -> None:
    write("main.md", "x\n{% include '_nope.md' %}")
    with pytest.raises(PromptNotFoundError, match="no such file") as caught:
        load_prompts(tmp_path / "prompts")["main"].render()
    assert caught.value.line == 2


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("---\nversion: 1\ncolour: red\n---\nx", 3, "unknown field 'colour'"),
        ("---\nversion: 1.10\n---\nx", 2, "in quotes"),
        ("---\nversion: two\n---\nx", 2, "not numbers separated by dots"),
        ("---\nsettings: [1, 2]\n---\nx", 2, "settings takes a mapping"),
        ("---\nmodel: 3\n---\nx", 2, "model takes a text"),
        ("---\nname: two words\n---\nx", 2, "may not hold spaces"),
        ("---\ntemplate: hi\n---\nx", 2, "text below the front-matter"),
        ("---\nversion: 1\nx", 1, "never closed"),
        ("---\n- a list\n---\nx", 1, "must be a mapping"),
        ("---\nversion: [1\n---\nx", 3, "not valid YAML"),
        ("---\ndescription: !!python/object:os.system x\n---\nx", 2, "not valid YAML"),
    ],
)
def test_malformed_front_matter_names_the_file_and_line(
    write: Write, tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    path = write("bad.md", text)
    with pytest.raises(PromptFileError) as caught:
        load_prompts(tmp_path / "prompts")["bad"]
    assert (caught.value.file, caught.value.line) == (str(path), line)
    assert fragment in str(caught.value)


def test_a_yaml_bomb_in_front_matter_is_refused(
    write: Write, tmp_path: Path, yaml_bomb: str
) -> None:
    write("bomb.md", f"---\nmetadata: {{x: {yaml_bomb}}}\n---\nx")
    with pytest.raises(PromptFileError, match="alias"):
        load_prompts(tmp_path / "prompts").infos()


def test_a_yaml_file_without_a_template_is_refused(write: Write, tmp_path: Path) -> None:
    write("t.yaml", "version: 1\n")
    with pytest.raises(PromptFileError, match="template"):
        list(load_prompts(tmp_path / "prompts"))


def test_two_files_with_one_version_are_refused_naming_both(write: Write, tmp_path: Path) -> None:
    one = write("a.md", "---\nversion: 2\n---\nx")
    two = write("a@2.md", "y")
    with pytest.raises(PromptFileError) as caught:
        list(load_prompts(tmp_path / "prompts"))
    assert str(one) in str(caught.value) and str(two) in str(caught.value)


def test_a_name_with_and_without_versions_is_refused(write: Write, tmp_path: Path) -> None:
    write("a.md", "x")
    write("a@2.md", "y")
    with pytest.raises(PromptFileError, match="give every file of a prompt a version"):
        load_prompts(tmp_path / "prompts")["a"]


def test_a_file_name_version_must_agree_with_the_front_matter(write: Write, tmp_path: Path) -> None:
    write("a@2.md", "---\nversion: 3\n---\nx")
    with pytest.raises(PromptFileError, match="differs"):
        load_prompts(tmp_path / "prompts")["a"]


def test_a_missing_directory_is_refused_at_once(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="No prompt directory") as caught:
        load_prompts(tmp_path / "nope")
    assert not isinstance(caught.value, PromptFileError)
