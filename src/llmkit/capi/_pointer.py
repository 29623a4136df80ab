"""JSON Pointers (RFC 6901) for the C ABI's JSON utilities: the value at ``/data/output`` of a payload.

Guarantees: a pointer is ``""`` (the whole value) or ``/``-separated tokens with
``~1`` for ``/`` and ``~0`` for ``~``; an array index is a number without leading
zeros. A pointer of another form fails with ``ERR_ARGUMENT``; one that names no
value fails with ``ERR_NOT_FOUND``, naming the first token that is missing.
"""

from __future__ import annotations

import re
from typing import Any

from llmkit.capi._abi import Status
from llmkit.capi._errors import CallError

__all__ = ["resolve"]

_INDEX = re.compile(r"0|[1-9][0-9]*")


def resolve(value: Any, pointer: str) -> Any:
    """The value ``pointer`` names inside ``value``."""
    if pointer == "":
        return value
    if not pointer.startswith("/"):
        raise CallError(
            Status.ERR_ARGUMENT,
            f'a JSON pointer is "" or starts with "/", such as "/data/output", not {pointer!r}',
        )
    where = ""
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        where += "/" + raw
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and _INDEX.fullmatch(token) and int(token) < len(value):
            value = value[int(token)]
        else:
            raise CallError(Status.ERR_NOT_FOUND, f"no value at {where!r} (pointer {pointer!r})")
    return value
