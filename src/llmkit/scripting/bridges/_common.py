"""Helpers the bridges share: option tables, usage and run results as plain data, text streams,
and the sandbox's rule for the files a bridge reads or writes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmkit.errors import UsageError
from llmkit.scripting._bridge import HostObject, ScriptCallable, method
from llmkit.scripting._errors import ScriptSandboxError

if TYPE_CHECKING:
    from llmkit.run import RunResult
    from llmkit.types import Usage

__all__ = [
    "MODEL_OPTIONS",
    "TextStream",
    "feed",
    "kind_of",
    "options",
    "result_data",
    "script_file",
    "usage_data",
]

MODEL_OPTIONS = ("base_url", "api_key", "timeout", "max_retries", "headers")
"""Options that build the model (as for ``llmkit.model``), accepted wherever a model is named."""


def options(value: Any, where: str, known: tuple[str, ...]) -> dict[str, Any]:
    """``value`` as an options dict whose keys are all in ``known`` (else a UsageError naming them)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise UsageError(f"{where} takes a table of options, not {type(value).__name__}.")
    unknown = sorted(str(k) for k in value if k not in known)
    if unknown:
        raise UsageError(
            f"{where}: unknown option {', '.join(unknown)}; known: {', '.join(known)}."
        )
    return dict(value)


def usage_data(usage: Usage) -> dict[str, Any]:
    """A usage record as a table, with ``total_tokens``."""
    data = usage.to_dict()
    data["total_tokens"] = usage.total_tokens
    return data


def result_data(result: RunResult[Any]) -> dict[str, Any]:
    """A run's result as a table: output, usage, steps, status, run id and the messages' text."""
    output = result.output
    dump = getattr(output, "model_dump", None)
    return {
        "output": dump(mode="json") if callable(dump) else output,
        "usage": usage_data(result.usage),
        "steps": len(result.steps),
        "status": result.status,
        "run_id": result.run_id,
        "agent": result.agent,
        "messages": [{"role": m.role, "text": m.text} for m in result.messages],
    }


class TextStream(HostObject):
    """Text as it streams in: `s:next()` gives the next piece (nil at the end), or loop over it."""

    script_type = "TextStream"

    def __init__(self, pieces: AsyncIterator[str]) -> None:
        self._pieces = pieces

    @method
    async def next(self, host: Any, *_: Any) -> str | None:
        """The next piece of text, or nil once the stream is over (`for piece in s.next, s do`)."""
        return await anext(self._pieces, None)


async def feed(pieces: AsyncIterator[str], callback: ScriptCallable) -> str:
    """Call ``callback(piece)`` for each piece; all the text."""
    text = []
    async for piece in pieces:
        text.append(piece)
        await callback(piece)
    return "".join(text)


def script_file(host: Any, path: Any, where: str, *, strict: str) -> Path:
    """The file ``path`` names for ``where`` (``workflow.load``), if the run's sandbox allows it.

    A relative path is taken from the script's folder. ``standard`` allows only files under
    that folder; ``strict`` none (``strict`` says what to do instead); ``permissive`` any.
    """
    if not isinstance(path, str) or not path:
        raise UsageError(f"{where} takes a file path, not {path!r}.")
    if host.sandbox == "strict":
        raise ScriptSandboxError(
            f"sandbox: {where} reaches no file in the strict sandbox; {strict}"
        )
    base = host.directory
    if base is None and host.sandbox != "permissive":
        raise UsageError(f"{where} needs a script file: its files sit beside it.")
    file = Path(path) if base is None else base / path
    inside = base is None or file.resolve().is_relative_to(base.resolve())
    if host.sandbox == "standard" and not inside:
        raise ScriptSandboxError(
            f"sandbox: {where}({path!r}): only files under the script's folder"
        )
    return file


def kind_of(value: Any) -> str:
    """What ``value`` is, for an error message, without its data (it may hold a secret)."""
    if isinstance(value, Mapping):
        keys = ", ".join(sorted(str(k) for k in value)[:8])
        return f"an object with keys {keys}" if keys else "an empty object"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)}"
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    return "None" if value is None else f"a {type(value).__name__}"
