"""Importing an optional dependency, with one clear error when it is missing.

Heavy or rarely used packages (PyYAML, the MCP SDK, feedparser, jsonschema,
the fake server's web stack …) are extras. Modules import them through
:func:`require` at first use, so ``import llmkit`` stays cheap and a missing
extra is a :class:`~llmkit.errors.MissingExtraError` that says what to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from llmkit.errors import MissingExtraError

__all__ = ["require"]


def require(module: str, *, extra: str, feature: str, package: str | None = None) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtraError` naming ``extra``.

    ``feature`` starts the message ("Reading YAML"); ``package`` is the name
    to install when it differs from the module's (``pyyaml`` for ``yaml``).
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(feature, extra, package or module) from exc
