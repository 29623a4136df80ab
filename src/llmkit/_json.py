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
"""

from __future__ import annotations

import json

__all__ = ["dumps", "dumps_any", "dumps_body", "dumps_sorted"]

_COMPACT = (",", ":")

dumps = json.JSONEncoder(ensure_ascii=False, separators=_COMPACT).encode
"""``value`` as compact JSON text, non-ASCII kept as is."""

dumps_body = json.JSONEncoder(ensure_ascii=False, separators=_COMPACT, allow_nan=False).encode
"""Like :func:`dumps`, but ``NaN`` and infinities raise ``ValueError`` (request bodies)."""

dumps_any = json.JSONEncoder(ensure_ascii=False, separators=_COMPACT, default=str).encode
"""Like :func:`dumps`, but a value JSON cannot hold is written as its ``str()``."""

dumps_sorted = json.JSONEncoder(ensure_ascii=False, separators=_COMPACT, sort_keys=True).encode
"""Like :func:`dumps`, with object keys sorted: equal values give equal text (cache keys)."""
