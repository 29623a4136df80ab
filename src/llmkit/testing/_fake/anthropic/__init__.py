"""The Anthropic Messages protocol of the fake server.

``routes`` (``POST /v1/messages``), ``rules``, ``rules_content`` and
``rules_tools`` (what the API rejects), ``request`` (a body read as an llmkit
``Request``), ``answers`` (``message`` objects and stream events), ``errors``
(:class:`AnthropicWireError` and the answers for scripted errors), ``limits``
(the fake's own per-model table), ``cache`` (prompt caching, imitated).
"""
