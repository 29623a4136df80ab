"""Model capabilities and wire details as data, one module per wire protocol.

Each provider imports only its own table (:mod:`.openai`, :mod:`.gemini`,
:mod:`.anthropic`), so a program that talks to one provider never builds the
others' tables.
"""
