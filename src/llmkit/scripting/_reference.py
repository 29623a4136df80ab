"""The module reference of ``docs/scripting.md``, built from the bridges' own docstrings.

``python -m llmkit.scripting._reference docs/scripting.md`` rewrites the part of the
page between the ``<!-- reference:start -->`` and ``<!-- reference:end -->`` markers;
a test fails when the page holds anything else there, so the reference cannot drift
from the code.

Every function, method and constant is given in its Lua form and its JavaScript form:
in JavaScript a name is camelCase (:func:`js_name`, the rule the JavaScript prelude
applies) and a call gives a promise; data keys are the same in both languages.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from llmkit.scripting._bridge import Bridge, HostObject

__all__ = ["END", "START", "js_name", "reference", "update"]

START = "<!-- reference:start -->"
END = "<!-- reference:end -->"


_LANGUAGES = (
    "Each entry gives the Lua form, then the JavaScript form. In JavaScript the modules are the "
    "same globals; names are camelCase (`run_async` is `runAsync`, `count_tokens` is "
    "`countTokens`); every function and method gives a promise (`await` it), and an object "
    "with `next` is an async iterable (`for await (const piece of stream)`). Data keys are the "
    "same in both languages, snake_case as in Python: options (`{ max_tokens: 50 }`) and the "
    "fields of results (`r.usage.total_tokens`, `a.finish_reason`). A Lua table is a JavaScript "
    "object or array, Lua's `nil` and `json.null` are `null`, and a Lua function is a "
    "JavaScript function (sync or async)."
)


def js_name(name: str) -> str:
    """The JavaScript name of a bridge function or method: ``run_async`` -> ``runAsync``."""
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)


def _both(lua: str, js: str, doc: str) -> str:
    return f"- `{lua}` · JS `{js}` — {doc}"


def _signature(fn: Callable[..., Any], skip: int) -> str:
    params = list(inspect.signature(fn).parameters.values())[skip:]
    names = []
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            names.append("...")
        else:
            names.append(p.name + ("?" if p.default is not p.empty else ""))
    return f"({', '.join(names)})"


def _doc(text: str) -> str:
    return " ".join(text.split())


def _type(cls: type[HostObject]) -> list[str]:
    lines = [f"**{cls.script_type}** — {_doc(inspect.getdoc(cls) or '')}", ""]
    fields = inspect.getdoc(cls.fields) if "fields" in vars(cls) else None
    if fields:
        lines.append(f"- fields: {_doc(fields)}")
    for name, fn in cls.methods().items():
        args = _signature(fn, 2)
        doc = _doc(inspect.getdoc(fn) or "")
        lines.append(_both(f"obj:{name}{args}", f"await obj.{js_name(name)}{args}", doc))
    return [*lines, ""]


def _bridge(bridge: Bridge, seen: set[type[HostObject]]) -> list[str]:
    lines = [f"### `{bridge.name}`", "", _doc(bridge.doc), ""]
    prefix = "" if bridge.flat else f"{bridge.name}."
    for key, (_value, doc) in bridge.constants.items():
        lines.append(_both(f"{prefix}{key}", f"{prefix}{js_name(key)}", _doc(doc)))
    for key, fn in bridge.functions.items():
        lua = f"{prefix}{key}{fn.signature}"
        lines.append(_both(lua, f"await {prefix}{js_name(key)}{fn.signature}", _doc(fn.doc)))
    lines.append("")
    for cls in bridge.types:
        if cls not in seen:
            seen.add(cls)
            lines.extend(_type(cls))
    return lines


def reference(names: Iterable[str] | None = None) -> str:
    """The reference of the bridges ``names`` (default: every default bridge), as Markdown."""
    from llmkit.scripting.bridges import bridge_names, load_bridge

    seen: set[type[HostObject]] = set()
    lines: list[str] = [_LANGUAGES, ""]
    for name in names if names is not None else bridge_names():
        lines.extend(_bridge(load_bridge(name), seen))
    return "\n".join(lines).rstrip() + "\n"


def update(page: str) -> str:
    """``page`` with its reference section rebuilt."""
    head, start, rest = page.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise ValueError(f"The page needs the markers {START} and {END}.")
    return f"{head}{START}\n\n{reference()}\n{END}{tail}"


if __name__ == "__main__":  # pragma: no cover
    for arg in sys.argv[1:]:
        path = Path(arg)
        path.write_text(update(path.read_text(encoding="utf-8")), encoding="utf-8")
