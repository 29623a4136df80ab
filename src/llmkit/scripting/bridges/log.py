"""The ``log`` module: log lines that go to the run's result and the ``llmkit.scripting`` logger."""

from __future__ import annotations

from typing import Any

from llmkit.scripting._bridge import Bridge
from llmkit.scripting._host import Host

__all__ = ["bridge"]

bridge = Bridge(
    "log", "Log lines: kept in the run's result (`logs`) and sent to the logger `llmkit.scripting`."
)


def _text(parts: tuple[Any, ...]) -> str:
    return " ".join(p if isinstance(p, str) else repr(p) for p in parts)


@bridge.function
def debug(host: Host, *message: Any) -> None:
    """Log at debug level (the parts joined by spaces)."""
    host.log("debug", _text(message))


@bridge.function
def info(host: Host, *message: Any) -> None:
    """Log at info level (the parts joined by spaces)."""
    host.log("info", _text(message))


@bridge.function
def warn(host: Host, *message: Any) -> None:
    """Log at warning level (the parts joined by spaces)."""
    host.log("warning", _text(message))


@bridge.function
def error(host: Host, *message: Any) -> None:
    """Log at error level (the parts joined by spaces); the script goes on."""
    host.log("error", _text(message))
