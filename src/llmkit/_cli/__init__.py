"""The pieces of the ``llmkit`` command (``llmkit.cli`` is its entry point).

- ``codes``: the exit-status table every subcommand shares, and errors -> statuses;
- ``session``: what the conversation commands share (options, agent, streamed answer);
- ``prompt``, ``chat``: the ``llmkit prompt`` and ``llmkit chat`` subcommands;
- ``memory``: ``llmkit memory add|search|stats``, a vector store on the command line.
"""
