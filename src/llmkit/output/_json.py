"""Recovering JSON from what a model wrote.

Models wrap JSON in code fences, put prose around it, leave trailing commas,
use single quotes, or stop part-way. :func:`parse_json` takes the fast path
(``json.loads``) when the text is clean and falls back to the ``json-repair``
library otherwise. Repair can invent values (a truncated string is closed, a
missing value becomes empty), so always validate what it returns.
"""

from __future__ import annotations

import json
import re
from typing import Any

from llmkit.errors import ExtractionError

__all__ = ["NoJSONError", "parse_json"]

_FENCE = re.compile(r"```(?:json|JSON|javascript|js)?\s*\n?(.*?)(?:```|$)", re.S)


class NoJSONError(ExtractionError, ValueError):
    """The text holds nothing that can be read as JSON (a ``ValueError`` too, as it always was)."""


def parse_json(text: str) -> Any:
    """The JSON value in ``text``, repaired if needed; raises :class:`NoJSONError` when there is none."""
    stripped = text.strip()
    if not stripped:
        raise NoJSONError("the answer is empty", raw=text, format="json")
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    fenced = _FENCE.search(stripped)
    if fenced is not None:
        inner = fenced.group(1).strip()
        try:
            return json.loads(inner)
        except ValueError:
            stripped = inner or stripped
    from json_repair import repair_json

    value = repair_json(stripped, return_objects=True)
    if value == "" or (isinstance(value, str) and value.strip() == stripped):
        # json-repair gives back "" (or the text itself) when it found no JSON at all.
        raise NoJSONError("the answer holds no JSON value", raw=text, format="json")
    return value
