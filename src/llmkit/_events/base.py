"""What every event shares: the step ``path``, the JSON form of its fields, and the codecs.

An event's JSON form is its fields (its ``__slots__``), each written by its
codec when it has one (``_codecs``), those in ``_optional`` left out when
unset, and ``path`` last, only when it is not empty; :func:`read_event` reads
it back. Served through :mod:`llmkit.events`; import from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeAlias, TypeVar

from llmkit._parts import _part_from_dict
from llmkit._scope import current_path
from llmkit.errors import SerializationError
from llmkit.types import JSONDict, ToolCall, Usage

__all__ = [
    "CALL",
    "JSONABLE",
    "USAGE",
    "Codec",
    "EventBase",
    "as_is",
    "as_part",
    "dict_of",
    "jsonable",
    "read_event",
]


# How to write and read a field that is not plain JSON already.
Codec: TypeAlias = tuple[Callable[[Any], Any], Callable[[Any], Any]]


@dataclass(slots=True)
class EventBase:
    """Shared behaviour of events: the step ``path`` and the JSON form (``to_dict``)."""

    path: str = field(default_factory=current_path, kw_only=True, repr=False)
    """The path of the workflow step this happened in (``""`` outside workflows)."""
    topic: ClassVar[str]
    _codecs: ClassVar[dict[str, Codec]] = {}
    _optional: ClassVar[frozenset[str]] = frozenset()
    """Fields written only when set (not None, not ``""``), so older readers see no change."""

    def to_dict(self) -> JSONDict:
        """The JSON form of this event, without its topic (see :func:`event_to_dict`)."""
        d: JSONDict = {}
        codecs = self._codecs
        optional = self._optional
        name: str
        # A subclass's __slots__ are its own fields; the base's ``path`` comes last, when set.
        for name in self.__slots__:
            value = getattr(self, name)
            if name in optional and (value is None or value == ""):
                continue
            codec = codecs.get(name)
            d[name] = codec[0](value) if codec is not None and value is not None else value
        if self.path:
            d["path"] = self.path
        return d


def as_part(cls: type[Any]) -> Callable[[Any], Any]:
    """A reader of a part's JSON form that accepts only a part of ``cls``."""

    def read(d: JSONDict) -> Any:
        part = _part_from_dict(d)
        if not isinstance(part, cls):
            raise SerializationError(f"Expected a {cls.__name__} in event data.")
        return part

    return read


def dict_of(obj: Any) -> Any:
    """``obj.to_dict()``: the writer of a field whose value has a JSON form of its own."""
    return obj.to_dict()


def jsonable(value: Any) -> Any:
    """``value`` as JSON data: pydantic's rules, ``repr`` for what has no JSON form."""
    # Workflow states and step outputs are user data: pydantic models, dicts, anything.
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value, fallback=repr)


def as_is(value: Any) -> Any:
    """``value`` itself: the reader of a field kept as plain JSON."""
    return value


CALL: Codec = (dict_of, as_part(ToolCall))

USAGE: Codec = (dict_of, Usage.from_dict)

JSONABLE: Codec = (jsonable, as_is)
"""Written as JSON (pydantic's rules, ``repr`` for the rest); read back as that plain JSON."""


E = TypeVar("E", bound=EventBase)
"""An event type."""


def read_event(cls: type[E], d: JSONDict) -> E:
    """An event of ``cls`` from its JSON form (``d["topic"]`` is not read).

    Keys that are not fields of the event are ignored; a missing ``path`` is
    ``""`` (never the reader's own step scope).
    """
    topic = cls.topic
    path = d.get("path", "")
    if not isinstance(path, str):
        raise SerializationError(
            f"Malformed {topic} event: path is a {type(path).__name__}, not a str."
        )
    kwargs: JSONDict = {"path": path}
    for name in cls.__slots__:
        if name not in d:
            continue
        value = d[name]
        codec = cls._codecs.get(name)
        kwargs[name] = codec[1](value) if codec is not None and value is not None else value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise SerializationError(f"Malformed {topic} event: {exc}.") from exc
