"""The JSON text that crosses the C ABI, read strictly and written as UTF-8.

Guarantees:

- :func:`read` is the one reader of JSON text from C (arguments, a tool
  callback's answer): bytes that are not UTF-8, text that is not strict JSON
  and JSON that spells a lone surrogate each fail with a :class:`CallError`
  that names the text and says what to pass (``ERR_UTF8``, ``ERR_JSON``,
  ``ERR_UTF8``; or one status given for all three, such as ``ERR_TOOL``).
- :func:`loads` reads JSON as RFC 8259 defines it: ``NaN``, ``Infinity`` and
  ``-Infinity`` (which Python's ``json`` reads) are refused, and so is a number
  too large for a double (``1e400``, which would read as infinity); so is
  nesting past :data:`~llmkit._jsondata.MACHINE_MAX_DEPTH`
  (:func:`llmkit._jsondata.loads`'s guard), with a message naming the limit.
  Every refusal is a :class:`NotJSON` (a ``ValueError``).
- :func:`lone_surrogate` finds a string (or key) holding a lone surrogate, which
  valid JSON can spell (``"\\ud800"``) but UTF-8 cannot carry.
- :func:`dump` writes a value for C as UTF-8 JSON (orjson: ``NaN`` and
  infinities are ``null``), refusing lone surrogates as :func:`utf8` does.
- :func:`utf8` encodes text for C, or fails with a :class:`CallError` of the
  status given, naming the lone surrogate; text with U+0000 is refused by
  :func:`c_string`, since a C string would end there.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

from llmkit import _json, _jsondata
from llmkit.capi._abi import Status
from llmkit.capi._errors import CallError

__all__ = ["NotJSON", "c_string", "decode", "dump", "loads", "lone_surrogate", "read", "utf8"]

_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class NotJSON(ValueError):
    """Text that is not strict JSON; the message says why."""


def _constant(name: str) -> Any:
    raise NotJSON(f"{name} is not a JSON number: use a finite number, or null")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise NotJSON(f"the number {text[:40]} is too large for a double: use a smaller one")
    return value


_STRICT = json.JSONDecoder(parse_constant=_constant, parse_float=_float)


def loads(text: str) -> Any:
    """The value of the JSON ``text`` (see the module's guarantees)."""
    try:
        return _jsondata.loads(text, max_depth=_jsondata.MACHINE_MAX_DEPTH, decoder=_STRICT)
    except _jsondata.JSONTooDeep as exc:
        raise NotJSON(
            f"its arrays and objects nest more than {exc.max_depth} levels deep, llmkit's "
            "nesting limit: flatten it"
        ) from None


def decode(raw: bytes, what: str, *, verb: str = "pass", status: Status = Status.ERR_UTF8) -> str:
    """The text of the C string ``raw``, or :class:`CallError` ``status`` if it is not UTF-8.

    ``what`` names the text in the message; ``verb`` says what the C side does with
    it (``pass`` an argument, ``return`` an answer).
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CallError(
            status, f"{what} is not UTF-8 (byte {exc.start} of it): {verb} UTF-8 text"
        ) from None


def read(
    raw: bytes,
    what: str,
    *,
    expect: str,
    verb: str = "pass",
    status: Status | None = None,
    surrogates: bool = True,
) -> Any:
    """The JSON value of the C string ``raw`` (see the module's guarantees).

    ``what`` names the text in the messages, ``expect`` the JSON to ``verb``
    instead; ``status`` replaces the three statuses of a refusal;
    ``surrogates=False`` lets lone surrogates through (to be refused, if
    ever, when a value holding one is written out).
    """
    text = decode(raw, what, verb=verb, status=status or Status.ERR_UTF8)
    try:
        value = loads(text)
    except ValueError as exc:
        raise CallError(
            status or Status.ERR_JSON, f"{what} is not JSON ({exc}): {verb} {expect}"
        ) from None
    if surrogates:
        bad = lone_surrogate(value, text)
        if bad is not None:  # valid JSON (an escape), but no UTF-8 text
            utf8(bad, what, status=status or Status.ERR_UTF8)
    return value


def lone_surrogate(value: Any, text: str | None = None) -> str | None:
    """The first string of ``value`` (or key) with a lone surrogate, or None.

    ``text``, the JSON ``value`` was read from, lets the walk be skipped when it
    spells no surrogate.
    """
    if text is not None and not _SURROGATE_ESCAPE.search(text):
        return None
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _named(text: str) -> str:
    found = _SURROGATE.search(text)
    return f"\\u{ord(found.group()):04x}" if found else "a lone surrogate"


def utf8(text: str, what: str, *, status: Status = Status.ERR_UTF8) -> bytes:
    """``text`` as UTF-8, or :class:`CallError` ``status`` naming its lone surrogate."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise CallError(
            status,
            f"{what} holds a lone surrogate ({_named(text)}), which UTF-8 cannot carry: "
            "use whole characters (a surrogate pair, or the character itself)",
        ) from None


def dump(value: Any, what: str) -> bytes:
    """``value`` as compact JSON in UTF-8, for C (orjson's text).

    What orjson does not write (a lone surrogate, an integer beyond 64 bits, a
    key that is not a string) goes to the standard library, which writes it or
    fails as :func:`utf8` says. A ``NaN`` or an infinity, which no JSON holds,
    is written ``null``.
    """
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError
        return utf8(_json.dumps(value), what)


def c_string(text: str, what: str) -> bytes:
    """``text`` as UTF-8 for a C string: :class:`CallError` ``ERR_UTF8`` if it holds U+0000."""
    data = utf8(text, what)
    if b"\0" in data:
        raise CallError(
            Status.ERR_UTF8,
            f"{what} holds U+0000, where a C string would end: read it with llmkit_json_get, "
            "which writes it escaped (\\u0000)",
        )
    return data
