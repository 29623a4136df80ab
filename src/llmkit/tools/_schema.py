"""From a Python function to what the model sees (a JSON schema) and what checks its arguments.

Built once per tool, at decoration time: the JSON schema of the argument
object (from type hints, defaults, ``Annotated[..., Field(...)]`` and the
docstring), and one pydantic validator that turns the model's argument object
into the keyword arguments of the call.
"""

from __future__ import annotations

import inspect
import json
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

from llmkit.context import RunContext
from llmkit.errors import UsageError
from llmkit.tools._docstring import parse_docstring
from llmkit.types import JSONDict

__all__ = ["FunctionSchema", "clean_schema", "describe_validation_error", "function_schema"]


@dataclass(slots=True)
class FunctionSchema:
    """The model-facing schema and the argument validator of one function."""

    description: str
    parameters: JSONDict
    validator: Any
    """A pydantic ``SchemaValidator``: ``validate_python(dict) -> dict`` of keyword arguments."""
    takes_ctx: bool
    """Whether the first parameter is a ``RunContext`` (passed by the agent, hidden from the model)."""
    positional: tuple[str, ...]
    """Names of positional-only parameters, passed by position in this order."""


def _is_run_context(annotation: Any) -> bool:
    if annotation is RunContext:
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _is_run_context(get_args(annotation)[0])
    return origin is RunContext


def _has_description(annotation: Any) -> bool:
    if get_origin(annotation) is not Annotated:
        return False
    return any(getattr(meta, "description", None) for meta in annotation.__metadata__)


def function_schema(fn: Callable[..., Any], *, tool_name: str) -> FunctionSchema:
    """The schema and validator of ``fn``'s parameters; raises UsageError naming a bad parameter."""
    from pydantic import ConfigDict, Field, TypeAdapter
    from pydantic.errors import PydanticUserError

    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise UsageError(
            f"Tool {tool_name!r}: cannot read the signature of {fn!r}: {exc}."
        ) from exc
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception as exc:
        raise UsageError(
            f"Tool {tool_name!r}: cannot resolve the type hints of its parameters ({exc}). "
            "Define the types it names at module level, or import them where the function is."
        ) from exc
    doc = parse_docstring(fn.__doc__)
    params = list(signature.parameters.values())
    takes_ctx = bool(params) and _is_run_context(hints.get(params[0].name))
    if takes_ctx:
        params = params[1:]

    fields: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    positional: list[str] = []
    for param in params:
        where = f"Tool {tool_name!r}: parameter {param.name!r}"
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            star = "*" if param.kind is param.VAR_POSITIONAL else "**"
            raise UsageError(
                f"{where} is {star}{param.name}; a tool's arguments must be named, typed "
                "parameters so the model can be told about them. List them explicitly."
            )
        if param.name not in hints:
            raise UsageError(
                f"{where} has no type hint; annotate it (for example '{param.name}: str') "
                "so the model knows what to send."
            )
        annotation = hints[param.name]
        if _is_run_context(annotation):
            raise UsageError(
                f"{where} is a RunContext; the run context must be the first parameter."
            )
        if param.name.startswith("_"):
            raise UsageError(f"{where} starts with an underscore; the model cannot send it.")
        text = doc.params.get(param.name)
        if text and not _has_description(annotation):
            annotation = Annotated[annotation, Field(description=text)]
        if param.default is param.empty:
            fields[param.name] = typing.Required[annotation]
        else:
            fields[param.name] = typing.NotRequired[annotation]
            defaults[param.name] = param.default
        if param.kind is param.POSITIONAL_ONLY:
            positional.append(param.name)

    # A TypedDict (not a model) so parameter names such as "json" or "copy" cannot
    # clash with model attributes, and validation yields the keyword dict directly.
    from typing_extensions import TypedDict

    typed_dict: Any = TypedDict
    arguments = typed_dict(f"{tool_name}_arguments", fields)
    arguments.__pydantic_config__ = ConfigDict(extra="forbid")
    try:
        adapter = TypeAdapter(arguments)
        schema = adapter.json_schema()
    except (PydanticUserError, TypeError, ValueError) as exc:
        raise UsageError(
            f"Tool {tool_name!r}: {_which_parameter(fields, exc)}cannot become a JSON schema "
            f"({exc.__class__.__name__}: {str(exc).splitlines()[0]}). Use JSON-friendly types "
            "(str, int, float, bool, list, dict, Literal, Enum, pydantic models, dataclasses)."
        ) from exc
    schema = clean_schema(schema)
    properties = schema.get("properties", {})
    for name, default in defaults.items():
        if name in properties:
            try:
                json.dumps(default)
            except (TypeError, ValueError):
                continue
            properties[name]["default"] = default
    schema.setdefault("properties", {})
    return FunctionSchema(
        description=doc.description,
        parameters=schema,
        validator=adapter.validator,
        takes_ctx=takes_ctx,
        positional=tuple(positional),
    )


def _which_parameter(fields: dict[str, Any], exc: Exception) -> str:
    """Name the parameter whose type failed, by trying each on its own."""
    from pydantic import TypeAdapter

    for name, annotation in fields.items():
        try:
            TypeAdapter(get_args(annotation)[0]).json_schema()
        except Exception:
            return f"parameter {name!r} "
    return ""


def clean_schema(schema: JSONDict) -> JSONDict:
    """``schema`` without pydantic's generated ``title`` keys (they cost tokens and say nothing)."""
    cleaned: JSONDict = _clean(schema)
    return cleaned


def _clean(node: Any, named: bool = False) -> Any:
    if isinstance(node, list):
        return [_clean(item) for item in node]
    if not isinstance(node, dict):
        return node
    if named:
        # A mapping of names (properties, definitions) to schemas: every key is kept.
        return {key: _clean(value) for key, value in node.items()}
    return {
        key: _clean(value, key in _NAMED)
        for key, value in node.items()
        if not (key == "title" and isinstance(value, str))
    }


_NAMED = frozenset(("properties", "patternProperties", "$defs", "definitions"))


def describe_validation_error(exc: Exception) -> str:
    """A pydantic ``ValidationError`` as short lines a model can act on (no URLs)."""
    errors = getattr(exc, "errors", None)
    if errors is None:
        return str(exc)
    lines = []
    for error in errors(include_url=False):
        location = ".".join(str(part) for part in error.get("loc", ())) or "(root)"
        lines.append(f"- {location}: {error.get('msg', 'invalid')}")
    return "\n".join(lines)
