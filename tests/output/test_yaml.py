"""The one YAML loader: alias bombs, deep nesting and oversized documents are refused early."""

from __future__ import annotations

import re
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from llmkit._jsondata import Located, refusal_line
from llmkit.errors import MissingExtraError, UsageError
from llmkit.output._yaml import (
    YAMLLimits,
    parse_yaml,
    parse_yaml_located,
    read_yaml,
    read_yaml_located,
)


def test_an_alias_bomb_is_refused_before_it_expands(yaml_bomb: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(UsageError, match=r"aliases expanded .* more than 2,000,000 values"):
            parse_yaml(yaml_bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


@pytest.mark.parametrize(
    ("text", "limits", "match"),
    [
        ("a: &a [1, *a]\n", YAMLLimits(), "recursive document"),
        ("a: &a {b: *a}\n", YAMLLimits(), "recursive document"),
        ("[" * 101 + "]" * 101, YAMLLimits(), "more than 100 levels deep"),
        ("a: [[[1]]]\n", YAMLLimits(max_depth=3), "more than 3 levels deep"),
        ("a: &a 1\nb: [*a, *a, *a]\n", YAMLLimits(max_aliases=2), "more than 2 aliases"),
        ("a: &a [1, 2, 3]\nb: [*a, *a]\n", YAMLLimits(max_nodes=15), "more than 15 values"),
        ("a: 12345\n", YAMLLimits(max_bytes=5), "longer than 5 bytes"),
        ("a: " + "9" * 5000 + "\n", YAMLLimits(), "a number of 5,000 characters"),
        ("a: [1\n", YAMLLimits(), "not valid YAML"),
        ("a: !!python/object:os.system x\n", YAMLLimits(), "not valid YAML"),
    ],
)
def test_each_bound_is_a_usage_error_that_names_it(
    text: str, limits: YAMLLimits, match: str
) -> None:
    with pytest.raises(UsageError, match=match):
        parse_yaml(text, limits=limits)


@pytest.mark.parametrize(
    "number",
    [
        "1:2:3",  # YAML 1.1 reads 3723, by multiplying a growing integer once per part
        "-59:59",
        "1_000:30",
        ":".join(["59"] * 2000),  # quadratic: 320,000 parts (1 MB) took 18 s
        ":".join(["1"] * 180) + ".5",  # the float form overflowed: a raw OverflowError
        "190:20:30.15",
    ],
)
def test_a_base_60_number_is_refused_with_what_to_write_instead(number: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_yaml(f"instructions: hi\ncases:\n  - input: {number}\n", name="set.yaml")
    assert str(caught.value).startswith("set.yaml is refused as YAML: line 3 holds ")
    assert "base-60 number" in str(caught.value)
    assert "in quotes" in str(caught.value)
    assert parse_yaml(f"t: '{number}'\n") == {"t": number}  # quoted, it is text


@pytest.mark.parametrize(
    "number", ["0b" + "1" * 5000, "0x" + "f" * 5000, "0" + "7" * 5000, "1." + "5" * 5000]
)
def test_a_number_longer_than_python_prints_is_refused(number: str) -> None:
    with pytest.raises(UsageError, match=r"line 1 holds a number of 5,00\d characters"):
        parse_yaml(f"n: {number}\n")


def test_numbers_of_every_other_form_still_load() -> None:
    text = "a: 0b101\nb: 0x1F\nc: 017\nd: -1_000\ne: 1.5e+3\nf: .inf\ng: '12:30'\nh: 12:30:x\n"
    loaded = parse_yaml(text)
    assert loaded == {
        "a": 5,
        "b": 31,
        "c": 15,
        "d": -1000,
        "e": 1500.0,
        "f": float("inf"),
        "g": "12:30",
        "h": "12:30:x",
    }


def test_anchors_merge_keys_and_plain_documents_load() -> None:
    text = "base: &b {k: 1}\nmerged: {<<: *b, j: 2}\nboth: [*b, *b]\nn: 3\n"
    assert parse_yaml(text) == {
        "base": {"k": 1},
        "merged": {"k": 1, "j": 2},
        "both": [{"k": 1}, {"k": 1}],
        "n": 3,
    }
    # 16 values expanded: the mapping, its 2 keys, a (4) and b holding two copies of a (9).
    assert parse_yaml("a: &a [1, 2, 3]\nb: [*a, *a]\n", limits=YAMLLimits(max_nodes=16)) == {
        "a": [1, 2, 3],
        "b": [[1, 2, 3], [1, 2, 3]],
    }
    assert parse_yaml("") is None


def test_a_file_is_measured_before_it_is_read(tmp_path: Path) -> None:
    file = tmp_path / "big.yaml"
    file.write_text("a: 1\n" * 100)
    with pytest.raises(UsageError, match=re.escape(f"{file} is refused as YAML: it is longer")):
        read_yaml(file, limits=YAMLLimits(max_bytes=100))
    assert read_yaml(file) == {"a": 1}
    with pytest.raises(UsageError, match="No such file"):
        read_yaml(tmp_path / "missing.yaml")


def test_every_yaml_read_in_the_library_goes_through_the_bounded_loader() -> None:
    src = Path(__file__).parents[2] / "src" / "llmkit"
    loaders = re.compile(r"^\s*(import yaml|from yaml )|yaml\.(safe_)?load", re.M)
    found = [
        str(path.relative_to(src))
        for path in src.rglob("*.py")
        if loaders.search(path.read_text(encoding="utf-8"))
    ]
    assert found == ["output/_yaml.py"]


DEFINITION = """\
llmkit_workflow: 1
name: article   # the root
state: Article
retry: {attempts: 3, backoff: exponential, delay: 0.5,
        max_delay: 30, on: [RateLimitError, ServerError]}
breakers:
  openai: {failure_threshold: 5, reset_timeout: 30}
steps:
  - agent: researcher
    input: topic
    output: notes
  - parallel:
      - {agent: critic_a}
      - agent: critic_b
        timeout: 60
    output: reviews
    errors: collect
  - {function: score, output: score}
  - branch:
      - when: "score < 0.8"
        then:
          agent: rewriter
          output: draft
    otherwise: {agent: publisher}
  - loop:
      agent: editor
      breaker: openai
    until: approved

    max_iterations: 3
  - map: {agent: summariser}
    over: chapters
    output: summaries
  - use: review
workflows:
  review:
    name: review
    sequence:
      - {agent: critic_a}
      - >-
        a folded text
        on two lines
"""

DEFINITION_LINES = {
    (): 1,
    ("llmkit_workflow",): 1,
    ("name",): 2,
    ("state",): 3,
    ("retry",): 4,
    ("retry", "attempts"): 4,
    ("retry", "backoff"): 4,
    ("retry", "delay"): 4,
    ("retry", "max_delay"): 5,
    ("retry", "on"): 5,
    ("retry", "on", 0): 5,
    ("retry", "on", 1): 5,
    ("breakers",): 6,
    ("breakers", "openai"): 7,
    ("breakers", "openai", "failure_threshold"): 7,
    ("breakers", "openai", "reset_timeout"): 7,
    ("steps",): 8,
    ("steps", 0): 9,
    ("steps", 0, "agent"): 9,
    ("steps", 0, "input"): 10,
    ("steps", 0, "output"): 11,
    ("steps", 1): 12,
    ("steps", 1, "parallel"): 12,
    ("steps", 1, "parallel", 0): 13,
    ("steps", 1, "parallel", 0, "agent"): 13,
    ("steps", 1, "parallel", 1): 14,
    ("steps", 1, "parallel", 1, "agent"): 14,
    ("steps", 1, "parallel", 1, "timeout"): 15,
    ("steps", 1, "output"): 16,
    ("steps", 1, "errors"): 17,
    ("steps", 2): 18,
    ("steps", 2, "function"): 18,
    ("steps", 2, "output"): 18,
    ("steps", 3): 19,
    ("steps", 3, "branch"): 19,
    ("steps", 3, "branch", 0): 20,
    ("steps", 3, "branch", 0, "when"): 20,
    ("steps", 3, "branch", 0, "then"): 21,
    ("steps", 3, "branch", 0, "then", "agent"): 22,
    ("steps", 3, "branch", 0, "then", "output"): 23,
    ("steps", 3, "otherwise"): 24,
    ("steps", 3, "otherwise", "agent"): 24,
    ("steps", 4): 25,
    ("steps", 4, "loop"): 25,
    ("steps", 4, "loop", "agent"): 26,
    ("steps", 4, "loop", "breaker"): 27,
    ("steps", 4, "until"): 28,
    ("steps", 4, "max_iterations"): 30,
    ("steps", 5): 31,
    ("steps", 5, "map"): 31,
    ("steps", 5, "map", "agent"): 31,
    ("steps", 5, "over"): 32,
    ("steps", 5, "output"): 33,
    ("steps", 6): 34,
    ("steps", 6, "use"): 34,
    ("workflows",): 35,
    ("workflows", "review"): 36,
    ("workflows", "review", "name"): 37,
    ("workflows", "review", "sequence"): 38,
    ("workflows", "review", "sequence", 0): 39,
    ("workflows", "review", "sequence", 0, "agent"): 39,
    ("workflows", "review", "sequence", 1): 40,
}


def test_a_located_read_gives_the_line_of_every_key_and_item() -> None:
    located = parse_yaml_located(DEFINITION)
    plain = parse_yaml(DEFINITION)
    plain["retry"]["on"] = plain["retry"].pop(True)  # YAML 1.1 reads the key on: as True
    assert located.data == plain
    assert located.lines == DEFINITION_LINES
    assert located.data["workflows"]["review"]["sequence"][1] == "a folded text on two lines"


def test_a_located_read_knows_only_true_and_false_as_booleans() -> None:
    text = "on: [on, off, yes, no, y, n, true, True, TRUE, false, False, FALSE, tRUE, 0x1f, ~]\n"
    rest = ["y", "n", True, True, True, False, False, False, "tRUE", 31, None]
    assert parse_yaml_located(text).data == {"on": ["on", "off", "yes", "no", *rest]}
    # The plain read keeps YAML 1.1 for the files it reads.
    assert parse_yaml(text) == {True: [True, False, True, False, *rest]}


def test_a_path_without_a_line_of_its_own_gets_the_line_that_holds_it() -> None:
    located = parse_yaml_located(DEFINITION)
    assert located.line(("steps", 1, "parallel", 1, "timeout")) == 15
    assert located.line(("steps", 1, "parallel", 1, "missing")) == 14  # the mapping's line
    assert located.line(("steps", 9, "agent")) == 8
    assert located.line() == 1
    assert parse_yaml_located("# nothing\n") == Located(None, {(): 1})


def test_aliases_are_walked_where_they_are_written_first() -> None:
    text = "a:\n  p: &x [1, 2]\nb:\n  - 0\n  - *x\nc: *x\nd: [&y {k: 1}, *y]\n"
    located = parse_yaml_located(text)
    assert located.data == parse_yaml(text)
    assert located.lines[("a", "p", 1)] == 2
    assert ("b", 1) not in located.lines  # the composed document forgets where *x was
    assert located.line(("b", 1, 0)) == 3
    assert located.lines[("c",)] == 6  # a key is at its own line, whatever its value
    assert ("c", 0) not in located.lines
    assert located.lines[("d", 0, "k")] == 7
    assert ("d", 1) not in located.lines


def test_merge_keys_and_repeated_keys_locate_the_value_the_data_holds() -> None:
    text = "base: &b\n  k: 1\nmerged:\n  <<: *b\n  j: 2\nrepeated: {x: 1}\nrepeated:\n  y: 2\n"
    located = parse_yaml_located(text)
    assert located.data == {"base": {"k": 1}, "merged": {"k": 1, "j": 2}, "repeated": {"y": 2}}
    assert located.lines[("merged", "k")] == 2  # where the merged value is written
    assert located.lines[("merged", "j")] == 5
    assert ("merged", "<<") not in located.lines
    assert located.lines[("repeated",)] == 7
    assert located.lines[("repeated", "y")] == 8
    assert ("repeated", "x") not in located.lines


def test_an_alias_bomb_is_refused_by_the_located_read_too(yaml_bomb: str) -> None:
    with pytest.raises(UsageError) as plain:
        parse_yaml(yaml_bomb, name="flow.yaml")
    with pytest.raises(UsageError) as located:
        parse_yaml_located(yaml_bomb, name="flow.yaml")
    assert str(located.value) == str(plain.value)
    assert "aliases expanded" in str(located.value)


@pytest.mark.parametrize(
    ("text", "limits", "line"),
    [
        ("a: 1\nb: &a [1, *a]\n", YAMLLimits(), 2),
        ("a: 1\nb:\n  - [[[1]]]\n", YAMLLimits(max_depth=3), 3),
        ("a: &a 1\nb: [*a,\n  *a, *a]\n", YAMLLimits(max_aliases=2), 3),
        ("a: 1\nb:\n  c: 1:30\n", YAMLLimits(), 3),
        ("a: 1\nb: !!python/object:os.system x\n", YAMLLimits(), 2),
        ("a: 1\nb: c: d\n", YAMLLimits(), 2),
        ("a: 1\nb: *nowhere\n", YAMLLimits(), 2),
        ("a: 12345\n", YAMLLimits(max_bytes=5), 0),
    ],
)
def test_a_located_refusal_says_what_the_plain_one_says_and_keeps_its_line(
    text: str, limits: YAMLLimits, line: int
) -> None:
    with pytest.raises(UsageError) as plain:
        parse_yaml(text, name="flow.yaml", limits=limits)
    with pytest.raises(UsageError) as located:
        parse_yaml_located(text, name="flow.yaml", limits=limits)
    assert str(located.value) == str(plain.value)
    assert plain.value.__cause__ is None  # the plain read is unchanged
    assert refusal_line(located.value) == line


def test_a_located_file_read_is_bounded_and_named(tmp_path: Path) -> None:
    file = tmp_path / "flow.yaml"
    file.write_text(DEFINITION, encoding="utf-8")
    assert read_yaml_located(file).lines == DEFINITION_LINES
    with pytest.raises(UsageError, match=re.escape(f"{file} is refused as YAML: it is longer")):
        read_yaml_located(file, limits=YAMLLimits(max_bytes=100))
    file.write_text("a: [1\n", encoding="utf-8")
    with pytest.raises(UsageError, match=re.escape(f"{file} is not valid YAML")):
        read_yaml_located(file)


@pytest.mark.parametrize(
    "read",
    [
        lambda extra: parse_yaml("a: 1\n", extra=extra),
        lambda extra: parse_yaml_located("a: 1\n", extra=extra),
    ],
)
def test_a_missing_pyyaml_names_the_extra_the_caller_gives(
    monkeypatch: pytest.MonkeyPatch, read: Callable[[str], object]
) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(MissingExtraError) as caught:
        read("workflow")
    assert str(caught.value) == "Reading YAML needs pyyaml: pip install 'llmkit[workflow]'."
    with pytest.raises(MissingExtraError, match=re.escape("llmkit[eval]")):
        parse_yaml("a: 1\n")
