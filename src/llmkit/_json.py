"""The JSON text llmkit writes: four encoders, each built once, in the one compact form.

Every dump is compact (no spaces after ``,`` and ``:``) and keeps non-ASCII
text as it is (``ensure_ascii=False``), so a body, a cache key or a size
estimate has one spelling across the package. The four differ in one setting:

- :func:`dumps`: the plain form (tool results, schemas in prompts, wire bodies);
- :func:`dumps_body`: refuses ``NaN`` and infinities (``ValueError``), which no
  JSON parser on the other end of a request reads;
- :func:`dumps_any`: writes any value ``json`` cannot as its ``str()``, for
  estimates that must never fail;
- :func:`dumps_sorted`: sorts object keys, so equal values give equal text
  (cache keys).

Each is the bound ``encode`` of a :class:`json.JSONEncoder` built at import,
which skips the per-call setup of ``json.dumps`` with options. Reading JSON
that may be hostile (bounded nesting) is :mod:`llmkit._jsondata`'s job.

HTTP bodies go through two faster functions, :func:`body_bytes` and
:func:`loads_body`, which use ``orjson`` (imported at their first call) for
what it does exactly as the standard library does, and the standard library
for the rest, so what is refused, and with which error, does not change:

- :func:`body_bytes` gives the bytes of ``dumps_body(value).encode()``'s JSON
  value: ``NaN`` and infinities raise ``ValueError`` (orjson would write
  ``null``: any body holding ``null`` is encoded again by the standard
  library); integers beyond 64 bits, lone surrogates, non-string keys, str,
  int, dict or list subclasses, dataclasses and dates go to the standard
  library, which writes them or raises ``TypeError`` / ``ValueError`` as
  before. Numbers may be spelled differently (``1e-05`` / ``0.00001``); the
  values are the same. One thing is sent that was refused: an ``Enum`` member
  or a ``UUID`` is written as its value;
- :func:`loads_body` reads what ``json.loads`` reads, to the same values:
  a body with a run of 19 digits or more (an integer orjson would turn into a
  float) and anything orjson refuses (``NaN``, a byte-order mark, UTF-16, a
  lone surrogate escape, deep nesting, malformed JSON) are read by
  ``json.loads``, whose error is the one raised; :func:`loads_text` does the
  same for text (a streamed chunk's SSE ``data``).
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

__all__ = [
    "body_bytes",
    "dumps",
    "dumps_any",
    "dumps_body",
    "dumps_sorted",
    "loads_body",
    "loads_text",
]

_COMPACT = (",", ":")

dumps = json.JSONEncoder(ensure_ascii=False, separators=_COMPACT).encode
"""``value`` as compact JSON text, non-ASCII kept as is."""

dumps_body = json.JSONEncoder(ensure_ascii=False, separators=_COMPACT, allow_nan=False).encode
"""Like :func:`dumps`, but ``NaN`` and infinities raise ``ValueError`` (request bodies)."""

dumps_any = json.JSONEncoder(ensure_ascii=False, separators=_COMPACT, default=str).encode
"""Like :func:`dumps`, but a value JSON cannot hold is written as its ``str()``."""

dumps_sorted = json.JSONEncoder(ensure_ascii=False, separators=_COMPACT, sort_keys=True).encode
"""Like :func:`dumps`, with object keys sorted: equal values give equal text (cache keys)."""


_loads = json.loads
# A run of 19 ASCII digits, found by mapping every digit to "0" and everything else
# to " " (bytes.translate) and looking for 19 zeros: ten times faster than a regex.
_DIGITS_TO_ZEROS = bytes(48 if 48 <= i <= 57 else 32 for i in range(256))
_NINETEEN_ZEROS = b"0" * 19
_orjson: ModuleType | None = None
_orjson_options = 0
_orjson_checked = False


def _fast() -> ModuleType | None:
    """``orjson`` if it is installed (looked for once), else None."""
    global _orjson, _orjson_checked, _orjson_options
    if not _orjson_checked:
        _orjson_checked = True
        try:
            import orjson
        except ImportError:
            return None
        _orjson_options = (
            orjson.OPT_PASSTHROUGH_SUBCLASS
            | orjson.OPT_PASSTHROUGH_DATACLASS
            | orjson.OPT_PASSTHROUGH_DATETIME
        )
        _orjson = orjson
    return _orjson


def body_bytes(value: Any) -> bytes:
    """``value`` as the UTF-8 bytes of compact JSON; ``NaN`` and infinities raise ``ValueError``."""
    fast = _orjson if _orjson_checked else _fast()
    if fast is not None:
        try:
            data: bytes = fast.dumps(value, option=_orjson_options)
        except TypeError:
            pass  # the standard library writes it or says why not
        else:
            if b"null" not in data:
                return data
    return dumps_body(value).encode()


def loads_body(data: bytes) -> Any:
    """The JSON value in ``data``, read as ``json.loads`` reads it (and refused as it refuses)."""
    fast = _orjson if _orjson_checked else _fast()
    if fast is not None and _NINETEEN_ZEROS not in data.translate(_DIGITS_TO_ZEROS):
        try:
            return fast.loads(data)
        except ValueError:
            pass  # the standard library reads it or says why not
    return _loads(data)


def loads_text(text: str) -> Any:
    """The JSON value in ``text``, read as ``json.loads`` reads it (and refused as it refuses)."""
    fast = _orjson if _orjson_checked else _fast()
    if fast is not None and _NINETEEN_ZEROS not in text.encode("utf-8", "surrogatepass").translate(
        _DIGITS_TO_ZEROS
    ):
        try:
            return fast.loads(text)
        except ValueError:
            pass  # the standard library reads it or says why not
    return _loads(text)
