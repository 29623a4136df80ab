"""Hooks: the base classes, the chain that runs them, and the built-in hooks.

Private: the public names are re-exported by :mod:`llmkit.hooks`.
"""
