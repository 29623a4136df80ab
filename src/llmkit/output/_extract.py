"""Extraction: a typed, validated value from a model's untidy text.

:func:`extract` finds the data (JSON, YAML or XML, fenced or in prose; see
:mod:`llmkit.output._detect`), reads it with the recovering parser of its
format, applies the schema-guided coercion of :mod:`llmkit.output._coerce`,
then validates with pydantic. It guarantees:

- the value returned is valid for the output type (validated by pydantic
  after coercion, in pydantic's default, lax mode);
- a text refused by a parser (:class:`~llmkit.errors.UnsafeDocumentError`:
  an XML DTD, a YAML alias bomb or Python tag) stops the extraction at once;
- otherwise every likely reading is tried in order, and the first valid one
  wins; when none is, :class:`~llmkit.errors.ExtractionError` holds the whole
  text and the errors of the first reading that parsed, each with its path,
  and its message shows them with the start of the text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar, get_args, overload

from llmkit.errors import ExtractionError, UnsafeDocumentError, UsageError
from llmkit.output._coerce import coerce as coerce_value
from llmkit.output._detect import FORMATS, Candidate, Format, candidates
from llmkit.output._json import parse_json
from llmkit.output._spec import OutputSpec
from llmkit.output._xml import parse_xml
from llmkit.output._yamltext import parse_yaml

__all__ = ["extract"]

T = TypeVar("T")

SHOWN_CHARACTERS = 500
"""How much of the text an :class:`ExtractionError` message shows."""

_WRAP_KEY = "result"
_PARSERS: dict[Format, Callable[[str], Any]] = {
    "json": parse_json,
    "yaml": parse_yaml,
    "xml": parse_xml,
}
_NAMES = {"json": "JSON", "yaml": "YAML", "xml": "XML"}


@overload
def extract(
    output_type: type[T], text: str, *, format: Format | None = None, coerce: bool = True
) -> T: ...
@overload
def extract(
    output_type: Any, text: str, *, format: Format | None = None, coerce: bool = True
) -> Any: ...
def extract(
    output_type: Any, text: str, *, format: Format | None = None, coerce: bool = True
) -> Any:
    """The value of ``output_type`` in a model's ``text``, found, repaired, coerced and validated.

    ``output_type`` is anything an agent takes as ``output_type`` (pydantic
    model, dataclass, TypedDict, list, union, scalar …). ``format`` reads the
    text as that format only, instead of detecting it; ``coerce=False`` skips
    the schema-guided coercion (pydantic still validates in its lax mode).
    Raises :class:`~llmkit.errors.ExtractionError` (with the text and every
    validation error) or :class:`~llmkit.errors.UnsafeDocumentError`.
    """
    if not isinstance(text, str):
        raise UsageError(f"extract() reads text: pass a str, not {type(text).__name__}.")
    if format is not None and format not in FORMATS:
        raise UsageError(f"format={format!r}: use one of {', '.join(FORMATS)}, or None to detect.")
    spec = _spec(output_type)
    if spec.is_text:
        return text
    tries = [Candidate(format, text)] if format is not None else candidates(text)
    schema = _value_schema(spec)
    scalar = schema.get("type") not in ("object", "array") and "properties" not in schema
    first_invalid: ExtractionError | None = None
    for candidate in tries:
        try:
            value = _PARSERS[candidate.format](candidate.text)
        except UnsafeDocumentError:
            raise
        except (ExtractionError, ValueError):
            continue
        if (
            format is None
            and candidate.format == "yaml"
            and not scalar
            and not isinstance(value, (dict, list))
        ):
            continue  # any prose reads as a YAML string: not a reading of the data
        if spec.wrapped and isinstance(value, dict) and list(value) == [_WRAP_KEY]:
            value = value[_WRAP_KEY]
        if coerce:
            value = coerce_value(value, schema)
        try:
            return spec.from_json(value)
        except Exception as exc:
            if not hasattr(exc, "errors"):
                raise
            if first_invalid is None:
                first_invalid = _invalid(output_type, text, candidate.format, exc)
    if first_invalid is not None:
        raise first_invalid
    formats = _NAMES[format] if format is not None else "JSON, YAML or XML"
    raise ExtractionError(
        f"The text holds no {formats} value to read {_type_name(output_type)} from.\n"
        f"{_shown(text)}",
        raw=text,
    )


@functools.lru_cache(maxsize=256)
def _cached_spec(output_type: Any) -> OutputSpec:
    return OutputSpec(output_type)


def _spec(output_type: Any) -> OutputSpec:
    try:
        return _cached_spec(output_type)
    except TypeError:  # an unhashable type expression: build it each time
        return OutputSpec(output_type)


def _value_schema(spec: OutputSpec) -> dict[str, Any]:
    """The schema of the value itself (an :class:`OutputSpec` wraps non-objects in ``result``)."""
    if not spec.wrapped:
        return spec.schema
    inner = dict(spec.schema["properties"][_WRAP_KEY])
    if "$defs" in spec.schema:
        inner["$defs"] = spec.schema["$defs"]
    return inner


def _invalid(output_type: Any, text: str, format: Format, exc: Any) -> ExtractionError:
    errors: list[tuple[str, str]] = []
    lines: list[str] = []
    for error in exc.errors(include_url=False):
        path = ".".join(str(part) for part in error.get("loc", ())) or "(root)"
        message = str(error.get("msg", "invalid"))
        errors.append((path, message))
        given = "" if error.get("type") == "missing" else f" (got {_short(error.get('input'))})"
        lines.append(f"- {path}: {message}{given}")
    count = f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
    return ExtractionError(
        f"The text holds no valid {_type_name(output_type)} (read as {_NAMES[format]}): "
        f"{count}\n" + "\n".join(lines) + f"\n{_shown(text)}",
        raw=text,
        format=format,
        errors=tuple(errors),
    )


def _type_name(output_type: Any) -> str:
    """``Invoice``, ``list[Line]``, ``Literal['a', 'b']``: the type as written, without modules."""
    if isinstance(output_type, type) and not get_args(output_type):
        return output_type.__name__
    return re.sub(r"\b(?:[A-Za-z_]\w*\.)+(?=[A-Za-z_])", "", str(output_type))


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _shown(text: str) -> str:
    if len(text) <= SHOWN_CHARACTERS:
        return f"The text was: {text!r}"
    return (
        f"The text ({len(text):,} characters; the first {SHOWN_CHARACTERS} shown) was: "
        f"{text[:SHOWN_CHARACTERS]!r}..."
    )
