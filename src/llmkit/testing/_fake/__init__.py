"""The fake provider server's insides: one package per wire protocol, shared pieces beside them.

Private: use :class:`llmkit.testing.FakeProviderServer`. The map:

- ``state``: the server's options, script and recorded requests;
- ``route``: the one preamble of every route (read, parse, record) and the 500 answer
  for a problem in the test's own setup;
- ``exchange``: answering one validated request from a script turn (faults included);
- ``asgi``: responses that stream, break off or drop the connection;
- ``deps``: the check that the ``testing`` extra is installed;
- ``<protocol>/`` (``openai``, ``anthropic``, ``gemini``, ``ollama``): ``routes``
  (its routes), ``rules`` (what the API rejects), ``request`` (a wire body read as
  an llmkit ``Request``), ``answers`` (a turn written as wire answers), ``errors``
  (its one error type, and the answers for scripted errors and faults) and, where
  the API checks per-model facts, ``limits``: the fake's own table, written from
  the providers' documentation and never taken from the client's profiles, so a
  wrong client profile is caught.

No module here is imported by ``import llmkit.testing``: the server loads them.
"""

from __future__ import annotations

__all__ = ["PROTOCOLS"]

PROTOCOLS: tuple[str, ...] = (
    "llmkit.testing._fake.gemini.routes",
    "llmkit.testing._fake.openai.routes",
    "llmkit.testing._fake.anthropic.routes",
    "llmkit.testing._fake.ollama.routes",
    "llmkit.testing._fake.openai.llamacpp",
)
"""The modules of the protocols the server speaks, each with a ``routes(state)`` function.

Gemini comes before OpenAI: it claims the shared ``/v1/models`` paths only for keyed requests.
"""
