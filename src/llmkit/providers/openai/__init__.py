"""OpenAI Chat Completions, and every server that speaks it.

``llmkit.model("openai/gpt-4.1-mini")`` and the presets (``"groq/…"``,
``"openrouter/…"``, ``"llamacpp/…"`` …) all build an :class:`OpenAIModel`;
only the address, the key variable and the capabilities differ.

The package has the file roles every provider package has:

- ``model.py``: :class:`OpenAIModel` (endpoint, auth, ``generate``/``stream``/``embed``),
  the only module with I/O;
- ``encode.py``: a :class:`~llmkit.types.Request` to the wire body (pure);
- ``decode.py``: answers and stream chunks to a :class:`~llmkit.types.Response` and
  events (pure);
- ``errors.py``: error bodies to the error tree (pure).
"""

from __future__ import annotations

from llmkit.providers._presets import PRESETS, Preset
from llmkit.providers._profiles.openai import OpenAIProfile
from llmkit.providers.openai.model import OpenAIModel

__all__ = ["PRESETS", "OpenAIModel", "OpenAIProfile", "Preset"]
