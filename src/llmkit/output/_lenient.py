"""Partial values of an output type, built from the JSON read so far.

A :class:`PartialReader` feeds text pieces to a
:class:`~llmkit.output._partial.JSONStream` and, when the JSON value changed,
builds a partial value of the output type from it, leniently:

- a pydantic model is built with ``model_construct`` from the fields that
  have arrived (each built the same way, by its annotation); a required field
  not yet arrived is None, one with a default has its default;
- a list (or tuple, set) is the list of its items so far, each built by the
  item type; a dict, its entries so far;
- a container that is complete is validated strictly first (and the result
  kept, since it will not change); a scalar that fits its annotation is
  validated; whatever does not validate yet (a date half written, an enum
  value in progress) is the JSON value as it stands.

So a partial value has the output type's shape but is not validated as a
whole; the final value still goes through the strict validation of
:class:`~llmkit.output.OutputSpec`. The work per piece is the tokenizer's
on the new text plus the rebuilding of the containers still open (a
complete one is built once).
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from llmkit.output._partial import JSONStream

__all__ = ["UNCHANGED", "PartialReader"]

UNCHANGED: Any = object()
"""What :meth:`PartialReader.feed` returns when the piece changed no value."""

_MISSING = object()
_SEQUENCES = (list, tuple, set, frozenset)
_PLAIN: dict[Any, Any] = {str: str, int: int, float: (int, float), bool: bool}


class PartialReader:
    """Partial values of ``output_type`` from its JSON text arriving in pieces."""

    __slots__ = ("_adapters", "_built", "_json", "_type", "_wrapped")

    def __init__(self, output_type: Any, *, wrapped: bool, adapters: dict[Any, Any]) -> None:
        self._type = output_type
        self._wrapped = wrapped
        """The JSON is ``{"result": value}`` (the type's schema is not an object)."""
        self._adapters = adapters
        """pydantic ``TypeAdapter`` objects by annotation (shared by the readers of one spec)."""
        self._json = JSONStream()
        self._built: dict[int, Any] = {}
        """Values built from complete containers, by the container's id."""

    @property
    def scanned(self) -> int:
        """Characters the tokenizer has looked at (each once)."""
        return self._json.scanned

    def feed(self, text: str) -> Any:
        """Read the next piece; the new partial value, or :data:`UNCHANGED`."""
        if not self._json.feed(text):
            return UNCHANGED
        root = self._json.value
        if self._wrapped and type(root) is dict:
            root = root.get("result", _MISSING)
            if root is _MISSING:
                return UNCHANGED
        return self._build(self._type, root)

    # ------------------------------------------------------------------ building

    def _build(self, annotation: Any, value: Any) -> Any:
        kind = type(value)
        if kind is not dict and kind is not list:
            return self._scalar(annotation, value)
        key = id(value)
        built = self._built.get(key, _MISSING)
        if built is not _MISSING:
            return built
        complete = key in self._json.closed
        if complete:
            built = self._validated(annotation, value)
        if built is _MISSING:
            built = self._container(_bare(annotation), value)
        if complete:
            self._built[key] = built
        return built

    def _container(self, annotation: Any, value: Any) -> Any:
        fields = getattr(annotation, "model_fields", None)
        if type(value) is dict:
            if isinstance(fields, dict) and hasattr(annotation, "model_construct"):
                return self._model(annotation, fields, value)
            item = get_args(annotation)[1] if get_origin(annotation) is dict else Any
            return {k: self._build(item, v) for k, v in value.items()}
        args = get_args(annotation)
        item = args[0] if get_origin(annotation) in _SEQUENCES and args else Any
        return [self._build(item, v) for v in value]

    def _model(self, model: Any, fields: dict[str, Any], value: dict[str, Any]) -> Any:
        given: dict[str, Any] = {}
        for name, field in fields.items():
            key = field.alias or name
            if key in value:
                given[name] = self._build(field.annotation, value[key])
            elif field.is_required():
                given[name] = None
        return model.model_construct(**given)

    def _scalar(self, annotation: Any, value: Any) -> Any:
        annotation = _bare(annotation)
        plain = _PLAIN.get(annotation)
        if plain is not None and isinstance(value, plain):
            return value
        if annotation is Any:
            return value
        built = self._validated(annotation, value)
        return value if built is _MISSING else built

    def _validated(self, annotation: Any, value: Any) -> Any:
        """``value`` validated strictly as ``annotation``, or ``_MISSING``."""
        if annotation is Any:
            return value
        try:
            adapter = self._adapters.get(annotation)
            if adapter is None:
                from pydantic import TypeAdapter

                adapter = self._adapters[annotation] = TypeAdapter(annotation)
            return adapter.validate_python(value)
        except Exception:  # a value not valid yet, or a type pydantic cannot take alone
            return _MISSING


def _bare(annotation: Any) -> Any:
    """``annotation`` without ``Annotated`` and without ``None`` in an optional."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _bare(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        rest = [a for a in get_args(annotation) if a is not type(None)]
        if len(rest) == 1:
            return _bare(rest[0])
    return annotation
