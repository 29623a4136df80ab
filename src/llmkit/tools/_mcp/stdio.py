"""An MCP server run as a subprocess, spoken to over its stdin and stdout.

llmkit starts the process itself (rather than through the SDK's
``stdio_client``) so that it knows what happened to it: its pid, its exit
code, and the last lines it wrote to stderr, which a connection error quotes.

What always holds:

- the process runs in a session of its own (its own process group), and
  leaving :func:`open_stdio`, by any path (a failed start, a cancellation, a
  timeout, a normal close), stops that group and reaps the process before the
  block ends: stdin is closed, the server gets ``ProcessInfo.grace`` seconds to
  exit (none if it never finished starting), then SIGTERM, then SIGKILL; every
  wait is bounded;
- the server sees only a few safe variables of this environment plus ``env``;
  the values of ``env`` (often keys) are blanked out of the stderr lines kept
  for messages;
- stderr is passed on to ``errlog`` (default: this process's stderr) as it
  arrives, and its last lines are kept (:attr:`ProcessInfo.stderr_tail`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from llmkit._redact import redact

__all__ = ["SAFE_ENV", "ProcessInfo", "StdioServer", "open_stdio"]

SAFE_ENV = ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG", "LC_ALL", "TMPDIR")
"""Variables of this process's environment that a server started here sees."""

_TAIL_LINES = 20
_LINE_CHARS = 400
_TERM_WAIT = 2.0
"""Seconds between SIGTERM and SIGKILL, and then for the kernel to reap the process."""
_POLL = 0.01
_MIN_WAIT = 0.5


@dataclass(frozen=True, slots=True)
class StdioServer:
    """How to start a server: ``command args`` in ``cwd`` with ``env`` added (never shown)."""

    command: str
    args: tuple[str, ...]
    env: Mapping[str, str] = field(repr=False)
    cwd: str | None
    errlog: TextIO | None = field(repr=False)

    def __str__(self) -> str:
        return " ".join([self.command, *self.args])


class ProcessInfo:
    """What is known about one started server process, for messages and for the tests of hygiene."""

    def __init__(self, secrets: Mapping[str, str]) -> None:
        self.pid: int | None = None
        self.returncode: int | None = None
        """The exit code once the process has been reaped (negative: killed by that signal)."""
        self.grace = 0.0
        """Seconds the server may take to exit once its stdin closes (0 until it has started)."""
        self.stopped_by_us = False
        """Whether llmkit had to signal the process (so its exit code is not the server's doing)."""
        self._tail: deque[str] = deque(maxlen=_TAIL_LINES)
        self._partial = ""
        self._secrets = [value for value in secrets.values() if len(value) >= 4]

    def add_stderr(self, text: str) -> None:
        """Keep the last lines of what the server wrote to stderr."""
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()[-_LINE_CHARS:]
        for line in lines:
            if line.strip():
                self._tail.append(line.rstrip()[:_LINE_CHARS])

    @property
    def stderr_tail(self) -> list[str]:
        """The last lines of the server's stderr, with ``env`` values and known keys blanked out."""
        lines = [*self._tail, *([self._partial] if self._partial.strip() else [])]
        out = []
        for line in lines[-_TAIL_LINES:]:
            for secret in self._secrets:
                line = line.replace(secret, "[redacted]")
            out.append(redact(line))
        return out

    def exit_text(self) -> str | None:
        """``"the server process exited with code 3"`` and its stderr, when it exited on its own."""
        if self.returncode is None or self.stopped_by_us:
            return None
        code = self.returncode
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        text = f"the server process {how}"
        tail = self.stderr_tail
        if tail:
            text += "; the last lines of its stderr:\n  " + "\n  ".join(tail)
        return text


def _environment(extra: Mapping[str, str]) -> dict[str, str]:
    env = {
        k: v for k in SAFE_ENV if (v := os.environ.get(k)) is not None and not v.startswith("()")
    }
    env.update(extra)
    return env


@contextlib.asynccontextmanager
async def open_stdio(server: StdioServer, info: ProcessInfo) -> AsyncIterator[tuple[Any, Any]]:
    """Start ``server`` and give the MCP SDK its two message streams; stop it on the way out."""
    import anyio
    import mcp_types
    from mcp.shared.message import SessionMessage

    process = await anyio.open_process(
        [server.command, *server.args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_environment(server.env),
        cwd=server.cwd,
        start_new_session=True,
    )
    info.pid = process.pid
    read_in, read_out = anyio.create_memory_object_stream[Any](0)
    write_in, write_out = anyio.create_memory_object_stream[Any](0)
    ended = (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError, OSError)

    async def from_stdout() -> None:
        assert process.stdout is not None
        buffer = b""
        async with read_in:
            with contextlib.suppress(*ended):
                async for chunk in process.stdout:
                    *lines, buffer = (buffer + chunk).split(b"\n")
                    for line in lines:
                        if not line.strip():
                            continue
                        try:
                            message = mcp_types.jsonrpc_message_adapter.validate_json(
                                line, by_name=False
                            )
                        except ValueError as exc:  # handed to the session, which reports it
                            await read_in.send(exc)
                        else:
                            await read_in.send(SessionMessage(message))

    async def to_stdin() -> None:
        assert process.stdin is not None
        async with write_out:
            with contextlib.suppress(*ended):
                async for item in write_out:
                    text = item.message.model_dump_json(by_alias=True, exclude_unset=True)
                    await process.stdin.send(text.encode() + b"\n")
        await read_in.aclose()  # the server cannot be reached: the session sees the end

    async def from_stderr() -> None:
        assert process.stderr is not None
        with contextlib.suppress(*ended):
            async for chunk in process.stderr:
                text = chunk.decode(errors="replace")
                info.add_stderr(text)
                errlog = server.errlog if server.errlog is not None else sys.stderr
                with contextlib.suppress(Exception):  # a closed errlog must not stop the server
                    errlog.write(text)
                    errlog.flush()

    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(from_stdout)
            tasks.start_soon(to_stdin)
            tasks.start_soon(from_stderr)
            try:
                yield read_out, write_in
            finally:
                with anyio.CancelScope(shield=True):
                    await write_in.aclose()
                    await read_out.aclose()
                    await _stop(process, info, info.grace)
                tasks.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):
            await _stop(process, info, 0)  # a failure before the block: still stopped and reaped


async def _stop(process: Any, info: ProcessInfo, grace: float) -> None:
    """Close stdin, wait ``grace`` s, then SIGTERM and SIGKILL the process group; reap."""
    if process.returncode is None and process.stdin is not None:
        with contextlib.suppress(Exception):
            await process.stdin.aclose()
    # A server that has just exited on its own may not be reaped yet: a short wait
    # keeps its exit code from being mistaken for our signal's.
    if not await _exited(process, max(grace, _MIN_WAIT)):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            info.stopped_by_us = True
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, sig)
            if await _exited(process, _TERM_WAIT):
                break
    info.returncode = process.returncode
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            with contextlib.suppress(Exception):
                await stream.aclose()


async def _exited(process: Any, seconds: float) -> bool:
    """Whether the process has exited within ``seconds`` (returncode polled: the pipes may stay open)."""
    import anyio

    waited = 0.0
    while process.returncode is None:
        if waited >= seconds:
            return False
        await anyio.sleep(_POLL)
        waited += _POLL
    return True
