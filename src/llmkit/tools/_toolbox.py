"""A registry of tools: register, look up, list by category or tag, search by text.

Metadata comes first: a tool can be registered by import path with its name
and description, listed and searched without importing anything, and is
imported the first time it is fetched with :meth:`Toolbox.get`.

::

    box = Toolbox()
    box.register(add)                                            # a Tool or a function
    box.register("myapp.web:search", name="web_search",
                 description="Search the web.", category="web")  # imported on first use
    box.search("web")       # [ToolInfo(name='web_search', ...)]
    agent = Agent(model, tools=[box.get("web_search"), add])
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

from llmkit.errors import UsageError
from llmkit.tools._tool import Tool, check_tool_name

__all__ = ["ToolInfo", "Toolbox"]


@dataclass(frozen=True, slots=True)
class ToolInfo:
    """What a toolbox knows about a tool before importing it."""

    name: str
    description: str = ""
    category: str | None = None
    tags: frozenset[str] = frozenset()
    path: str | None = None
    """``"module:attribute"`` for a tool registered by import path."""


_Infos: TypeAlias = "list[ToolInfo]"
_Tools: TypeAlias = "list[Tool[..., Any]]"


class Toolbox:
    """A named collection of tools, for choosing which ones an agent gets.

    Safe to share between threads; fetching a lazily registered tool imports
    it once.
    """

    def __init__(self, tools: Iterable[Tool[..., Any] | Callable[..., Any]] = ()) -> None:
        self._infos: dict[str, ToolInfo] = {}
        self._tools: dict[str, Tool[..., Any]] = {}
        self._lock = threading.Lock()
        for item in tools:
            self.register(item)

    def register(
        self,
        item: Tool[..., Any] | Callable[..., Any] | str,
        *,
        name: str | None = None,
        description: str | None = None,
        category: str | None = None,
        tags: Iterable[str] = (),
        replace: bool = False,
    ) -> ToolInfo:
        """Add a tool (a :class:`Tool`, a function, or a ``"module:attribute"`` import path).

        An import path needs ``name`` (and should have ``description``) so the
        tool can be listed and searched before it is imported. A name already
        registered raises :class:`~llmkit.errors.UsageError` unless ``replace=True``.
        """
        if isinstance(item, str):
            if ":" not in item:
                raise UsageError(
                    f"An import path looks like 'package.module:function', got {item!r}."
                )
            if name is None:
                raise UsageError(
                    f"Registering {item!r} by import path needs name=... (and description=...), "
                    "so it can be listed without importing it."
                )
            info = ToolInfo(
                check_tool_name(name), description or "", category, frozenset(tags), item
            )
            loaded: Tool[..., Any] | None = None
        else:
            loaded = item if isinstance(item, Tool) else Tool(item, name=name)
            if name is not None and name != loaded.name:
                raise UsageError(
                    f"Tool {loaded.name!r} is already named; build it with @tool(name={name!r})."
                )
            info = ToolInfo(
                loaded.name,
                description if description is not None else loaded.description,
                category if category is not None else loaded.category,
                frozenset(tags) | loaded.tags,
            )
        with self._lock:
            if info.name in self._infos and not replace:
                raise UsageError(
                    f"A tool named {info.name!r} is already in this toolbox; "
                    "pass replace=True to replace it."
                )
            self._infos[info.name] = info
            self._tools.pop(info.name, None)
            if loaded is not None:
                self._tools[info.name] = loaded
        return info

    def get(self, name: str) -> Tool[..., Any]:
        """The tool called ``name``, imported now if it was registered by path."""
        tool = self._tools.get(name)
        if tool is not None:
            return tool
        info = self._infos.get(name)
        if info is None:
            known = ", ".join(sorted(self._infos)) or "none"
            raise UsageError(f"No tool named {name!r} in this toolbox (tools: {known}).")
        assert info.path is not None
        loaded = _import(info)
        with self._lock:
            return self._tools.setdefault(name, loaded)

    def info(self, name: str) -> ToolInfo:
        """The metadata of the tool called ``name`` (nothing is imported)."""
        try:
            return self._infos[name]
        except KeyError:
            raise UsageError(f"No tool named {name!r} in this toolbox.") from None

    def list(self, *, category: str | None = None, tag: str | None = None) -> _Infos:
        """Metadata of the tools in a category and/or with a tag, sorted by name."""
        return [
            info
            for _, info in sorted(self._infos.items())
            if (category is None or info.category == category) and (tag is None or tag in info.tags)
        ]

    def search(self, text: str, *, limit: int | None = None) -> _Infos:
        """Tools whose name, description, category or tags mention the words of ``text``.

        Ranked by how many words match (a name match counts most); no import happens.
        """
        words = [w for w in text.lower().split() if w]
        if not words:
            return []
        scored: list[tuple[int, str, ToolInfo]] = []
        for name, info in self._infos.items():
            haystack = " ".join((info.description, info.category or "", *sorted(info.tags))).lower()
            score = sum(3 * (w in name.lower()) + (w in haystack) for w in words)
            if score:
                scored.append((-score, name, info))
        scored.sort(key=lambda item: (item[0], item[1]))
        found = [info for _, _, info in scored]
        return found[:limit] if limit is not None else found

    def tools(self, *names: str) -> _Tools:
        """The named tools (all of them when no name is given), imported as needed."""
        return [self.get(name) for name in (names or sorted(self._infos))]

    def __contains__(self, name: object) -> bool:
        return name in self._infos

    def __iter__(self) -> Iterator[ToolInfo]:
        return iter(self.list())

    def __len__(self) -> int:
        return len(self._infos)

    def __repr__(self) -> str:
        return f"<Toolbox {len(self)} tools>"


def _import(info: ToolInfo) -> Tool[..., Any]:
    assert info.path is not None
    module_name, _, attribute = info.path.partition(":")
    try:
        value: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            value = getattr(value, part)
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"Cannot import tool {info.name!r} from {info.path!r}: {exc}.") from exc
    if isinstance(value, Tool):
        found: Tool[..., Any] = value
        if found.name != info.name:
            # Registered under another name: keep the registered one, the model sees it.
            found = Tool(
                found.function,
                name=info.name,
                description=info.description or found.description,
                timeout=found.timeout,
                errors=found.errors,
                requires_approval=found.requires_approval,
                idempotent=found.idempotent,
                strict=found.spec.strict,
                run_in_thread=found.run_in_thread,
                category=info.category,
                tags=info.tags,
            )
        return found
    if not callable(value):
        raise UsageError(f"{info.path!r} is not a function or a Tool.")
    return Tool(
        value,
        name=info.name,
        description=info.description or None,
        category=info.category,
        tags=info.tags,
    )
