"""Built-in tools, safe by default: files, HTTP, system, data, processes, math, feeds, wrappers.

Each family is a function that returns its tools (a list, so ``*`` spreads it
into an agent's tools), configured with the limits it must respect::

    from llmkit.tools.builtin import calculator, files, http

    agent = Agent(
        model,
        tools=[*files(root="./work"), *http(allow_hosts=["docs.python.org"]), calculator],
    )

Every refusal raises :class:`Refused` (a :class:`~llmkit.errors.ToolError`)
whose ``rule`` and message name the rule that refused the call; in an agent
run the model reads it as an error result and can try something else.
Nothing here is imported before it is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmkit.tools.builtin._calculator import calculate, calculator, make_calculator
    from llmkit.tools.builtin._data import csv_rows, data, json_query, transform
    from llmkit.tools.builtin._feed import Entry, feeds, parse_feed
    from llmkit.tools.builtin._files import files
    from llmkit.tools.builtin._http import http
    from llmkit.tools.builtin._net import NetPolicy
    from llmkit.tools.builtin._openapi import from_openapi
    from llmkit.tools.builtin._policy import Refused
    from llmkit.tools.builtin._process import CommandPolicy, process
    from llmkit.tools.builtin._system import system
    from llmkit.tools.builtin._wrap import from_callable, from_command, from_endpoint

__all__ = [
    "CommandPolicy",
    "Entry",
    "NetPolicy",
    "Refused",
    "calculate",
    "calculator",
    "csv_rows",
    "data",
    "feeds",
    "files",
    "from_callable",
    "from_command",
    "from_endpoint",
    "from_openapi",
    "http",
    "json_query",
    "make_calculator",
    "parse_feed",
    "process",
    "system",
    "transform",
]

_WHERE = {
    "CommandPolicy": "_process",
    "Entry": "_feed",
    "NetPolicy": "_net",
    "Refused": "_policy",
    "calculate": "_calculator",
    "calculator": "_calculator",
    "csv_rows": "_data",
    "data": "_data",
    "feeds": "_feed",
    "files": "_files",
    "from_callable": "_wrap",
    "from_command": "_wrap",
    "from_endpoint": "_wrap",
    "from_openapi": "_openapi",
    "http": "_http",
    "json_query": "_data",
    "make_calculator": "_calculator",
    "parse_feed": "_feed",
    "process": "_process",
    "system": "_system",
    "transform": "_data",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'llmkit.tools.builtin' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"llmkit.tools.builtin.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
