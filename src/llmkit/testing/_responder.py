"""The built-in endless responder: plausible answers to any request, for demos and benchmarks.

- a request that offers tools and ends with a user message gets a call to the
  first tool (or the one ``tool_choice`` names), with placeholder values for
  the required arguments;
- a request that ends with tool results gets a short text that reports them;
- a request with an output schema gets JSON built from the schema;
- anything else gets a short greeting.
"""

from __future__ import annotations

from typing import Any

from llmkit._json import dumps
from llmkit.testing._schema_values import valid_value
from llmkit.testing._script import Turn, tool_call
from llmkit.types import JSONDict, Request

__all__ = ["GREETING", "default_responder", "placeholder"]

GREETING = "Hello! This is the llmkit fake server."
"""The text of a plain reply."""


def placeholder(schema: JSONDict, *, every_property: bool = False) -> Any:
    """A simple value that fits ``schema`` (objects get their required properties).

    ``every_property=True`` fills in the optional properties too. The value is
    valid for the schema (formats, patterns, bounds), so tools accept it.
    """
    return valid_value(schema, every_property=every_property)


def default_responder(request: Request) -> Turn:
    """Answer ``request`` the way a cooperative model would (see the module docstring)."""
    last = request.messages[-1] if request.messages else None
    if last is not None and last.role == "tool":
        results = "; ".join(r.text for r in last.tool_results)
        return f"The tool returned: {results[:200]}"
    if request.tools and last is not None and last.role == "user" and request.tool_choice != "none":
        names = {t.name: t for t in request.tools}
        tool = names.get(request.tool_choice or "") or request.tools[0]
        return tool_call(tool.name, **placeholder(tool.parameters))
    if request.output_schema is not None:
        value = placeholder(request.output_schema.schema, every_property=True)
        return dumps(value)
    return GREETING
