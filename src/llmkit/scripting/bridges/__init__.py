"""The bridge modules scripts see, one file per llmkit module, shared by every engine.

``BRIDGES`` maps a module name to the import path of its :class:`~llmkit.scripting.Bridge`
(``"package.module:bridge"``). A package that lands later plugs its module in with
:func:`register_bridge`, from its own file, without touching an engine. Nothing is imported until an engine loads it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from llmkit.errors import UsageError

if TYPE_CHECKING:
    from llmkit.scripting._bridge import Bridge

__all__ = ["BRIDGES", "ON_REQUEST", "bridge_names", "load_bridge", "register_bridge"]

BRIDGES: dict[str, str] = {
    name: f"llmkit.scripting.bridges.{module}:bridge"
    for name, module in (
        ("json", "json"),
        ("log", "log"),
        ("params", "params"),
        ("state", "state"),
        ("promise", "promise"),
        ("llm", "llm"),
        ("agent", "agent"),
        ("tools", "tools"),
        ("events", "events"),
        ("hooks", "hooks"),
        ("prompt", "prompt"),
        ("workflow", "workflow"),
        ("memory", "memory"),
    )
}


# Bridges a script gets only when its engine names them (spec files get "testing").
ON_REQUEST: dict[str, str] = {}


def register_bridge(name: str, target: str, *, default: bool = True) -> None:
    """Expose the :class:`Bridge` at ``target`` (``"package.module:bridge"``) to scripts as ``name``.

    ``default=False``: only engines that list it in ``bridges=`` get it.
    """
    if not name.isidentifier() or ":" not in target:
        raise UsageError(
            f"register_bridge() takes an identifier and 'module:attribute', not {name!r}, {target!r}."
        )
    (BRIDGES if default else ON_REQUEST)[name] = target


def bridge_names() -> tuple[str, ...]:
    """Every registered bridge name, in registration order."""
    return tuple(BRIDGES)


def load_bridge(name: str) -> Bridge:
    """The :class:`Bridge` registered as ``name`` (imported now)."""
    target = BRIDGES.get(name) or ON_REQUEST.get(name)
    if target is None:
        raise UsageError(f"Unknown bridge module {name!r}; known: {', '.join(BRIDGES)}.")
    module, _, attribute = target.partition(":")
    bridge: Bridge = getattr(import_module(module), attribute)
    return bridge
