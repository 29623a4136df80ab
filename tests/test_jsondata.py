"""The one bounded JSON reader: nesting measured before parsing, data files refused as UsageErrors."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from llmkit._jsondata import (
    MAX_DEPTH,
    JSONTooDeep,
    KeyPath,
    loads,
    parse_json,
    parse_json_located,
    read_json,
    read_json_located,
    refusal_line,
    too_deep,
)
from llmkit.errors import UsageError


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


def _document(rng: random.Random, depth: int) -> Any:
    """A random JSON value; strings hold brackets, quotes and backslashes to mislead a scan."""
    if depth == 0 or rng.random() < 0.2:
        return rng.choice([1, None, True, '"[{', "]}\\", '\\"[', "é[\n", "x" * rng.randint(0, 3)])
    children = [_document(rng, depth - 1) for _ in range(rng.randint(0, 3))]
    if rng.random() < 0.5:
        return children
    return {f"k{i}[{{": child for i, child in enumerate(children)}


def test_the_measured_depth_is_exact_for_valid_json() -> None:
    rng = random.Random(7)
    for _ in range(400):
        document = _document(rng, rng.randint(0, 12))
        text = json.dumps(document, ensure_ascii=rng.random() < 0.5)
        depth = _depth(document)
        for bound in (max(depth - 1, 0), depth, depth + 1):
            assert too_deep(text, bound) == (depth > bound), (text, bound)


def test_the_bound_is_inclusive_and_strings_do_not_count() -> None:
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(JSONTooDeep, match=f"more than {MAX_DEPTH} levels deep"):
        loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert loads(json.dumps(["[" * 10_000, {"{": "}" * 5}]), max_depth=2) == [
        "[" * 10_000,
        {"{": "}" * 5},
    ]
    assert loads(b'{"a": [1, 2]}', max_depth=2) == {"a": [1, 2]}
    with pytest.raises(JSONTooDeep):
        loads(b"[[[]]]", max_depth=2)


def test_a_nesting_bomb_is_refused_before_json_recurses() -> None:
    # 100,000 levels: json.loads alone raises RecursionError; here it is a ValueError.
    with pytest.raises(JSONTooDeep) as caught:
        loads("[" * 100_000 + "]" * 100_000)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(JSONTooDeep):
        loads("[" * 100_000)  # never closed: still too deep, not a crash
    with pytest.raises(json.JSONDecodeError):
        loads("]" * 200)  # closing brackets alone are not deep, just not JSON


def test_data_text_and_files_are_usage_errors_that_name_themselves(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^set.json is refused as JSON: it nests more than 3"):
        parse_json('{"a": [[[1]]]}', name="set.json", max_depth=3)
    with pytest.raises(UsageError, match=r"^The JSON text is not valid JSON: Expecting"):
        parse_json("{")
    file = tmp_path / "data.json"
    file.write_text('{"a": 1}', encoding="utf-8-sig")  # a byte-order mark is no error
    assert read_json(file) == {"a": 1}
    with pytest.raises(UsageError, match=re.escape(f"{file} is refused as JSON: it is longer")):
        read_json(file, max_bytes=5)
    with pytest.raises(UsageError, match="No such file"):
        read_json(tmp_path / "missing.json")
    (tmp_path / "latin.json").write_bytes(b'"\xe9"')
    with pytest.raises(UsageError, match="Cannot read"):
        read_json(tmp_path / "latin.json")


def _dumped_lines(data: Any) -> dict[KeyPath, int]:
    """Where ``json.dumps(data, indent=2)`` puts each entry: one a line, closing brackets too."""
    lines: dict[KeyPath, int] = {}
    line = 0

    def walk(path: KeyPath, value: Any) -> None:
        nonlocal line
        line += 1
        lines[path] = line
        if isinstance(value, (dict, list)) and value:
            for key, child in value.items() if isinstance(value, dict) else enumerate(value):
                walk((*path, key), child)
            line += 1  # the closing bracket

    walk((), data)
    return lines


DEFINITION: dict[str, Any] = {
    "name": "article",
    "retry": {"attempts": 3, "on": ["RateLimitError", "ServerError"]},
    "steps": [
        {"agent": "researcher", "input": "topic", "output": "notes"},
        {"parallel": [{"agent": "critic_a"}, {"agent": "critic_b"}], "output": "reviews"},
        {"branch": [{"when": "score < 0.8", "then": {"agent": "rewriter"}}], "otherwise": {}},
        {"loop": {"agent": "editor"}, "until": "approved", "max_iterations": 3},
        {"map": {"agent": "summariser"}, "over": "chapters", "delay": 0.5, "collect": False},
    ],
    "workflows": {"review": {"sequence": [{"agent": "critic_a"}, None, []]}},
}


def test_a_located_read_gives_the_line_of_every_key_and_item() -> None:
    text = json.dumps(DEFINITION, indent=2)
    assert text.count("\n") + 1 >= 40
    located = parse_json_located(text)
    assert located.data == DEFINITION
    assert located.lines == _dumped_lines(DEFINITION)
    for document in (DEFINITION, *(_document(random.Random(seed), 8) for seed in range(200))):
        text = json.dumps(document, indent=2)
        assert parse_json_located(text).lines == _dumped_lines(document), text
        on_one_line = parse_json_located(json.dumps(document))
        assert on_one_line.data == document
        assert on_one_line.lines == dict.fromkeys(_dumped_lines(document), 1)


def test_a_key_is_located_where_it_is_written_whatever_surrounds_it() -> None:
    text = (
        '\n  {"a": 1, "\\"{[": [1,\n'  # a key with a quote and brackets in it
        '   {"c": "x\\"{\\n"}, [\n'
        "   ] ],\n"
        ' "d"\n'  # the key on one line, its value on the next
        ' : {}, "a": [2\n'  # a repeated key: the last one is the data's
        "]}\n"
    )
    located = parse_json_located(text)
    assert located.data == json.loads(text)
    assert located.lines == {
        (): 2,
        ('"{[',): 2,
        ('"{[', 0): 2,
        ('"{[', 1): 3,
        ('"{[', 1, "c"): 3,
        ('"{[', 2): 3,
        ("d",): 5,
        ("a",): 6,
        ("a", 0): 6,
    }
    assert located.line(("d", "missing")) == 5
    assert located.line(("nowhere", 3)) == 2


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{"a": 1,\n "b": }', 2),
        ("[1,\n2", 2),
        ('{"a": 1}\n\nx', 3),
        ("", 1),
        ("[[[[1]]]]", 0),
        ("[" * 100_000, 0),
    ],
)
def test_a_located_refusal_says_what_the_plain_one_says_and_keeps_its_line(
    text: str, line: int
) -> None:
    with pytest.raises(UsageError) as plain:
        parse_json(text, name="flow.json", max_depth=3)
    with pytest.raises(UsageError) as located:
        parse_json_located(text, name="flow.json", max_depth=3)
    assert str(located.value) == str(plain.value)
    assert refusal_line(located.value) == line
    if line:
        assert isinstance(located.value.__cause__, json.JSONDecodeError)


def test_a_located_read_takes_the_default_depth_and_refuses_what_it_cannot_reach() -> None:
    assert len(parse_json_located("[" * MAX_DEPTH + "]" * MAX_DEPTH).lines) == MAX_DEPTH
    deep = "[" * 2000 + "]" * 2000
    with pytest.raises(UsageError, match=r"^flow.json is refused as JSON: it nests too deeply to"):
        parse_json_located(deep, name="flow.json", max_depth=5000)


def test_a_located_file_read_is_bounded_and_named(tmp_path: Path) -> None:
    file = tmp_path / "flow.json"
    file.write_text(json.dumps(DEFINITION, indent=2), encoding="utf-8-sig")
    assert read_json_located(file).lines == _dumped_lines(DEFINITION)
    with pytest.raises(UsageError, match=re.escape(f"{file} is refused as JSON: it is longer")):
        read_json_located(file, max_bytes=5)
    with pytest.raises(UsageError, match=re.escape(f"{file} is refused as JSON: it nests")):
        read_json_located(file, max_depth=2)
