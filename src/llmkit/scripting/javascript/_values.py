"""Values across the JavaScript boundary, both ways, as JSON text with marked handles.

Python to JavaScript: None (and ``JSON_NULL``) is null; bool, int, float and str
as themselves (NaN and infinities as null); bytes as UTF-8 text; list and tuple as
arrays; dict as an object (keys as strings); a :class:`~llmkit.scripting.HostObject`
as an object with its fields and its methods in camelCase (each returns a
promise; an object with ``next`` is also an async iterable, for ``for await``); a
:class:`~llmkit.scripting.Promise` as a JavaScript promise; a Python function as an
async function; a pydantic model as its JSON data; any other object as an opaque
handle the script can only hand back.

JavaScript to Python: null and undefined are None; numbers without a fraction
are int, others float; strings are str; arrays are lists; other objects are dicts
(Map as a dict, Set as a list); a function is a :class:`JsFunction`; a handle is
the Python object it stands for. Values nesting deeper than 100 levels raise
:class:`~llmkit.errors.UsageError`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from llmkit.errors import UsageError
from llmkit.scripting._bridge import JSON_NULL, HostObject, Promise, ScriptFunction

__all__ = ["MARK", "Converter", "JsFunction"]

MARK = "$$llmkit"
_MAX_DEPTH = 100


class _Engine(Protocol):
    """What the converter needs of its engine."""

    async def call_function(self, function: int, args: tuple[Any, ...]) -> Any: ...


class JsFunction(ScriptFunction):
    """A JavaScript function held by Python: ``await f(*args)`` runs it and gives its (awaited) result."""

    __slots__ = ()

    language = "JavaScript"


class Converter:
    """Converts values for one engine: JSON text and the handles the script holds."""

    def __init__(self, engine: _Engine) -> None:
        self._engine = engine
        self._handles: dict[int, Any] = {}
        self._python: dict[int, Callable[..., Any]] = {}
        self._kept: dict[int, int] = {}  # id() of a kept object -> its key (it lives in _python)
        self._next = 1

    def forget(self) -> None:
        """Drop the handles of the run that ended (host objects, promises)."""
        self._handles.clear()

    def handle(self, key: int) -> Any:
        """The Python object behind handle ``key``."""
        if key in self._handles:
            return self._handles[key]
        if key in self._python:
            return self._python[key]
        raise UsageError("The script used an object of a run that has ended; make it again.")

    def _register(self, value: Any, *, keep: bool = False) -> int:
        if keep:  # an object kept for good is registered once, however often it crosses
            key = self._kept.get(id(value))
            if key is not None and self._python[key] is value:
                return key
        key = self._next
        self._next += 1
        if keep:
            self._python[key] = value
            self._kept[id(value)] = key
        else:
            self._handles[key] = value
        return key

    def encode(self, value: Any, *, keep: bool = False) -> str:
        """``value`` as JSON text for the prelude's ``decode``; ``keep``: handles outlive the run."""
        if _is_plain(value, 0):  # nothing to convert: the JSON encoder takes it as it is
            return json.dumps(value, ensure_ascii=False)
        return json.dumps(self._plain(value, 0, keep), ensure_ascii=False)

    def _plain(self, value: Any, depth: int, keep: bool) -> Any:
        if value is None or value is JSON_NULL or isinstance(value, bool | int | str):
            return None if value is JSON_NULL else value
        if isinstance(value, float):
            return value if math.isfinite(value) else None
        if isinstance(value, bytes):
            return value.decode(errors="replace")
        if depth > _MAX_DEPTH:
            raise UsageError(
                "A value nests deeper than 100 levels (a cycle?); scripts take plain data."
            )
        if isinstance(value, list | tuple):
            return [self._plain(v, depth + 1, keep) for v in value]
        if isinstance(value, Mapping):
            if MARK in value:
                raise UsageError(f"{MARK!r} is a reserved key in values handed to scripts.")
            return {str(k): self._plain(v, depth + 1, keep) for k, v in value.items()}
        if isinstance(value, JsFunction):
            return {MARK: ["fn", value.function]}
        if isinstance(value, HostObject):
            key = self._register(value, keep=keep)
            fields = self._plain(value.fields(), depth + 1, keep)
            return {MARK: ["obj", key, value.script_type, sorted(type(value).methods()), fields]}
        if isinstance(value, Promise):
            return {MARK: ["promise", self._register(value, keep=keep)]}
        if callable(value):
            return {MARK: ["py", self._register(value, keep=True)]}
        dump = getattr(value, "model_dump", None)
        if callable(dump):
            return self._plain(dump(mode="json"), depth, keep)
        return {MARK: ["obj", self._register(value, keep=keep), "object", [], {}]}

    def decode(self, text: str) -> Any:
        """JSON text from the prelude's ``encode`` as plain Python values."""
        if MARK not in text:  # no handle nor function in it: no hook to call on every object
            return json.loads(text)
        return json.loads(text, object_hook=self._hook)

    def _hook(self, data: dict[str, Any]) -> Any:
        spec = data.get(MARK)
        if spec is None:
            return data
        if spec[0] == "fn":
            return JsFunction(self._engine, spec[1])
        return self.handle(spec[1])


def _is_plain(value: Any, depth: int) -> bool:
    """True when ``value`` is JSON data as it stands: what ``Converter._plain`` would give back unchanged."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is float:
        return math.isfinite(value)
    if depth > _MAX_DEPTH:
        return False
    if kind is dict:
        if MARK in value:
            return False
        for key, item in value.items():
            if type(key) is not str or not _is_plain(item, depth + 1):
                return False
        return True
    if kind is list or kind is tuple:
        return all(_is_plain(item, depth + 1) for item in value)
    return False
