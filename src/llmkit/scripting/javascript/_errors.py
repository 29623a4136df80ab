"""How V8's errors and stacks become llmkit's script errors, with the script's own lines.

A script runs as the body of a wrapper function, so V8 counts its lines one more than
the script does; every line here is the script's. Pure functions of text: the engine
reads the isolate, these build the errors.

Guarantees: a line is found only in a frame of the script itself (never of the prelude
or a module); a traceback names every frame of the script at the script's line and
under its path, and no frame of the prelude; and an error rebuilt at a line keeps its type, kind, message and cause.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from llmkit.scripting._errors import (
    ScriptError,
    ScriptLimitError,
    ScriptSandboxError,
    ScriptTimeoutError,
)

__all__ = [
    "TIMEOUT",
    "at_line",
    "line_of",
    "memory_error",
    "script_error",
    "script_stack",
    "source_url",
    "split_syntax",
    "timeout_error",
    "violation_error",
]

TIMEOUT = "time limit: the script ran past its timeout"
_PRELUDE = "llmkit-prelude.js"  # the sourceURL the runtime is compiled under (see _isolate.py)


def source_url(script: str) -> str:
    """The ``sourceURL`` a script is compiled under: V8 cuts a URL at whitespace, so it has none."""
    return re.sub(r"\s", lambda m: f"%{ord(m.group()):02X}", script)


def _names(script: str) -> str:
    return "(?:" + re.escape(source_url(script)) + "|" + re.escape(script) + ")"


def line_of(stack: str, script: str) -> int | None:
    """The script line of the first frame of ``script`` in the V8 ``stack``."""
    match = re.search(r"(?:^|[\s(])" + _names(script) + r":(\d+):\d+", stack or "")
    return None if match is None else max(int(match.group(1)) - 1, 1)


def script_stack(stack: str, script: str) -> str:
    """``stack`` as the script reads it: its frames at the script's lines, no prelude frame."""
    frame = re.compile(r"(^|[\s(])" + _names(script) + r":(\d+):(\d+)")

    def mapped(match: re.Match[str]) -> str:
        line = max(int(match.group(2)) - 1, 1)
        return f"{match.group(1)}{script}:{line}:{match.group(3)}"

    kept, driver = [], False
    for text in (stack or "").split("\n"):
        at = text.lstrip().startswith("at ")
        if at and (_PRELUDE in text or (driver and "<anonymous>" in text)):
            driver = True  # the driver's call into the prelude follows it
            continue
        kept.append(frame.sub(mapped, text))
    return "\n".join(kept)


def split_syntax(text: str, script: str) -> tuple[str, int | None]:
    """A V8 syntax error's message and script line (None when it names none)."""
    first = text.split("\n", 1)[0]
    match = re.match("(?:" + _names(script) + r"|<anonymous>):(\d+): (.*)", first)
    if match:
        return match.group(2), max(int(match.group(1)) - 1, 1)
    return first, None


def timeout_error(
    found: dict[str, Any] | None, script: str, modules: Sequence[str] = ()
) -> ScriptTimeoutError:
    """The error of a run its time limit stopped, at the line the prelude's ``where`` ``found``.

    A loop of a module (``modules[n - 1]`` for module ``n``) is no line of the script: the
    message and the stack name the module's file and line instead.
    """
    line, stack, message = None, "", TIMEOUT
    frames = [] if found is None else str(found["stack"]).split("\n")[1:]  # past a bare Error
    if frames:
        stack = "\n".join([TIMEOUT, *frames])
        line, stack = line_of(stack, script), script_stack(stack, script)
    elif found is not None:
        line, module = int(found["line"]) or None, int(found.get("module") or 0)
        if line is not None and 0 < module <= len(modules):
            where = f"{modules[module - 1]}:{line}"
            line, message, stack = (
                None,
                f"{TIMEOUT} (in a loop at {where})",
                f"{TIMEOUT}\n    at {where}",
            )
    return ScriptTimeoutError(message, kind="timeout", script=script, line=line, traceback=stack)


def at_line(exc: ScriptError, frames: str) -> ScriptError:
    """``exc`` (a limit or a violation a host call met) at the script line ``frames`` show."""
    line = line_of(frames, exc.script)
    if exc.line is not None or line is None:
        return exc
    stack = script_stack(f"{exc.message}\n{frames}", script=exc.script)
    found: ScriptError
    if isinstance(exc, ScriptLimitError):
        found = type(exc)(exc.message, kind=exc.kind, script=exc.script, line=line, traceback=stack)
    else:
        found = type(exc)(exc.message, script=exc.script, line=line, traceback=stack)
    found.__cause__ = exc.__cause__
    return found


def violation_error(message: str, stack: str, script: str, *, kind: str = "sandbox") -> ScriptError:
    """What the prelude recorded (``kind``: a sandbox violation, or a too deep recursion), at its line."""
    if kind == "recursion":
        return script_error({"name": "RangeError", "message": message, "stack": stack}, script, {})
    return ScriptSandboxError(
        message, script=script, line=line_of(stack, script), traceback=script_stack(stack, script)
    )


def memory_error(max_memory: int | None, script: str) -> ScriptLimitError:
    """The memory limit's error (V8 leaves no line to name)."""
    return ScriptLimitError(
        f"memory limit: the script needed more than {max_memory} bytes "
        "(raise max_memory / --max-memory)",
        kind="memory",
        script=script,
    )


def script_error(
    info: dict[str, Any], script: str, host_errors: dict[str, BaseException]
) -> ScriptError:
    """The error a script ended with (``info``: name, message, stack), its host cause kept."""
    name, message, stack = info.get("name", ""), info.get("message", ""), info.get("stack", "")
    line = line_of(stack, script)
    stack = script_stack(stack, script)
    if name == "RangeError" and "call stack" in message:
        return ScriptLimitError(
            f"recursion limit: {message}",
            kind="recursion",
            script=script,
            line=line,
            traceback=stack,
        )
    text = message if name in ("", "Error") else f"{name}: {message}"
    if name == "TypeError" and message.endswith(" is not a function") and "." in message:
        # The usual cause: a module call's promise used as the object it gives.
        text += " (if it is the result of an llmkit call, did you forget `await`?)"
    exc = ScriptError(text, script=script, line=line, traceback=stack)
    for host_message, cause in host_errors.items():
        if host_message in message:
            exc.__cause__ = cause
            break
    return exc
