"""What each model of the fake Ollama can do, decided by its name and changeable by tests.

Real Ollama reads a model's capabilities from its files and refuses what a
model cannot do: tools on a model without the ``tools`` capability, ``think``
on one without ``thinking``, chat with an embedding model. The fake decides
by name patterns written from the Ollama library's model pages (``WIRE.md``
collects the rules): ``llama2`` has no tools, ``qwen3`` thinks,
``nomic-embed-text`` only embeds, ``gpt-oss`` takes think levels. It is the
fake's own table, never imported from the client, so a client that guesses a
model wrong is caught (``tests/testing/test_fake_limits.py`` checks that the
two agree on embedding models). A test can set any model's capabilities::

    server.ollama_capabilities.set("llama3.2", "completion")   # no tools now
    server.ollama_capabilities.clear()                        # back to the name patterns
"""

from __future__ import annotations

import weakref
from typing import Final

from llmkit.errors import UsageError

__all__ = [
    "CAPABILITIES",
    "PATTERNS",
    "OllamaCapabilities",
    "base_name",
    "capabilities_for",
    "full_name",
]

CAPABILITIES: Final = frozenset(
    ("completion", "tools", "thinking", "think_levels", "vision", "embedding", "insert")
)
"""The capability names a model can have. ``think_levels`` is not one of Ollama's own
names: it marks the models whose ``think`` takes "low"/"medium"/"high" (gpt-oss)."""

_CHAT = frozenset(("completion", "tools"))
PATTERNS: tuple[tuple[tuple[str, ...], frozenset[str]], ...] = (
    (
        (
            "nomic-embed",
            "mxbai-embed",
            "all-minilm",
            "bge-",
            "snowflake-arctic-embed",
            "embeddinggemma",
            "granite-embedding",
            "qwen3-embedding",
        ),
        frozenset(("embedding",)),
    ),
    (("gpt-oss",), frozenset(("completion", "tools", "thinking", "think_levels"))),
    (("qwen3", "deepseek-r1", "qwq", "magistral"), frozenset(("completion", "tools", "thinking"))),
    (
        ("llama3.2-vision", "qwen2.5vl", "mistral-small3"),
        frozenset(("completion", "tools", "vision")),
    ),
    (("llava", "gemma3", "minicpm-v", "moondream"), frozenset(("completion", "vision"))),
    (("llama2", "gemma", "phi", "tinyllama", "codellama", "orca"), frozenset(("completion",))),
)
"""Base-name prefixes and their capabilities. The first match wins; any other model
has ``completion`` and ``tools``."""


def base_name(model: str) -> str:
    """``"library/llama3.2:3b"`` -> ``"llama3.2"``: the name without namespace and tag."""
    return model.rsplit("/", 1)[-1].split(":", 1)[0].lower()


def full_name(model: str) -> str:
    """The name as Ollama stores it: ``"llama3.2"`` -> ``"llama3.2:latest"``."""
    tail = model.rsplit("/", 1)[-1]
    return model if ":" in tail else f"{model}:latest"


class OllamaCapabilities:
    """One fake server's capability table: name patterns, plus what tests set per model."""

    __slots__ = ("_set",)

    def __init__(self) -> None:
        self._set: dict[str, frozenset[str]] = {}

    def set(self, model: str, *capabilities: str) -> None:
        """Give ``model`` (with or without its tag) exactly ``capabilities``."""
        unknown = sorted(set(capabilities) - CAPABILITIES)
        if unknown:
            raise UsageError(
                f"Unknown Ollama capabilities {unknown}; use some of: "
                f"{', '.join(sorted(CAPABILITIES))}."
            )
        self._set[full_name(model)] = frozenset(capabilities)

    def clear(self) -> None:
        """Forget what tests set; the name patterns decide again."""
        self._set.clear()

    def of(self, model: str) -> frozenset[str]:
        """The capabilities of ``model``."""
        chosen = self._set.get(full_name(model))
        if chosen is not None:
            return chosen
        base = base_name(model)
        for prefixes, capabilities in PATTERNS:
            if base.startswith(prefixes):
                return capabilities
        return _CHAT


_TABLES: weakref.WeakKeyDictionary[object, OllamaCapabilities] = weakref.WeakKeyDictionary()


def capabilities_for(state: object) -> OllamaCapabilities:
    """The capability table of the fake server whose state is ``state`` (made on first use)."""
    table = _TABLES.get(state)
    if table is None:
        table = _TABLES[state] = OllamaCapabilities()
    return table
