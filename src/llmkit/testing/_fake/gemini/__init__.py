"""The Gemini ``generateContent`` protocol of the fake server.

``routes`` (the ``/v1beta`` and ``/v1`` routes), ``fields`` (the request
messages as data, read with the protobuf JSON rules), ``rules`` and
``rules_schema`` (what the API rejects), ``request`` (a body read as an llmkit
``Request``), ``answers`` (responses, stream chunks, embeddings), ``errors``
(:class:`GeminiWireError` and the answers for scripted errors), ``limits`` (the
fake's own per-model table), ``signatures`` (thought signatures handed out and checked).
"""
