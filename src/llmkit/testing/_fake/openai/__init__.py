"""The OpenAI Chat Completions protocol of the fake server, and its llama.cpp flavour.

``routes`` (the routes), ``rules`` and ``rules_tools`` (what the API rejects),
``request`` (a body read as an llmkit ``Request``), ``answers`` (completions,
stream chunks, embeddings), ``errors`` (:class:`OpenAIWireError` and the answers
for scripted errors), ``llamacpp`` (what llama.cpp's server takes and refuses).
"""
