"""Tools: plain Python functions the model can call.

:func:`tool` turns a function into a :class:`Tool` whose JSON schema comes
from its type hints and docstring (built once); a :class:`Toolbox` registers
tools by name, category and tag, and can hold tools by import path until they
are first used. Agents run the tools; see :mod:`llmkit.agent`.
"""

from __future__ import annotations

from llmkit.tools._docstring import Docstring, parse_docstring
from llmkit.tools._serialize import to_content
from llmkit.tools._tool import ErrorMode, Tool, ToolReturn, tool
from llmkit.tools._toolbox import Toolbox, ToolInfo

__all__ = [
    "Docstring",
    "ErrorMode",
    "Tool",
    "ToolInfo",
    "ToolReturn",
    "Toolbox",
    "parse_docstring",
    "to_content",
    "tool",
]
