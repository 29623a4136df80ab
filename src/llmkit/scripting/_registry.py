"""The engine registry: engines by name (``"lua"``) and by file extension (``.lua``), loaded lazily.

An entry is an import path, so registering an engine imports nothing, and a
missing interpreter package is reported (as a
:class:`~llmkit.errors.MissingExtraError`) only when that engine is used.
Another package adds its engine with :func:`register_engine`.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmkit.errors import UsageError

if TYPE_CHECKING:
    from llmkit.scripting._engine import Engine

__all__ = ["create_engine", "engine_class", "engine_for", "known_engines", "register_engine"]


@dataclass(frozen=True, slots=True)
class _Entry:
    target: str
    extensions: tuple[str, ...]


_ENGINES: dict[str, _Entry] = {
    "lua": _Entry("llmkit.scripting.lua._engine:LuaEngine", (".lua",)),
    "js": _Entry("llmkit.scripting.javascript._engine:JsEngine", (".js", ".mjs")),
}


def register_engine(name: str, target: str, *, extensions: tuple[str, ...] = ()) -> None:
    """Register the engine class at ``target`` (``"package.module:Class"``) as ``name``.

    ``extensions`` (``(".js", ".mjs")``) are the files ``llmkit script run`` hands it.
    """
    if ":" not in target:
        raise UsageError(f"register_engine() takes 'module:Class' as the target, not {target!r}.")
    _ENGINES[name] = _Entry(target, tuple(e if e.startswith(".") else "." + e for e in extensions))


def known_engines() -> list[str]:
    """The registered engine names, sorted."""
    return sorted(_ENGINES)


def engine_class(name: str) -> type[Engine]:
    """The engine class registered as ``name`` (imported now)."""
    entry = _ENGINES.get(name)
    if entry is None:
        raise UsageError(f"Unknown script engine {name!r}; known: {', '.join(known_engines())}.")
    module, _, attribute = entry.target.partition(":")
    cls: type[Engine] = getattr(import_module(module), attribute)
    return cls


def engine_for(path: str | Path) -> str:
    """The engine name for a script file, from its extension."""
    suffix = Path(path).suffix.lower()
    for name, entry in _ENGINES.items():
        if suffix in entry.extensions:
            return name
    known = ", ".join(e for entry in _ENGINES.values() for e in entry.extensions)
    raise UsageError(
        f"No script engine runs {suffix or 'files without an extension'!r} files; known: {known}."
    )


def create_engine(name_or_path: str | Path, **options: Any) -> Engine:
    """A new engine by name (``"lua"``) or for a file's extension (``"x.lua"``), with ``options``."""
    name = str(name_or_path)
    if name not in _ENGINES:
        name = engine_for(name_or_path)
    return engine_class(name)(**options)
