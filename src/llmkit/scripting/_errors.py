"""The errors a script can end with, all under :class:`~llmkit.errors.LLMKitError`.

::

    ScriptError                 the script failed: a Lua error it raised or did not catch;
    │                           script name, line, message and the engine's traceback
    ├── ScriptSyntaxError       the code does not parse: file, line, message
    ├── ScriptLimitError        a limit stopped it: kind is "memory", "instructions",
    │   │                       "recursion", "output" or "timeout"
    │   └── ScriptTimeoutError  kind "timeout" (also a TimeoutError: exit status 4)
    └── ScriptSandboxError      the script reached for something its sandbox level withholds
                                (exit status 5)

A limit or sandbox error cannot be caught by the script (``pcall`` sees it, but
the run stops at the next instruction all the same), so a script that swallows
errors still stops. The error a host function raised inside the script is kept
as ``__cause__`` when it ends the script.
"""

from __future__ import annotations

from llmkit.errors import LLMKitError

__all__ = [
    "ScriptError",
    "ScriptLimitError",
    "ScriptSandboxError",
    "ScriptSyntaxError",
    "ScriptTimeoutError",
]


class ScriptError(LLMKitError):
    """A script failed; ``script``, ``line`` (or None), ``message`` and ``traceback`` say where and why."""

    def __init__(
        self,
        message: str,
        *,
        script: str = "<script>",
        line: int | None = None,
        traceback: str = "",
    ) -> None:
        self.script = script
        self.line = line
        self.message = message
        self.traceback = traceback
        where = script if line is None else f"{script}:{line}"
        super().__init__(f"{where}: {message}")


class ScriptSyntaxError(ScriptError):
    """The script does not parse; ``script`` and ``line`` point at the problem."""


class ScriptLimitError(ScriptError):
    """A limit stopped the script; ``kind`` names it (memory, instructions, recursion, output, timeout)."""

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        script: str = "<script>",
        line: int | None = None,
        traceback: str = "",
    ) -> None:
        self.kind = kind
        super().__init__(message, script=script, line=line, traceback=traceback)


class ScriptTimeoutError(ScriptLimitError, TimeoutError):
    """The script ran past its ``timeout`` (kind ``"timeout"``)."""


class ScriptSandboxError(ScriptError):
    """The script reached for a library its sandbox level withholds (``os.execute``, ``io.open`` …)."""
