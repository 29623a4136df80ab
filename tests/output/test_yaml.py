"""The one YAML loader: alias bombs, deep nesting and oversized documents are refused early."""

from __future__ import annotations

import re
import tracemalloc
from pathlib import Path

import pytest

from llmkit.errors import UsageError
from llmkit.output._yaml import YAMLLimits, parse_yaml, read_yaml


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
