"""Hooks a scope adds to every agent run in it (an active recording, a replay).

Kept apart and free of imports, so the agent can check it on every run for
the price of one context-variable lookup.
"""

from __future__ import annotations

from contextvars import ContextVar

__all__ = ["SESSION_HOOKS"]

SESSION_HOOKS: ContextVar[tuple[object, ...]] = ContextVar("llmkit_session_hooks", default=())
"""Hooks added to every agent run started in this context (innermost of the chain)."""
