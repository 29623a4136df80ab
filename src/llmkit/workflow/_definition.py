"""A definition being read: its located errors, its registry lookups, the values of its options.

:class:`Source` holds the document (data with the line of every value), the file name, the
registry and the ``breakers:`` section, and reads the values steps are made of: names looked
up in the registry by kind, numbers, flags and choices, expressions, ``{function: name}``
readers, ``retry:`` and ``breaker:`` settings. :mod:`llmkit.workflow._schema` reads the steps
with it.

Guarantees: every refusal is a :class:`~llmkit.errors.WorkflowDefinitionError` made by
:meth:`Source.fail`, whose message starts with ``<file>, line <n>:`` and which carries
``file``, ``line`` and the step's ``path`` when known; a name the registry lacks is refused
with the names it has of that kind (up to 20), a name it holds as another kind says which;
nothing read is called.
"""

from __future__ import annotations

import builtins
import difflib
import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

import llmkit.errors as llmkit_errors
from llmkit._jsondata import KeyPath, Located
from llmkit.agent import Agent
from llmkit.errors import UsageError, WorkflowDefinitionError
from llmkit.http._retry import BACKOFF_KINDS
from llmkit.tools import Tool
from llmkit.workflow._breaker import CircuitBreaker
from llmkit.workflow._dump import Registered
from llmkit.workflow._predicate import Expression, ReaderRole, expression
from llmkit.workflow._retry import Retry
from llmkit.workflow._spec import LeafNode
from llmkit.workflow._steps import Step
from llmkit.workflow._workflow import Workflow

__all__ = ["Entries", "Source", "did_you_mean", "registered_as", "shown"]

_RETRY_KEYS = ("attempts", "backoff", "delay", "max_delay", "jitter", "on")
_BREAKER_KEYS = ("failure_threshold", "reset_timeout", "probes", "on")


# What a registry value is, with its article, for messages ("registered as a function").
_AN = {
    "agent": "an agent",
    "function": "a function",
    "tool": "a tool",
    "step": "a Step",
    "workflow": "a workflow",
    "state model": "a state model (a pydantic model class)",
    "exception class": "an exception class",
}
_PLURAL = {
    "agent": "agents",
    "function": "functions",
    "tool": "tools",
    "step": "Steps",
    "workflow": "workflows",
    "state model": "state models",
    "exception class": "exception classes",
}

Entries = dict[str, tuple[Any, KeyPath]]
"""A step's keys, each with its value and where it is written."""


def shown(value: object) -> str:
    """``value`` as a message shows it: text quoted, other values by their YAML/JSON type."""
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def did_you_mean(word: object, known: tuple[str, ...] | list[str]) -> str:
    """``"; did you mean 'x'?"`` when a known word is close to ``word``, else ``""``."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, known, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def registered_as(value: object) -> str:
    """What a registry value can be used as: ``"agent"``, ``"function"``, ``"workflow"`` …"""
    if isinstance(value, Workflow):
        return "workflow"
    if isinstance(value, Agent):
        return "agent"
    if isinstance(value, Tool):
        return "tool"
    if isinstance(value, type):
        if issubclass(value, BaseModel):
            return "state model"
        if issubclass(value, BaseException):
            return "exception class"
    elif isinstance(value, Step):
        return "step"
    if callable(value):
        return "function"
    return type(value).__name__


class Source:
    """A definition being read: its document, file name, registry and ``breakers:`` section.

    :meth:`fail` makes the located error; the other methods read one value each, refusing it
    with a located error.
    """

    def __init__(self, doc: Located, *, file: str, registry: Mapping[str, object]) -> None:
        self.doc = doc
        self.file = file
        self.registry = registry
        self.breakers: dict[str, CircuitBreaker] = {}
        """The ``breakers:`` section, by key."""

    # ------------------------------------------------------------------ errors and lookups

    def fail(self, where: KeyPath, message: str, *, path: str = "") -> WorkflowDefinitionError:
        """The error for ``message`` at ``where`` (a missing key: the line of its mapping)."""
        line = self.doc.line(where)
        return WorkflowDefinitionError(
            f"{self.file}, line {line}: {message}", path=path, file=self.file, line=line
        )

    def lookup(self, name: object, kind: str, where: KeyPath, *, option: str) -> Any:
        """The registry's ``kind`` named ``name``; the error lists the names of that kind."""
        if not isinstance(name, str) or not name:
            raise self.fail(where, f"{option}: takes a registered name, not {shown(name)}")
        if name not in self.registry:
            same = sorted(k for k, v in self.registry.items() if registered_as(v) == kind)
            if same:
                listed = ", ".join(same[:20]) + (", ..." if len(same) > 20 else "")
                known = f"registered {_PLURAL[kind]}: {listed}"
            else:
                known = f"no {_PLURAL[kind]} are registered"
            raise self.fail(
                where,
                f"{option}: {name!r} is not registered ({known}); pass it in load(..., "
                f"registry={{{name!r}: ...}}){did_you_mean(name, same)}",
            )
        value = self.registry[name]
        got = registered_as(value)
        if got == "workflow" and kind == "function" and isinstance(value, Workflow):
            node = value.node  # a function made a step with @step: its function
            if isinstance(node, LeafNode) and node.kind == "function":
                return node.target
        if got != kind:
            raise self.fail(
                where,
                f"{option}: {name!r} is registered as {_AN.get(got, 'a ' + got)}, not {_AN[kind]}",
            )
        return value

    def error_class(self, name: object, where: KeyPath) -> type[BaseException]:
        """The exception class ``name`` names: the registry's, llmkit.errors', or a builtin."""
        if isinstance(name, str) and name in self.registry:
            found = self.lookup(name, "exception class", where, option="on")
            assert isinstance(found, type)
            return found
        if isinstance(name, str) and not name.startswith("_"):
            for space in (llmkit_errors, builtins):
                found = getattr(space, name, None)
                if isinstance(found, type) and issubclass(found, BaseException):
                    return found
        known = [*llmkit_errors.__all__, *(k for k in self.registry)]
        raise self.fail(
            where,
            f"on: {name if isinstance(name, str) else shown(name)!r} names no exception class: "
            "it is not in the registry, in llmkit.errors or among Python's builtin exceptions"
            f"{did_you_mean(name, known)}",
        )

    # ------------------------------------------------------------------ values

    def whole(self, value: Any, where: KeyPath, option: str, *, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(
                where, f"{option}: takes a whole number, {minimum} or more; not {shown(value)}"
            )
        return value

    def seconds(self, value: Any, where: KeyPath, option: str, *, positive: bool) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
            or (positive and value == 0)
        ):
            bound = "more than 0" if positive else "0 or more"
            raise self.fail(
                where, f"{option}: takes a number of seconds, {bound}; not {shown(value)}"
            )
        return value

    def flag(self, value: Any, where: KeyPath, option: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"{option}: takes true or false, not {shown(value)}")
        return value

    def choice(self, value: Any, where: KeyPath, option: str, choices: tuple[str, ...]) -> str:
        if value not in choices:
            raise self.fail(
                where,
                f"{option}: is one of {', '.join(choices)}; not {shown(value)}"
                f"{did_you_mean(value, choices)}",
            )
        return str(value)

    def mapping(self, value: Any, where: KeyPath, option: str, keys: tuple[str, ...]) -> Entries:
        """The entries of the mapping ``value``, refusing keys not in ``keys``."""
        if not isinstance(value, Mapping):
            raise self.fail(
                where, f"{option}: takes a mapping ({', '.join(keys)}), not {shown(value)}"
            )
        for key in value:
            if key not in keys:
                raise self.fail(
                    (*where, key),
                    f"{option}: has no option {key!r} (its options: {', '.join(keys)})"
                    f"{did_you_mean(key, keys)}",
                )
        return {key: (item, (*where, key)) for key, item in value.items()}

    def function(self, value: Any, where: KeyPath, option: str) -> Registered:
        """A ``{function: name}`` value: the registered function, remembered by its name."""
        entries = self.mapping(value, where, option, ("function",))
        if "function" not in entries:
            raise self.fail(where, f"{option}: takes {{function: name}}")
        name, at = entries["function"]
        return Registered(self.lookup(name, "function", at, option="function"), name)

    def reader(self, value: Any, where: KeyPath, role: ReaderRole, *, option: str) -> Expression:
        """An expression (text) or ``{function: name}``, parsed and checked now."""
        source: str | Registered
        if isinstance(value, str):
            source = value
        elif isinstance(value, Mapping):
            source = self.function(value, where, option)
        else:
            raise self.fail(
                where,
                f"{option}: takes an expression such as 'score < 0.8' or {{function: name}}, "
                f"not {shown(value)}",
            )
        try:
            return expression(source, role=role, option=f"{option}:")
        except UsageError as exc:
            raise self.fail(where, str(exc)) from None

    def error_classes(self, value: Any, where: KeyPath) -> tuple[type[BaseException], ...]:
        items = value if isinstance(value, list) else [value]
        if not items:
            raise self.fail(where, "on: takes one or more exception names, e.g. [ServerError]")
        return tuple(
            self.error_class(item, (*where, index) if isinstance(value, list) else where)
            for index, item in enumerate(items)
        )

    def retry(self, value: Any, where: KeyPath) -> Retry:
        entries = self.mapping(value, where, "retry", _RETRY_KEYS)
        options: dict[str, Any] = {}
        for key, (item, at) in entries.items():
            if key == "attempts":
                options[key] = self.whole(item, at, "attempts", minimum=1)
            elif key == "backoff":
                options[key] = self.choice(item, at, "backoff", BACKOFF_KINDS)
            elif key in ("delay", "max_delay"):
                options[key] = self.seconds(item, at, key, positive=False)
            elif key == "jitter":
                options[key] = self.flag(item, at, key)
            else:
                options[key] = self.error_classes(item, at)
        try:
            return Retry(**options)
        except UsageError as exc:
            raise self.fail(where, str(exc)) from None

    def breaker_settings(self, key: str, value: Any, where: KeyPath) -> CircuitBreaker:
        entries = self.mapping(value, where, f"breakers: {key}", _BREAKER_KEYS)
        return self.circuit(key, entries, where)

    def circuit(self, key: str, entries: Entries, where: KeyPath) -> CircuitBreaker:
        options: dict[str, Any] = {}
        for option, (item, at) in entries.items():
            if option in ("failure_threshold", "probes"):
                options[option] = self.whole(item, at, option, minimum=1)
            elif option == "reset_timeout":
                options[option] = self.seconds(item, at, option, positive=False)
            elif option == "on":
                options[option] = self.error_classes(item, at)
        try:
            return CircuitBreaker(key, **options)
        except UsageError as exc:
            raise self.fail(where, str(exc)) from None

    def breaker(self, value: Any, where: KeyPath) -> CircuitBreaker:
        """``breaker: key`` (of ``breakers:``) or an inline ``{key: ..., ...}``."""
        if isinstance(value, str):
            found = self.breakers.get(value)
            if found is None:
                defined = ", ".join(sorted(self.breakers)) or "none is"
                raise self.fail(
                    where,
                    f"breaker: {value!r} is not defined; add it under breakers: at the top "
                    f"(defined: {defined}){did_you_mean(value, sorted(self.breakers))}",
                )
            return found
        entries = self.mapping(value, where, "breaker", ("key", *_BREAKER_KEYS))
        if "key" not in entries or not isinstance(entries["key"][0], str):
            raise self.fail(
                where, "breaker: takes a key of breakers:, or a mapping with key: (its name)"
            )
        key = entries.pop("key")[0]
        return self.circuit(key, entries, where)

    # ------------------------------------------------------------------ steps
