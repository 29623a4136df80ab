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
    loads,
    parse_json,
    read_json,
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
