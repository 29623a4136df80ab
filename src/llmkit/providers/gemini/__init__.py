"""Google's Gemini API (``generateContent``), spoken natively.

``llmkit.model("gemini/gemini-2.5-flash")`` builds a :class:`GeminiModel`. The
key comes from ``GEMINI_API_KEY`` (or ``GOOGLE_API_KEY``) and travels in the
``x-goog-api-key`` header, never in a URL; the address from
``GEMINI_BASE_URL`` (default ``https://generativelanguage.googleapis.com``),
with the API version (``v1beta`` unless ``api_version=`` says otherwise)
appended.

The package has the file roles every provider package has:

- ``model.py``: :class:`GeminiModel` (endpoint, auth, ``generate``/``stream``/``embed``),
  the only module with I/O;
- ``encode.py``: a :class:`~llmkit.types.Request` to the wire body (pure);
- ``decode.py``: answers and stream chunks to a :class:`~llmkit.types.Response` and
  events (pure);
- ``errors.py``: error bodies to the error tree (pure);
- ``schema.py``: JSON Schema to the OpenAPI subset older models take (pure).
"""

from __future__ import annotations

from llmkit.providers._profiles.gemini import GeminiProfile
from llmkit.providers.gemini.model import DEFAULT_BASE_URL, GeminiModel

__all__ = ["DEFAULT_BASE_URL", "GeminiModel", "GeminiProfile"]
