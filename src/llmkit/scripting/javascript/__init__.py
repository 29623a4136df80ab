"""JavaScript scripting on V8 (``llmkit[js]``, mini-racer): :class:`Engine` is :class:`JsEngine`.

Importing this package imports no mini-racer; making an engine does (a
:class:`~llmkit.errors.MissingExtraError` names the extra when it is missing).
"""

from __future__ import annotations

from llmkit.scripting.javascript._engine import JsEngine, JsFunction

Engine = JsEngine
"""The JavaScript engine (``llmkit.scripting.javascript.Engine(sandbox="strict", timeout=30)``)."""

__all__ = ["Engine", "JsEngine", "JsFunction"]
