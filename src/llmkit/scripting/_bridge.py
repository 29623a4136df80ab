"""How a bridge module is described once, for every engine.

A bridge is one file under ``llmkit/scripting/bridges/``: a :class:`Bridge`
with functions that take the run's :class:`~llmkit.scripting.Host` first and
plain values after it (``None``, bool, int, float, str, bytes, list, dict,
:class:`ScriptCallable` for a script's function, :class:`Promise`,
:class:`HostObject`), and return the same. A function may be ``async``: the
engine suspends the calling script (never the event loop) until it is done.
Each engine adapts these descriptions to its own values (Lua tables, JS
objects); a bridge never sees an engine's types. The module reference of
``docs/scripting.md`` is built from these docstrings (:mod:`._reference`).

Guarantees: a bridge function's docstring is its documentation (a bridge
without one fails at definition); the first paragraph is the summary line.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from llmkit.errors import UsageError

__all__ = [
    "JSON_NULL",
    "Bridge",
    "BridgeFunction",
    "HostObject",
    "Promise",
    "ScriptCallable",
    "ScriptFunction",
    "method",
]

F = TypeVar("F", bound=Callable[..., Any])


class _JsonNull:
    """JSON's null where a script's table must keep a slot (``json.null``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "JSON_NULL"

    def __bool__(self) -> bool:
        return False


JSON_NULL = _JsonNull()
"""The value engines give scripts for JSON null inside a table (Lua: ``json.null``)."""


@runtime_checkable
class ScriptCallable(Protocol):
    """A function of a script, callable from Python: each call runs as a new coroutine of the script."""

    async def __call__(self, *args: Any) -> Any:
        """Call the function with plain values; returns its (first) result as a plain value."""
        ...


class _Caller(Protocol):
    async def call_function(self, function: Any, args: tuple[Any, ...]) -> Any: ...


class ScriptFunction:
    """A script's function held by Python, for every engine: ``await f(*args)`` runs it as a new
    coroutine of its engine and gives its (first, awaited) result as a plain value."""

    __slots__ = ("_engine", "function")

    language = "script"
    """How ``repr`` names the language (set by each engine's subclass)."""

    def __init__(self, engine: _Caller, function: Any) -> None:
        self._engine = engine
        self.function = function

    async def __call__(self, *args: Any) -> Any:
        """Call it with plain values; its result as a plain value."""
        return await self._engine.call_function(self.function, args)

    def call_sync(self, *args: Any) -> Any:
        """Blocking twin of calling it."""
        from llmkit._sync import run_sync

        return run_sync(self._engine.call_function(self.function, args))

    def __repr__(self) -> str:
        return f"<{self.language} function>"


@dataclass(slots=True)
class BridgeFunction:
    """One function of a bridge module: its name, the Python function and its documentation."""

    name: str
    function: Callable[..., Any]
    doc: str
    is_async: bool

    @property
    def signature(self) -> str:
        """The parameters a script passes (the host parameter left out), e.g. ``(value, indent?)``."""
        params = list(inspect.signature(self.function).parameters.values())[1:]
        names = []
        for p in params:
            if p.kind is p.VAR_POSITIONAL:
                names.append(f"...{p.name}")
            else:
                names.append(p.name + ("?" if p.default is not p.empty else ""))
        return f"({', '.join(names)})"


@dataclass(slots=True)
class Bridge:
    """A module scripts see under ``name``: functions, constants and the object types it returns."""

    name: str
    doc: str
    functions: dict[str, BridgeFunction] = field(default_factory=dict)
    constants: dict[str, tuple[Any, str]] = field(default_factory=dict)
    types: list[type[HostObject]] = field(default_factory=list)
    flat: bool = False
    """True: the functions and values are globals of the script (``output``), not a module's fields."""
    values: Callable[[Any], dict[str, Any]] | None = None
    """Per-run values the module (or, when flat, the script) gets (``params``); documented in ``doc``."""

    def function(self, fn: F) -> F:
        """Register ``fn`` (a decorator); scripts call it by its name without a trailing ``_``."""
        return self.named(fn.__name__.rstrip("_"))(fn)

    def named(self, name: str) -> Callable[[F], F]:
        """Register a function under ``name`` (a decorator), for names Python reserves (``all``)."""

        def register(f: F) -> F:
            doc = inspect.getdoc(f)
            if not doc:
                raise UsageError(f"Bridge function {self.name}.{name} needs a docstring.")
            self.functions[name] = BridgeFunction(name, f, doc, inspect.iscoroutinefunction(f))
            return f

        return register

    def constant(self, name: str, value: Any, doc: str) -> None:
        """Register a constant value (``json.null``)."""
        self.constants[name] = (value, doc)

    def type(self, cls: type[HostObject]) -> type[HostObject]:
        """Register an object type the bridge's functions return (for the reference)."""
        self.types.append(cls)
        return cls


_SCRIPT_METHODS: set[Callable[..., Any]] = set()


def method(fn: F) -> F:
    """Mark a :class:`HostObject` method as callable from scripts (``obj:name(...)`` in Lua)."""
    if not inspect.getdoc(fn):
        raise UsageError(f"Script method {fn.__qualname__} needs a docstring.")
    _SCRIPT_METHODS.add(fn)
    return fn


class HostObject:
    """A Python object a script holds (an agent, a stream): its marked methods and its ``fields()``.

    Subclasses mark the methods scripts may call with :func:`method`; each takes
    the run's :class:`~llmkit.scripting.Host` first, like a bridge function.
    Nothing else of the object is reachable from the script.
    """

    script_type = "object"
    """The name scripts and the reference use for this type."""

    def fields(self) -> dict[str, Any]:
        """Plain values the script reads as fields (read once, when the object is handed over)."""
        return {}

    @classmethod
    def methods(cls) -> dict[str, Callable[..., Any]]:
        """The script-callable methods by name (unbound)."""
        found: dict[str, Callable[..., Any]] = {}
        for klass in reversed(cls.__mro__):
            for key, value in vars(klass).items():
                if callable(value) and value in _SCRIPT_METHODS:
                    found[key.rstrip("_")] = value
        return found


class Promise:
    """A host call running concurrently with the script; the script awaits it when it needs the value.

    Made with :meth:`~llmkit.scripting.Host.spawn`; ``await promise`` in Python.
    """

    __slots__ = ("task",)

    def __init__(self, task: asyncio.Future[Any]) -> None:
        self.task = task

    def __await__(self) -> Any:
        return self.task.__await__()

    @property
    def done(self) -> bool:
        """True once the value (or the error) is there."""
        return self.task.done()
