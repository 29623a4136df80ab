"""The first difference between two JSON values, said in one line (for replay divergences)."""

from __future__ import annotations

import json
from typing import Any

from llmkit._plural import plural

__all__ = ["first_difference"]

_MAX = 80


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _MAX else text[: _MAX - 1] + "…"


def first_difference(recorded: Any, now: Any, path: str = "") -> str | None:
    """Where ``now`` first departs from ``recorded`` (``"messages[1].parts[0].text: …"``), or None."""
    here = path or "(the whole value)"
    if isinstance(recorded, dict) and isinstance(now, dict):
        for key in (*recorded, *(k for k in now if k not in recorded)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in now:
                return f"{sub}: recorded {_show(recorded[key])}, now missing"
            if key not in recorded:
                return f"{sub}: not recorded, now {_show(now[key])}"
            found = first_difference(recorded[key], now[key], sub)
            if found is not None:
                return found
        return None
    if isinstance(recorded, list) and isinstance(now, list):
        for index, (a, b) in enumerate(zip(recorded, now, strict=False)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found is not None:
                return found
        if len(recorded) != len(now):
            return f"{here}: recorded {plural(len(recorded), 'item')}, now {len(now)}"
        return None
    if recorded != now:
        return f"{here}: recorded {_show(recorded)}, now {_show(now)}"
    return None
