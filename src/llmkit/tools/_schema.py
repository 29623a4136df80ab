"""From a Python function to what the model sees (a JSON schema) and what checks its arguments.

Built once per tool, at decoration time: the JSON schema of the argument
object (from type hints, defaults, ``Annotated[..., Field(...)]`` and the
docstring), and the check that turns the model's argument object into the
keyword arguments of the call. Every mistake in the signature is reported at
decoration time.

Where every parameter has a plain type (:mod:`llmkit.tools._plain`: strings,
numbers, booleans, lists and dicts of them, literals, optionals), the schema is
built without pydantic and well-typed arguments are checked without it;
pydantic (one validator, built at first need and kept) sees only arguments
those checks do not accept as they are, and converts them or says what is
wrong exactly as it does for any other tool. Other types go to pydantic at
decoration time.
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
from llmkit.tools._plain import REJECTED, Check, plain_type
from llmkit.types import JSONDict

__all__ = ["FunctionSchema", "clean_schema", "describe_validation_error", "function_schema"]


@dataclass(slots=True)
class FunctionSchema:
    """The model-facing schema and the argument check of one function."""

    description: str
    parameters: JSONDict
    validate: Callable[[Any], JSONDict]
    """The keyword arguments for a call, from the model's argument object
    (raises pydantic's ``ValidationError`` when they do not fit)."""
    takes_ctx: bool
    """Whether the first parameter is a ``RunContext`` (passed by the agent, hidden from the model)."""
    positional: tuple[str, ...]
    """Names of positional-only parameters, passed by position in this order."""


@dataclass(slots=True, frozen=True)
class _Param:
    name: str
    annotation: Any
    description: str | None
    """From the docstring, for a parameter whose annotation carries none."""
    required: bool


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
    """The schema and argument check of ``fn``'s parameters; raises UsageError naming a bad one."""
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

    found: list[_Param] = []
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
        description = text if text and not _has_description(annotation) else None
        found.append(_Param(param.name, annotation, description, param.default is param.empty))
        if param.default is not param.empty:
            defaults[param.name] = param.default
        if param.kind is param.POSITIONAL_ONLY:
            positional.append(param.name)

    pydantic_check = _PydanticCheck(tool_name, found)
    plain = _plain_schema(found)
    if plain is None:
        schema = pydantic_check.json_schema()
        validate: Callable[[Any], JSONDict] = pydantic_check
    else:
        schema, checks = plain
        required = frozenset(p.name for p in found if p.required)
        validate = _PlainCheck(checks, required, pydantic_check)
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
        validate=validate,
        takes_ctx=takes_ctx,
        positional=tuple(positional),
    )


def _plain_schema(params: list[_Param]) -> tuple[JSONDict, tuple[tuple[str, Check], ...]] | None:
    """The argument object's schema (as pydantic writes it) and each parameter's check,
    or None unless every parameter has a plain type."""
    properties: JSONDict = {}
    checks: list[tuple[str, Check]] = []
    for param in params:
        plain = plain_type(param.annotation)
        if plain is None:
            return None
        field_schema, check = plain
        if param.description is not None:
            field_schema = dict(sorted({**field_schema, "description": param.description}.items()))
        else:
            field_schema = dict(field_schema)  # each tool's schema is its own to change
        properties[param.name] = field_schema
        checks.append((param.name, check))
    schema: JSONDict = {"additionalProperties": False, "properties": properties}
    required = [p.name for p in params if p.required]
    if required:
        schema["required"] = required
    schema["type"] = "object"
    return schema, tuple(checks)


class _PydanticCheck:
    """pydantic's check of a tool's arguments: one validator, built at the first call, then kept."""

    __slots__ = ("_params", "_tool_name", "_validate")

    def __init__(self, tool_name: str, params: list[_Param]) -> None:
        self._tool_name = tool_name
        self._params = params
        self._validate: Callable[[Any], JSONDict] | None = None

    def json_schema(self) -> JSONDict:
        """The argument object's JSON schema (builds the validator; UsageError for a bad type)."""
        adapter = self._adapter()
        self._validate = adapter.validator.validate_python
        cleaned: JSONDict = clean_schema(adapter.json_schema())
        return cleaned

    def __call__(self, arguments: Any) -> JSONDict:
        if self._validate is None:
            self._validate = self._adapter().validator.validate_python
        result: JSONDict = self._validate(arguments)
        return result

    def _adapter(self) -> Any:
        from pydantic import ConfigDict, Field, TypeAdapter
        from pydantic.errors import PydanticUserError

        fields: dict[str, Any] = {}
        for param in self._params:
            annotation = param.annotation
            if param.description is not None:
                annotation = Annotated[annotation, Field(description=param.description)]
            wrap = typing.Required if param.required else typing.NotRequired
            fields[param.name] = wrap[annotation]
        # A TypedDict (not a model) so parameter names such as "json" or "copy" cannot
        # clash with model attributes, and validation yields the keyword dict directly.
        from typing_extensions import TypedDict

        typed_dict: Any = TypedDict
        arguments = typed_dict(f"{self._tool_name}_arguments", fields)
        arguments.__pydantic_config__ = ConfigDict(extra="forbid")
        try:
            adapter = TypeAdapter(arguments)
            adapter.json_schema()
        except (PydanticUserError, TypeError, ValueError) as exc:
            raise UsageError(
                f"Tool {self._tool_name!r}: {_which_parameter(fields, exc)}cannot become a JSON "
                f"schema ({exc.__class__.__name__}: {str(exc).splitlines()[0]}). Use JSON-friendly "
                "types (str, int, float, bool, list, dict, Literal, Enum, pydantic models, "
                "dataclasses)."
            ) from exc
        return adapter


class _PlainCheck:
    """The arguments of a tool with plain parameter types: checked here when they are
    well-typed, else by pydantic (which converts them or raises its ``ValidationError``)."""

    __slots__ = ("_checks", "_pydantic", "_required")

    def __init__(
        self,
        checks: tuple[tuple[str, Check], ...],
        required: frozenset[str],
        pydantic_check: _PydanticCheck,
    ) -> None:
        self._checks = checks
        self._required = required
        self._pydantic = pydantic_check

    def __call__(self, arguments: Any) -> JSONDict:
        if type(arguments) is dict:
            checked: JSONDict = {}
            for name, check in self._checks:  # in parameter order, as pydantic returns them
                if name in arguments:
                    value = check(arguments[name])
                    if value is REJECTED:
                        break
                    checked[name] = value
                elif name in self._required:
                    break
            else:
                if len(checked) == len(arguments):  # no argument the function does not take
                    return checked
        return self._pydantic(arguments)


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
