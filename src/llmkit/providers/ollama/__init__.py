"""Ollama's native API: ``llmkit.model("ollama/llama3.2")``.

Talks to ``/api/chat`` (JSON, or NDJSON when streaming), ``/api/embed`` and
``/api/tags`` of the Ollama at ``OLLAMA_HOST`` (default
``http://127.0.0.1:11434``). A local Ollama needs no key; a hosted one
(ollama.com) takes ``OLLAMA_API_KEY`` as a Bearer token.

The package has the file roles every provider package has:

- ``model.py``: :class:`OllamaModel` (endpoint, auth, ``generate``/``stream``/``embed``,
  ``list_models``) and :func:`ollama_capabilities`; the only module with I/O;
- ``encode.py``: a :class:`~llmkit.types.Request` to the wire body (pure);
- ``decode.py``: answers and NDJSON lines to a :class:`~llmkit.types.Response` and
  events (pure);
- ``errors.py``: error bodies and error lines to the error tree (pure);
- ``host.py``: ``OLLAMA_HOST`` parsing and the default address (pure).
"""

from __future__ import annotations

from llmkit.providers.ollama.host import DEFAULT_HOST, HOST_ENV, parse_host
from llmkit.providers.ollama.model import OllamaModel, ollama_capabilities

__all__ = ["DEFAULT_HOST", "HOST_ENV", "OllamaModel", "ollama_capabilities", "parse_host"]
