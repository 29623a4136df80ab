"""Structured output: from an output type to a schema, a strategy, and a validated value.

An :class:`OutputSpec` is built once per agent from its ``output_type`` (a
pydantic model, dataclass, TypedDict, list, union, scalar …). It holds the
JSON schema (wrapped in an object when the type's own schema is not an
object, since tools and most providers need an object root), the validator,
and the three ways to get a value from a model:

- ``"native"``: the provider enforces the schema (``Request.output_schema``);
- ``"tool"``: the model calls a final-result tool whose arguments are the value;
- ``"prompted"``: the schema goes into the instructions and the JSON is recovered
  from the answer text (fences, prose, trailing commas, truncation).

``"auto"`` picks what the model's capabilities name (``Capabilities.output_mode``),
else native when they say it enforces schemas, else the tool when it takes
tools, else prompted.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, TypeAlias

from llmkit._json import dumps
from llmkit.errors import UsageError
from llmkit.output._json import NoJSONError, parse_json
from llmkit.output._lenient import PartialReader
from llmkit.providers.base import Capabilities
from llmkit.tools._schema import clean_schema, describe_validation_error
from llmkit.types import JSONDict, OutputSchema, ToolSpec

__all__ = ["FINAL_RESULT_TOOL", "OutputInvalid", "OutputMode", "OutputSpec", "prompted_schema"]

OutputMode: TypeAlias = Literal["auto", "native", "tool", "prompted"]
"""How structured output is obtained from the model (see the module docstring)."""

FINAL_RESULT_TOOL = "final_result"
"""The name of the tool the model calls with its answer in ``"tool"`` mode."""

_MODES = ("auto", "native", "tool", "prompted")
_WRAP_KEY = "result"
_SCHEMA_LEAD = "It must match this JSON schema:\n"


def prompted_schema(text: str) -> JSONDict | None:
    """The schema a ``"prompted"``-mode instruction in ``text`` asks for, or None (for test models)."""
    at = text.rfind(_SCHEMA_LEAD)
    if at < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text, at + len(_SCHEMA_LEAD))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class OutputInvalid(Exception):
    """An answer that does not fit the output type: ``errors`` says why, for the model."""

    def __init__(self, errors: str, raw: Any) -> None:
        super().__init__(errors)
        self.errors = errors
        self.raw = raw


def _type_name(output_type: Any) -> str:
    name = getattr(output_type, "__name__", None) or "output"
    return re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:64] or "output"


class OutputSpec:
    """How one output type is asked for and checked; built once per agent."""

    def __init__(
        self,
        output_type: Any,
        *,
        mode: OutputMode = "auto",
        name: str | None = None,
        description: str | None = None,
        strict: bool = True,
    ) -> None:
        if mode not in _MODES:
            raise UsageError(f"output_mode={mode!r}: use one of {', '.join(_MODES)}.")
        self.output_type = output_type
        self.mode: OutputMode = mode
        self.is_text = output_type is str
        self.wrapped = False
        self.schema: JSONDict = {}
        self.output_schema: OutputSchema | None = None
        self.tool_spec: ToolSpec | None = None
        self._adapter: Any = None
        self._adapters: dict[Any, Any] = {}
        """Adapters of the annotations inside the type, for partial values."""
        self._prompt: str | None = None
        if self.is_text:
            return
        from pydantic import TypeAdapter
        from pydantic.errors import PydanticUserError

        try:
            self._adapter = TypeAdapter(output_type)
            schema = clean_schema(self._adapter.json_schema())
        except (PydanticUserError, TypeError, ValueError) as exc:
            raise UsageError(
                f"output_type={output_type!r} cannot become a JSON schema: "
                f"{str(exc).splitlines()[0]}. Use a pydantic model, dataclass, TypedDict "
                "(from typing_extensions on Python < 3.12), list, union or scalar type."
            ) from exc
        if schema.get("type") != "object" or "anyOf" in schema or "oneOf" in schema:
            self.wrapped = True
            defs = schema.pop("$defs", None)
            schema = {
                "type": "object",
                "properties": {_WRAP_KEY: schema},
                "required": [_WRAP_KEY],
                "additionalProperties": False,
            }
            if defs:
                schema["$defs"] = defs
        self.schema = schema
        description = description or schema.get("description")
        self.output_schema = OutputSchema(
            schema, name=name or _type_name(output_type), description=description, strict=strict
        )
        self.tool_spec = ToolSpec(
            FINAL_RESULT_TOOL,
            description or "Give the final answer. Call this once you have it.",
            schema,
        )

    def mode_for(self, caps: Capabilities) -> OutputMode:
        """The strategy for a model with ``caps`` (``"auto"`` resolved)."""
        if self.mode != "auto":
            return self.mode
        if caps.output_mode is not None:
            return caps.output_mode
        if caps.structured_output:
            return "native"
        if caps.tools:
            return "tool"
        return "prompted"

    def prompt(self) -> str:
        """Instructions that ask for JSON following the schema (``"prompted"`` mode)."""
        if self._prompt is None:
            self._prompt = (
                "Reply with one JSON value and nothing else: no prose, no code fences. "
                f"{_SCHEMA_LEAD}{dumps(self.schema)}"
            )
        return self._prompt

    def from_text(self, text: str) -> Any:
        """The validated value in an answer's text; raises :class:`OutputInvalid`."""
        if self.is_text:
            return text
        try:
            value = parse_json(text)
        except NoJSONError as exc:
            raise OutputInvalid(
                f"Your answer must be a JSON value matching the schema, but {exc}.", text
            ) from None
        return self._validate(value, text)

    def partial_reader(self) -> PartialReader:
        """A reader of partial values from this type's JSON arriving in pieces (one per answer).

        ``reader.feed(text)`` gives the partial value after each piece that
        changed it (see :mod:`llmkit.output._lenient`), else ``UNCHANGED``.
        """
        if self.is_text:
            raise UsageError("Partial values are for structured output: give an output_type.")
        return PartialReader(self.output_type, wrapped=self.wrapped, adapters=self._adapters)

    def from_arguments(self, arguments: JSONDict, raw: Any = None) -> Any:
        """The validated value from the final-result tool's arguments; raises :class:`OutputInvalid`."""
        return self._validate(arguments, raw if raw is not None else arguments)

    def _validate(self, value: Any, raw: Any) -> Any:
        if self.wrapped and isinstance(value, dict) and _WRAP_KEY in value and len(value) == 1:
            value = value[_WRAP_KEY]
        try:
            return self._adapter.validate_python(value)
        except Exception as exc:
            if not hasattr(exc, "errors"):
                raise
            raise OutputInvalid(describe_validation_error(exc), raw) from None

    def to_json(self, value: Any) -> Any:
        """``value`` in its JSON form (for ``RunResult.to_dict``)."""
        if self.is_text or self._adapter is None:
            return value
        return self._adapter.dump_python(value, mode="json")

    def from_json(self, data: Any) -> Any:
        """A value from its JSON form, validated again."""
        if self.is_text or self._adapter is None:
            return data
        return self._adapter.validate_python(data)

    def __repr__(self) -> str:
        return f"<OutputSpec {getattr(self.output_type, '__name__', self.output_type)!r}>"
