"""Tools: plain Python functions the model can call.

:func:`tool` turns a function into a :class:`Tool` whose JSON schema comes
from its type hints and docstring (built once); a :class:`Toolbox` registers
tools by name, category and tag, and can hold tools by import path until they
are first used. Agents run the tools; see :mod:`llmkit.agent`.

Built-in tool families (files, HTTP, system, data, processes, math, feeds,
wrappers) live in :mod:`llmkit.tools.builtin`; :class:`MCPToolset` offers the
tools of MCP servers. Both are imported on first use.

Every tool call runs under a time limit (the tool's ``timeout``, the run's
timeout, a cancellation); :func:`checkpoint` lets a sync tool's long loop
stop when that limit is reached (it raises :class:`CallTimeoutError`), since a
thread cannot be stopped from outside.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmkit._lazy import lazy_exports
from llmkit.tools._deadline import CallTimeoutError, checkpoint
from llmkit.tools._docstring import Docstring, parse_docstring
from llmkit.tools._schema_tool import ArgumentsError, SchemaTool
from llmkit.tools._serialize import to_content
from llmkit.tools._tool import ErrorMode, Tool, ToolReturn, tool
from llmkit.tools._toolbox import Toolbox, ToolInfo

if TYPE_CHECKING:
    from llmkit.tools.mcp import MCPToolset

__all__ = [
    "ArgumentsError",
    "CallTimeoutError",
    "Docstring",
    "ErrorMode",
    "MCPToolset",
    "SchemaTool",
    "Tool",
    "ToolInfo",
    "ToolReturn",
    "Toolbox",
    "checkpoint",
    "parse_docstring",
    "to_content",
    "tool",
]

# Public name -> module that defines it, resolved on first attribute access. The MCP SDK is
# heavy: its module loads only when MCPToolset is first read.
_LAZY: dict[str, str] = {"MCPToolset": "llmkit.tools.mcp"}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
