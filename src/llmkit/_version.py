"""The version of llmkit."""

__version__ = "0.1.0"
