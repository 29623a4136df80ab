"""The ``json`` module: JSON text to script values and back, ``json.null`` and arrays."""

from __future__ import annotations

import json
from typing import Any

from llmkit.errors import UsageError
from llmkit.scripting._bridge import JSON_NULL, Bridge
from llmkit.scripting._host import Host

__all__ = ["bridge"]

bridge = Bridge(
    "json",
    "JSON text to script values and back. A table with keys 1..n is an array, any other a "
    "JSON object; the empty table is an object unless marked with `json.array`.",
)
bridge.constant(
    "null",
    JSON_NULL,
    "JSON null inside a table (a key or slot that is there with no value). Alone, null is nil.",
)


@bridge.function
def encode(host: Host, value: Any, indent: int | None = None) -> str:
    """Encode `value` as JSON text, keys sorted; `indent` spaces per level for pretty output."""
    try:
        return json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"json.encode: {exc} (give tables, strings, numbers, booleans)") from exc


@bridge.function
def decode(host: Host, text: str) -> Any:
    """Decode JSON `text`; objects become tables, arrays marked arrays, null `json.null` inside tables."""
    if not isinstance(text, str):
        raise UsageError(f"json.decode takes a string, not {type(text).__name__}.")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"json.decode: not JSON: {exc}") from exc


@bridge.function
def array(host: Host, items: Any = None) -> list[Any]:
    """A copy of `items` (default empty) marked as an array, so an empty one encodes as `[]`."""
    if items is None or items == {}:
        return []
    if isinstance(items, list):
        return items
    raise UsageError("json.array takes a sequence table such as {1, 2, 3} (or nothing).")
