"""The Anthropic Messages API (``POST /v1/messages``).

``llmkit.model("anthropic/claude-sonnet-4-5")`` builds an :class:`AnthropicModel`.
It takes the same :class:`~llmkit.types.Request` as every other provider and
returns the same :class:`~llmkit.types.Response` and stream events; what is
Anthropic's own (extended thinking and its signatures, prompt-cache markers,
server tools) travels in ``provider_data["anthropic"]``.

The package has the file roles every provider package has:

- ``model.py``: :class:`AnthropicModel` (endpoint, auth, ``generate``/``stream``),
  the only module with I/O;
- ``encode.py``: a :class:`~llmkit.types.Request` to the wire body (pure);
- ``decode.py``: answers and stream events to a :class:`~llmkit.types.Response` and
  llmkit's events (pure);
- ``errors.py``: error bodies and ``error`` events to the error tree (pure);
- ``messages.py``: the conversation to the ``system`` field and content blocks (pure).
"""

from __future__ import annotations

from llmkit.providers.anthropic.model import AnthropicModel

__all__ = ["AnthropicModel"]
