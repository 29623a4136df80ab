"""OpenAI rules for tools, ``tool_choice``, ``response_format`` and strict JSON schemas."""

from __future__ import annotations

import re
from typing import Any

from llmkit.testing._fake.openai.errors import OpenAIWireError, bad, bad_value, missing, wrong_type

__all__ = ["check_response_format", "check_tools", "strict_schema_problem"]

_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
_MAX_TOOLS = 128
_MAX_NAME = 64


def _check_name(name: object, where: str) -> OpenAIWireError | None:
    if not isinstance(name, str):
        return wrong_type(where, "a string", name)
    if not name:
        return bad(
            f"Invalid '{where}': empty string. Expected a string with minimum length 1, "
            "but got an empty string instead.",
            where,
            "empty_string",
        )
    if len(name) > _MAX_NAME:
        return bad(
            f"Invalid '{where}': string too long. Expected a string with maximum length "
            f"{_MAX_NAME}, but got a string with length {len(name)} instead.",
            where,
            "string_above_max_length",
        )
    if not _NAME.match(name):
        return bad(
            f"Invalid '{where}': string does not match pattern. Expected a string that matches "
            "the pattern '^[a-zA-Z0-9_-]+$'.",
            where,
            "invalid_value",
        )
    return None


def _is_object_schema(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "object" or (isinstance(kind, list) and "object" in kind):
        return True
    return kind is None and "properties" in schema


def strict_schema_problem(schema: object, context: tuple[str | int, ...] = ()) -> str | None:
    """What breaks the strict structured-output rules in ``schema``, or None.

    Every object must set ``additionalProperties: false`` and list all its
    properties in ``required``, at every depth.
    """
    if not isinstance(schema, dict):
        return None
    if _is_object_schema(schema):
        if schema.get("additionalProperties", True) is not False:
            return (
                f"In context={context!r}, 'additionalProperties' is required to be supplied "
                "and to be false."
            )
        properties = schema.get("properties") or {}
        if not isinstance(properties, dict):
            return f"In context={context!r}, 'properties' must be an object."
        required = schema.get("required")
        if properties and not isinstance(required, list):
            return (
                f"In context={context!r}, 'required' is required to be supplied and to be an "
                f"array including every key in properties. Missing '{next(iter(properties))}'."
            )
        listed = required if isinstance(required, list) else []
        for key in properties:
            if key not in listed:
                return (
                    f"In context={context!r}, 'required' is required to be supplied and to be "
                    f"an array including every key in properties. Missing '{key}'."
                )
        for key in listed:
            if not isinstance(key, str) or key not in properties:
                return f"In context={context!r}, Extra required key '{key}' supplied."
        for key, sub in properties.items():
            problem = strict_schema_problem(sub, (*context, "properties", key))
            if problem is not None:
                return problem
    for keyword in ("$defs", "definitions"):
        definitions = schema.get(keyword)
        for key, sub in definitions.items() if isinstance(definitions, dict) else ():
            problem = strict_schema_problem(sub, (*context, keyword, key))
            if problem is not None:
                return problem
    items = schema.get("items")
    if isinstance(items, dict):
        problem = strict_schema_problem(items, (*context, "items"))
        if problem is not None:
            return problem
    for keyword in ("anyOf", "allOf", "oneOf"):
        options = schema.get(keyword)
        for index, sub in enumerate(options if isinstance(options, list) else ()):
            problem = strict_schema_problem(sub, (*context, keyword, index))
            if problem is not None:
                return problem
    return None


def _check_tool(i: int, tool: object) -> tuple[OpenAIWireError | None, str | None]:
    where = f"tools[{i}]"
    if not isinstance(tool, dict):
        return wrong_type(where, "an object", tool), None
    kind = tool.get("type")
    if kind is None:
        return missing(f"{where}.type"), None
    if kind not in ("function", "custom"):
        return bad_value(f"{where}.type", kind, ("function", "custom")), None
    spec = tool.get(kind)
    if not isinstance(spec, dict):
        return missing(f"{where}.{kind}"), None
    if "name" not in spec:
        return missing(f"{where}.{kind}.name"), None
    name = spec["name"]
    error = _check_name(name, f"{where}.{kind}.name")
    if error is not None or kind == "custom":
        return error, name
    parameters = spec.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        return wrong_type(f"{where}.function.parameters", "an object", parameters), name
    if spec.get("strict") is True:
        problem = strict_schema_problem(parameters or {"type": "object", "properties": {}})
        if problem is not None:
            return (
                bad(
                    f"Invalid schema for function '{name}': {problem}",
                    f"{where}.function.parameters",
                    "invalid_function_parameters",
                ),
                name,
            )
    return None, name


def _check_tool_choice(choice: object, names: list[str] | None) -> OpenAIWireError | None:
    if not names:
        return bad(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are "
            "specified.",
            "tool_choice",
        )
    if isinstance(choice, str):
        if choice not in ("none", "auto", "required"):
            return bad_value("tool_choice", choice, ("none", "auto", "required"))
        return None
    if not isinstance(choice, dict):
        return wrong_type("tool_choice", "one of a string or object", choice)
    kind = choice.get("type")
    if kind == "allowed_tools":
        return None
    if kind not in ("function", "custom"):
        return bad_value("tool_choice.type", kind, ("function", "custom", "allowed_tools"))
    named = choice.get(kind)
    if not isinstance(named, dict) or not isinstance(named.get("name"), str):
        return missing(f"tool_choice.{kind}.name")
    if named["name"] not in names:
        return bad(
            f"Invalid value for 'tool_choice': tool '{named['name']}' is not one of the "
            "tools in 'tools'.",
            f"tool_choice.{kind}.name",
        )
    return None


def check_tools(body: dict[str, Any]) -> OpenAIWireError | None:
    """``tools`` (names, uniqueness, strict schemas), ``tool_choice`` and ``parallel_tool_calls``."""
    tools = body.get("tools")
    names: list[str] | None = None
    if tools is not None:
        if not isinstance(tools, list):
            return wrong_type("tools", "an array", tools)
        if len(tools) > _MAX_TOOLS:
            return bad(
                f"Invalid 'tools': array too long. Expected an array with maximum length "
                f"{_MAX_TOOLS}, but got an array with length {len(tools)} instead.",
                "tools",
                "array_above_max_length",
            )
        names = []
        for i, tool in enumerate(tools):
            error, name = _check_tool(i, tool)
            if error is not None:
                return error
            if name in names:
                return bad(
                    f"Invalid 'tools': tool names must be unique; '{name}' is defined more "
                    "than once.",
                    "tools",
                    "invalid_value",
                )
            names.append(str(name))
    if body.get("tool_choice") is not None:
        error = _check_tool_choice(body["tool_choice"], names)
        if error is not None:
            return error
    if body.get("parallel_tool_calls") is not None and not names:
        return bad(
            "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed "
            "when 'tools' are specified.",
            "parallel_tool_calls",
        )
    return None


def check_response_format(body: dict[str, Any]) -> OpenAIWireError | None:
    """``response_format``: its type, a named json_schema that obeys ``strict``, "json" mode."""
    fmt = body.get("response_format")
    if fmt is None:
        return None
    if not isinstance(fmt, dict):
        return wrong_type("response_format", "an object", fmt)
    kind = fmt.get("type")
    if kind is None:
        return missing("response_format.type")
    if kind not in ("text", "json_object", "json_schema"):
        return bad_value("response_format.type", kind, ("text", "json_object", "json_schema"))
    if kind == "json_object":
        if not _mentions_json(body.get("messages") or []):
            return bad(
                "'messages' must contain the word 'json' in some form, to use 'response_format' "
                "of type 'json_object'.",
                "messages",
            )
        return None
    if kind == "text":
        return None
    spec = fmt.get("json_schema")
    if not isinstance(spec, dict):
        return missing("response_format.json_schema")
    if "name" not in spec:
        return missing("response_format.json_schema.name")
    error = _check_name(spec["name"], "response_format.json_schema.name")
    if error is not None:
        return error
    schema = spec.get("schema")
    if schema is not None and not isinstance(schema, dict):
        return wrong_type("response_format.json_schema.schema", "an object", schema)
    if spec.get("strict") is True:
        name = spec["name"]
        schema = schema or {}
        if schema.get("type") != "object":
            return bad(
                f"Invalid schema for response_format '{name}': schema must be a JSON Schema of "
                f"'type: \"object\"', got 'type: \"{schema.get('type')}\"'.",
                "response_format",
                "invalid_json_schema",
            )
        problem = strict_schema_problem(schema)
        if problem is not None:
            return bad(
                f"Invalid schema for response_format '{name}': {problem}",
                "response_format",
                "invalid_json_schema",
            )
    return None


def _mentions_json(messages: object) -> bool:
    if not isinstance(messages, list):
        return False
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            if "json" in content.lower():
                return True
        elif isinstance(content, list):
            for part in content:
                text = part.get("text") if isinstance(part, dict) else None
                if isinstance(text, str) and "json" in text.lower():
                    return True
    return False
