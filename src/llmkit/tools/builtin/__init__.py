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

from typing import TYPE_CHECKING

from llmkit._lazy import lazy_exports

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

# Public name -> module that defines it. Resolved on first attribute access.
_LAZY: dict[str, str] = {
    "CommandPolicy": "llmkit.tools.builtin._process",
    "Entry": "llmkit.tools.builtin._feed",
    "NetPolicy": "llmkit.tools.builtin._net",
    "Refused": "llmkit.tools.builtin._policy",
    "calculate": "llmkit.tools.builtin._calculator",
    "calculator": "llmkit.tools.builtin._calculator",
    "csv_rows": "llmkit.tools.builtin._data",
    "data": "llmkit.tools.builtin._data",
    "feeds": "llmkit.tools.builtin._feed",
    "files": "llmkit.tools.builtin._files",
    "from_callable": "llmkit.tools.builtin._wrap",
    "from_command": "llmkit.tools.builtin._wrap",
    "from_endpoint": "llmkit.tools.builtin._wrap",
    "from_openapi": "llmkit.tools.builtin._openapi",
    "http": "llmkit.tools.builtin._http",
    "json_query": "llmkit.tools.builtin._data",
    "make_calculator": "llmkit.tools.builtin._calculator",
    "parse_feed": "llmkit.tools.builtin._feed",
    "process": "llmkit.tools.builtin._process",
    "system": "llmkit.tools.builtin._system",
    "transform": "llmkit.tools.builtin._data",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
