"""The machinery behind :class:`llmkit.Agent`: the loop, tool calls, handoffs, resume.

Private: import :class:`~llmkit.Agent` and friends from :mod:`llmkit`.
"""
