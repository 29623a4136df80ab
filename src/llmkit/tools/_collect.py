"""Gathering an agent's tools from what the caller passed: tools, functions, toolboxes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from llmkit.errors import UsageError
from llmkit.tools._tool import Tool
from llmkit.tools._toolbox import Toolbox

__all__ = ["collect_tools"]


def collect_tools(
    items: Iterable[Tool[..., Any] | Callable[..., Any] | Toolbox],
) -> dict[str, Tool[..., Any]]:
    if isinstance(items, Tool | Toolbox) or callable(items):
        items = [items]
    """Tools by name from ``items``; a duplicate name or a non-tool raises UsageError."""
    tools: dict[str, Tool[..., Any]] = {}
    for item in items:
        batch = item.tools() if isinstance(item, Toolbox) else [_as_tool(item)]
        for tool in batch:
            if tool.name in tools:
                raise UsageError(
                    f"Two tools are named {tool.name!r}; tool names must be unique "
                    "(rename one with @tool(name=...))."
                )
            tools[tool.name] = tool
    return tools


def _as_tool(item: Any) -> Tool[..., Any]:
    if isinstance(item, Tool):
        return item
    if callable(item) and not isinstance(item, type):
        return Tool(item)
    raise UsageError(f"tools= takes @tool functions, plain functions or a Toolbox, not {item!r}.")
