"""Tools whose JSON schema is given rather than read from a function's signature.

MCP servers, OpenAPI documents and command templates describe their
parameters as JSON schemas already; a :class:`SchemaTool` sends that schema
to the model as is and checks the model's arguments against it (the common
keywords: ``type``, ``required``, ``properties``, ``additionalProperties``,
``enum``, ``items``, bounds). What it cannot check is left to the receiver,
which validates again anyway.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from llmkit.errors import UsageError
from llmkit.tools._schema import clean_schema
from llmkit.tools._tool import ErrorMode, Tool, check_tool_name, check_tool_options
from llmkit.types import JSONDict, ToolSpec

__all__ = ["ArgumentsError", "SchemaTool", "check_arguments"]


class ArgumentsError(ValueError):
    """Arguments that do not fit a tool's JSON schema; ``errors()`` lists each problem.

    Shaped like pydantic's ``ValidationError`` (``errors(include_url=False)``),
    so an agent reports it to the model the same way.
    """

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{_where(loc)}: {msg}" for loc, msg in problems))

    def errors(self, *, include_url: bool = False) -> list[dict[str, Any]]:
        """Each problem as ``{"loc": (...), "msg": "..."}``."""
        return [{"loc": loc, "msg": msg} for loc, msg in self.problems]


def _where(loc: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(root)"


_TYPES: dict[str, Callable[[Any], bool]] = {  # JSON schema type -> test
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


_BOUNDS: tuple[tuple[str, Callable[[float, float], bool]], ...] = (
    ("minimum", lambda v, b: v >= b),
    ("maximum", lambda v, b: v <= b),
    ("exclusiveMinimum", lambda v, b: v > b),
    ("exclusiveMaximum", lambda v, b: v < b),
)


def check_arguments(schema: JSONDict, arguments: Any) -> None:
    """Raise :class:`ArgumentsError` when ``arguments`` break ``schema``'s common keywords."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    _check(schema, arguments, (), problems, depth=0)
    if problems:
        raise ArgumentsError(problems)


def _check(
    schema: Any,
    value: Any,
    loc: tuple[str | int, ...],
    problems: list[tuple[tuple[str | int, ...], str]],
    depth: int,
) -> None:
    if not isinstance(schema, dict) or depth > 32:
        return  # $ref, boolean schemas and deep nesting: left to the receiver
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        known = [k for k in kinds if k in _TYPES]
        if known and not any(_TYPES[k](value) for k in known):
            problems.append((loc, f"should be {' or '.join(known)}, got {_kind(value)}"))
            return
    if "enum" in schema and isinstance(schema["enum"], list) and value not in schema["enum"]:
        options = ", ".join(repr(option) for option in schema["enum"])
        problems.append((loc, f"should be one of {options}"))
    if isinstance(value, int | float) and not isinstance(value, bool):
        for key, ok in _BOUNDS:
            bound = schema.get(key)
            if isinstance(bound, int | float) and not ok(value, bound):
                problems.append((loc, f"should satisfy {key} {bound}"))
    if isinstance(value, dict):
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        for name in schema.get("required", ()) or ():
            if name not in value:
                problems.append(((*loc, name), "Field required"))
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in properties:
                _check(properties[name], item, (*loc, name), problems, depth + 1)
            elif extra is False:
                problems.append(((*loc, name), "Extra inputs are not permitted"))
            elif isinstance(extra, dict):
                _check(extra, item, (*loc, name), problems, depth + 1)
    elif isinstance(value, list):
        items = schema.get("items")
        for index, item in enumerate(value):
            _check(items, item, (*loc, index), problems, depth + 1)


def _kind(value: Any) -> str:
    for name, test in _TYPES.items():
        if name != "number" and test(value):
            return name
    return "number" if _TYPES["number"](value) else type(value).__name__


class SchemaTool(Tool[..., Any]):
    """A :class:`Tool` with a given JSON schema; it calls ``function(**arguments)``.

    ``function`` may be sync or async and receives the model's arguments as
    keyword arguments after they pass :func:`check_arguments`. With
    ``takes_ctx=True`` it also receives the run context as its first argument.
    """

    def __init__(
        self,
        function: Callable[..., Any],
        *,
        name: str,
        description: str,
        parameters: JSONDict,
        timeout: float | None = None,
        errors: ErrorMode | None = None,
        requires_approval: bool = False,
        idempotent: bool = False,
        strict: bool | None = None,
        run_in_thread: bool = True,
        takes_ctx: bool = False,
        category: str | None = None,
        tags: Iterable[str] = (),
    ) -> None:
        if not callable(function):
            raise UsageError(f"A tool wraps a function, not a {type(function).__name__}.")
        if not isinstance(parameters, dict) or parameters.get("type", "object") != "object":
            raise UsageError(
                f"Tool {name!r}: parameters must be a JSON schema of type 'object', "
                f"got {parameters!r}."
            )
        check_tool_options(timeout, errors)
        schema = clean_schema({"type": "object", "properties": {}, **parameters})
        self.function = function
        self.name = check_tool_name(name)
        self.description = description
        self.timeout = timeout
        self.errors = errors
        self.requires_approval = requires_approval
        self.idempotent = idempotent
        self.run_in_thread = run_in_thread
        self.category = category
        self.tags = frozenset(tags)
        self.takes_ctx = takes_ctx
        call = getattr(function, "__call__", None)  # noqa: B004  (async callable objects too)
        self.is_async = inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(call)
        self.spec = ToolSpec(self.name, description, schema, strict)
        self._validate = self._check
        self._positional = ()
        self.__name__ = self.name
        self.__doc__ = description
        self.__wrapped__ = function

    def _check(self, arguments: JSONDict) -> JSONDict:
        check_arguments(self.spec.parameters, arguments)
        return dict(arguments)
