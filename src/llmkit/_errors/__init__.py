"""The error tree's classes, by topic; :mod:`llmkit.errors` serves them all (import from it).

``base.py`` the root (:class:`LLMKitError`), the caller's mistakes and data that
cannot be read; ``agent.py`` the errors of agent runs and tools; ``workflow.py``
those of workflows; ``provider.py`` those of model calls and ``error_for_status``.
"""
