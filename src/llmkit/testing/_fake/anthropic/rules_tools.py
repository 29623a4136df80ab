"""Anthropic rules for ``tools``, ``tool_choice``, ``thinking`` and ``output_config``."""

from __future__ import annotations

import re
from typing import Any

from llmkit.testing._fake.anthropic.errors import (
    AnthropicWireError,
    extra_input,
    invalid,
    required,
    wrong_type,
)

__all__ = ["check_output_config", "check_thinking", "check_tool_choice", "check_tools"]

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
# The fields of a custom (client) tool.
_TOOL_FIELDS = frozenset(
    (
        "name",
        "description",
        "input_schema",
        "type",
        "cache_control",
        "strict",
        "defer_loading",
        "eager_input_streaming",
        "input_examples",
        "allowed_callers",
    )
)
_CHOICES = ("auto", "any", "tool", "none")
_EFFORTS = ("low", "medium", "high", "xhigh", "max")
_BUDGET_RULE = (
    "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our "
    "documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
    "#max-tokens-and-context-window-size"
)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_tool(i: int, tool: object) -> tuple[AnthropicWireError | None, str | None]:
    where = f"tools.{i}"
    if not isinstance(tool, dict):
        return wrong_type(where, "dict"), None
    kind = tool.get("type")
    name = tool.get("name")
    if kind is not None and kind != "custom":
        # Server tools (web search, code execution …) have their own fields; taken as they are.
        return None, name if isinstance(name, str) else None
    where = f"{where}.custom"
    for key in tool:
        if key not in _TOOL_FIELDS:
            return extra_input(f"{where}.{key}"), None
    if name is None:
        return required(f"{where}.name"), None
    if not isinstance(name, str) or not _NAME.match(name):
        return invalid(
            f"{where}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'"
        ), None
    if "input_schema" not in tool:
        return required(f"{where}.input_schema"), name
    schema = tool["input_schema"]
    if not isinstance(schema, dict):
        return wrong_type(f"{where}.input_schema", "dict"), name
    if schema.get("type") != "object":
        return invalid(f"{where}.input_schema.type: Input should be 'object'"), name
    if "description" in tool and not isinstance(tool["description"], str):
        return wrong_type(f"{where}.description", "str"), name
    return None, name


def check_tools(body: dict[str, Any]) -> tuple[AnthropicWireError | None, list[str]]:
    """``tools``: names, uniqueness, input schemas; returns the error and the tool names."""
    tools = body.get("tools")
    if tools is None:
        return None, []
    if not isinstance(tools, list):
        return wrong_type("tools", "list"), []
    names: list[str] = []
    for i, tool in enumerate(tools):
        error, name = _check_tool(i, tool)
        if error is not None:
            return error, names
        if name is not None:
            if name in names:
                return invalid("tools: Tool names must be unique."), names
            names.append(name)
    return None, names


def check_tool_choice(body: dict[str, Any], names: list[str]) -> AnthropicWireError | None:
    """``tool_choice``: auto/any/tool/none; a named tool must be one of ``tools``."""
    choice = body.get("tool_choice")
    if choice is None:
        return None
    if not isinstance(choice, dict):
        return wrong_type("tool_choice", "dict")
    kind = choice.get("type")
    if kind not in _CHOICES:
        return invalid(
            f"tool_choice.type: Input tag '{kind}' found using 'type' does not match any of "
            "the expected tags: 'auto', 'any', 'tool', 'none'"
        )
    allowed = {"type"} | ({"name"} if kind == "tool" else set())
    if kind != "none":
        allowed.add("disable_parallel_tool_use")
    for key in choice:
        if key not in allowed:
            return extra_input(f"tool_choice.{kind}.{key}")
    parallel = choice.get("disable_parallel_tool_use")
    if parallel is not None and not isinstance(parallel, bool):
        return wrong_type(f"tool_choice.{kind}.disable_parallel_tool_use", "bool")
    if kind == "tool":
        name = choice.get("name")
        if not isinstance(name, str):
            return required("tool_choice.tool.name")
        if name not in names:
            return invalid(f"tool_choice.tool.name: Tool '{name}' not found in provided tools")
    return None


def check_thinking(body: dict[str, Any]) -> tuple[AnthropicWireError | None, bool]:
    """``thinking``: its type and budget rules; returns the error and whether thinking is on."""
    thinking = body.get("thinking")
    if thinking is None:
        return None, False
    if not isinstance(thinking, dict):
        return wrong_type("thinking", "dict"), False
    kind = thinking.get("type")
    if kind not in ("enabled", "disabled", "adaptive"):
        return (
            invalid(
                f"thinking.type: Input tag '{kind}' found using 'type' does not match any of the "
                "expected tags: 'enabled', 'disabled', 'adaptive'"
            ),
            False,
        )
    fields = {"type", "display"} | ({"budget_tokens"} if kind == "enabled" else set())
    for key in thinking:
        if key not in fields:
            return extra_input(f"thinking.{kind}.{key}"), False
    display = thinking.get("display")
    if display is not None and display not in ("summarized", "omitted"):
        return invalid(f"thinking.{kind}.display: Input should be 'summarized' or 'omitted'"), False
    if kind != "enabled":
        return None, kind == "adaptive"
    budget = thinking.get("budget_tokens")
    if budget is None:
        return required("thinking.enabled.budget_tokens"), True
    if not _is_int(budget):
        return wrong_type("thinking.enabled.budget_tokens", "int"), True
    if budget < 1024:
        return (
            invalid(
                "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
            ),
            True,
        )
    max_tokens = body.get("max_tokens")
    if _is_int(max_tokens) and budget >= max_tokens:
        return invalid(_BUDGET_RULE), True
    return None, True


def check_output_config(body: dict[str, Any]) -> AnthropicWireError | None:
    """``output_config``: an ``effort`` and/or ``format: {"type": "json_schema", "schema": {...}}``."""
    config = body.get("output_config")
    if config is None:
        return None
    if not isinstance(config, dict):
        return wrong_type("output_config", "dict")
    for key in config:
        if key not in ("effort", "format"):
            return extra_input(f"output_config.{key}")
    effort = config.get("effort")
    if effort is not None and effort not in _EFFORTS:
        return invalid(
            "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'"
        )
    fmt = config.get("format")
    if fmt is None:
        return None
    if not isinstance(fmt, dict):
        return wrong_type("output_config.format", "dict")
    if "type" not in fmt:
        return required("output_config.format.type")
    if fmt["type"] != "json_schema":
        return invalid("output_config.format.type: Input should be 'json_schema'")
    for key in fmt:
        if key not in ("type", "schema"):
            return extra_input(f"output_config.format.{key}")
    if "schema" not in fmt:
        return required("output_config.format.schema")
    if not isinstance(fmt["schema"], dict):
        return wrong_type("output_config.format.schema", "dict")
    return None
