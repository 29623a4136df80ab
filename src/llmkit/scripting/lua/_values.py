"""Values across the Lua boundary, both ways, by one documented rule.

Python to Lua: None is nil (inside a table: ``json.null``, so arrays keep their
length and objects their keys); bool, int (beyond 64 bits: float) and float as
themselves; str as UTF-8 bytes; bytes as they are; list and tuple as arrays
(marked, so an empty list comes back as a list); dict as a table (str and int
keys); a Python function as a Lua function; a :class:`~llmkit.scripting.HostObject`
or :class:`~llmkit.scripting.Promise` as a table of methods; a pydantic model as its
JSON data; any other object as an opaque handle the script can only hand back.

Lua to Python: nil is None; ``json.null`` is None; a string is str when it is
valid UTF-8, else bytes; integers are int and floats float (``3.0`` stays
float); a table marked as an array (``json.array``), or whose keys are exactly
1..n, is a list; any other table is a dict (string keys as str, integer keys as
int: a sparse array such as ``{[1]=1, [3]=3}`` is a dict); the empty table is
an empty dict unless marked with ``json.array``; a Lua function is a
:class:`~llmkit.scripting.ScriptCallable`. Keys of other types, cycles and
nesting deeper than 100 levels raise :class:`~llmkit.errors.UsageError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MethodType
from typing import Any, Protocol

from llmkit.errors import UsageError
from llmkit.scripting._bridge import JSON_NULL, HostObject, Promise, ScriptFunction, method

__all__ = ["Converter", "LuaFunction"]

_MAX_DEPTH = 100
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


class _Engine(Protocol):
    """What the converter needs of its engine."""

    def lua_function(
        self, fn: Callable[..., Any], *, raw: bool = False, takes_host: bool = True, level: int = 2
    ) -> Any: ...

    async def call_function(self, function: Any, args: tuple[Any, ...]) -> Any: ...


class LuaFunction(ScriptFunction):
    """A Lua function held by Python: ``await f(*args)`` runs it as a new coroutine of its engine."""

    __slots__ = ()

    language = "Lua"


class Converter:
    """Converts values for one :class:`~llmkit.scripting.lua.LuaEngine` (its tables and functions)."""

    def __init__(self, engine: _Engine, lupa: Any, runtime: Any, internals: Any) -> None:
        self._engine = engine
        self._runtime = runtime
        self._table_from = runtime.table_from
        self._kind = internals.kind
        self._array = internals.array
        self._handle = internals.handle
        self._object = internals.object
        self._same = internals.same
        self._null = internals.NULL
        self._lua_type = lupa.lua_type
        self._promise_methods: Any = None

    # ------------------------------------------------------------- to Lua

    def to_lua(self, value: Any, depth: int = 0, *, in_table: bool = False) -> Any:
        """``value`` as a Lua value (see the module's rule)."""
        if value is None or value is JSON_NULL:
            return self._null if in_table or value is JSON_NULL else None
        if isinstance(value, bool | float | bytes):
            return value
        if isinstance(value, int):
            return value if _INT_MIN <= value <= _INT_MAX else float(value)
        if isinstance(value, str):
            return value.encode()
        if depth > _MAX_DEPTH:
            raise UsageError(
                "A value nests deeper than 100 levels (a cycle?); scripts take plain data."
            )
        if isinstance(value, list | tuple):
            items = [self.to_lua(v, depth + 1, in_table=True) for v in value]
            return self._array(self._table_from(items))
        if isinstance(value, Mapping):
            return self._table_from(
                {self._key(k): self.to_lua(v, depth + 1, in_table=True) for k, v in value.items()}
            )
        if self._lua_type(value) is not None:
            return value  # already a Lua object
        if isinstance(value, LuaFunction):
            return value.function
        if isinstance(value, HostObject):
            return self.host_object(value)
        if isinstance(value, Promise):
            return self.promise(value)
        if callable(value):
            return self._engine.lua_function(value, takes_host=False)
        dump = getattr(value, "model_dump", None)
        if callable(dump):
            return self.to_lua(dump(mode="json"), depth)
        return (
            value  # an opaque handle: the script can only hand it back (no attribute is reachable)
        )

    @staticmethod
    def _key(key: Any) -> Any:
        if isinstance(key, str):
            return key.encode()
        if isinstance(key, int) and not isinstance(key, bool):
            return key
        raise UsageError(
            f"Table keys from Python are str or int, not {type(key).__name__} ({key!r})."
        )

    def host_object(self, obj: HostObject) -> Any:
        """``obj`` as a Lua table: its fields, and its script methods bound to it."""
        fields = self.to_lua(obj.fields())
        methods = {
            name.encode(): self._engine.lua_function(MethodType(fn, obj), raw=True)
            for name, fn in type(obj).methods().items()
        }
        return self._object(fields, obj, self._table_from(methods))

    def promise(self, promise: Promise) -> Any:
        """``promise`` as a Lua table with ``:await()`` and ``:done()``."""
        return self.host_object(_PromiseObject(promise))

    # ----------------------------------------------------------- from Lua

    def from_lua(self, value: Any, depth: int = 0) -> Any:
        """A Lua value as a plain Python value (see the module's rule)."""
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, bytes):
            try:
                return value.decode()
            except UnicodeDecodeError:
                return value
        kind = self._lua_type(value)
        if kind == "table":
            return self._table(value, depth)
        if kind == "function":
            # lupa ties an object to the Lua state it arrived through: a function handed to a
            # callback belongs to the calling coroutine, whose state Lua frees once it is dead.
            # Passing it through a function of the main state ties the kept copy to that state.
            return LuaFunction(self._engine, self._same(value))
        if kind is None:
            return value  # a Python object the script was handed and gave back
        raise UsageError(f"A Lua {kind} cannot leave the script; return plain data or functions.")

    def _table(self, table: Any, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise UsageError("A table nests deeper than 100 levels (a cycle?); give plain data.")
        kind = self._kind(table)
        if kind == 2:
            return None
        if kind == 3:
            handle = self._handle(table)
            return handle.promise if isinstance(handle, _PromiseObject) else handle
        items = list(table.items())
        if kind == 1 or (items and _is_sequence(items)):
            ordered = sorted(items, key=lambda kv: kv[0]) if kind != 1 else items
            return [self.from_lua(v, depth + 1) for k, v in ordered if isinstance(k, int)]
        result: dict[Any, Any] = {}
        for key, item in items:
            if isinstance(key, bytes):
                key = key.decode(errors="replace")
            elif not isinstance(key, int) or isinstance(key, bool):
                raise UsageError(
                    f"A table with a {self._lua_type(key) or type(key).__name__} key cannot leave "
                    "the script: keys are strings or integers."
                )
            result[key] = self.from_lua(item, depth + 1)
        return result


def _is_sequence(items: list[tuple[Any, Any]]) -> bool:
    keys = [k for k, _ in items]
    if not all(isinstance(k, int) and not isinstance(k, bool) for k in keys):
        return False
    return sorted(keys) == list(range(1, len(keys) + 1))


class _PromiseObject(HostObject):
    """What a script holds for a :class:`Promise`."""

    script_type = "Promise"

    def __init__(self, promise: Promise) -> None:
        self.promise = promise

    @method
    async def await_(self, host: Any) -> Any:
        """Wait for the value (the error is raised here)."""
        return await self.promise

    @method
    def done(self, host: Any) -> bool:
        """True once the value (or the error) is there."""
        return self.promise.done
