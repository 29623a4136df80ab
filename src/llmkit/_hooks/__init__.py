"""The hook chain and the built-in hooks (public names are in :mod:`llmkit.hooks`)."""
