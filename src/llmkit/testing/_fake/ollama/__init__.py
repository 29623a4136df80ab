"""Ollama's native protocol on the fake server.

``routes`` (``/api/chat``, ``/api/embed``, ``/api/show``, ``/api/tags``,
``/api/version``), ``gojson`` (reading a body as Ollama's Go server does),
``rules`` (what Ollama rejects), ``request`` (a body read as an llmkit
``Request``), ``answers`` (chat answers, NDJSON lines, the other routes'
answers), ``errors`` (:class:`OllamaWireError` and the answers for scripted
errors), ``limits`` (what each model can do, by name, changeable by tests).
"""
