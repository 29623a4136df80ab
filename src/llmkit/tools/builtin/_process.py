"""The process family: run a command from an allow-list, without a shell.

::

    from llmkit.tools.builtin import process

    tools = process(commands=["ls", "wc"], root="./work")
    tools = process(commands={"git": ["status", "log", "diff"]}, root="./repo", timeout=10)

The model names a program and gives its arguments as a list; there is no
shell, so ``;``, ``|``, ``&&`` or ``$(...)`` are plain characters. The program
must be on the allow-list (and, when the list names them, so must its first
argument, the subcommand). By default no argument may name a path outside
the root, in any spelling (``/x``, ``../x``, ``~``, ``-o/x``, ``--out=/x``,
``if=/x``, ``@/x``) nor through a symbolic link that points out of the root
(see :mod:`llmkit.tools.builtin._pathargs`). The
working directory is confined to ``root`` like the file family's paths; the
environment is scrubbed to an allow-list of variables; the run has a time
limit and an output cap, and its whole process group is killed when it
passes either, or when the call is cancelled.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from llmkit.errors import UsageError
from llmkit.tools._tool import Tool
from llmkit.tools.builtin._pathargs import Span, check_path_args
from llmkit.tools.builtin._policy import Refused
from llmkit.tools.builtin._root import Root

__all__ = ["DEFAULT_ENV", "CommandPolicy", "process"]

DEFAULT_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")
"""The environment variables a command sees by default (their values from this process)."""


@dataclass(frozen=True, slots=True)
class CommandPolicy:
    """Which commands may run, where, for how long, with what environment and output size.

    Built by :func:`process`; the command wrapper of :func:`~llmkit.tools.builtin.from_command`
    uses the same rules.
    """

    commands: Mapping[str, frozenset[str] | None]
    """Program name -> the subcommands (first arguments) allowed, or None for any."""
    root: Root
    timeout: float = 30.0
    max_output_bytes: int = 200_000
    env_allow: tuple[str, ...] = DEFAULT_ENV
    env: Mapping[str, str] = field(default_factory=dict)
    allow_path_args: bool = False

    @classmethod
    def build(
        cls,
        *,
        commands: Iterable[str] | Mapping[str, Iterable[str] | None],
        root: str | os.PathLike[str],
        timeout: float = 30.0,
        max_output_bytes: int = 200_000,
        env_allow: Iterable[str] = DEFAULT_ENV,
        env: Mapping[str, str] | None = None,
        allow_path_args: bool = False,
    ) -> CommandPolicy:
        """A policy from user-facing options, checked (bad options raise UsageError)."""
        if isinstance(commands, str):
            raise UsageError("commands= takes a list of program names, not one string.")
        table: dict[str, frozenset[str] | None] = {}
        items = commands.items() if isinstance(commands, Mapping) else ((c, None) for c in commands)
        for name, subcommands in items:
            if not isinstance(name, str) or not name or any(ch.isspace() for ch in name):
                raise UsageError(
                    f"commands=: {name!r} is not a program name (one word, no spaces; "
                    "arguments are given by the model at each call)."
                )
            table[name] = None if subcommands is None else frozenset(subcommands)
        if not table:
            raise UsageError("commands= is empty: list the programs the model may run.")
        if not timeout > 0:
            raise UsageError(f"timeout={timeout!r}: use a positive number of seconds.")
        if isinstance(max_output_bytes, bool) or max_output_bytes <= 0:
            raise UsageError(f"max_output_bytes={max_output_bytes!r}: use a positive number.")
        return cls(
            commands=table,
            root=Root(root),
            timeout=float(timeout),
            max_output_bytes=max_output_bytes,
            env_allow=tuple(env_allow),
            env=dict(env or {}),
            allow_path_args=allow_path_args,
        )

    def check(
        self,
        command: str,
        args: Sequence[str],
        *,
        cwd: str = ".",
        model_spans: Sequence[Sequence[Span]] | None = None,
    ) -> str:
        """The executable to run for ``command args`` in ``cwd``, or :class:`Refused` naming the rule.

        ``model_spans`` gives, per argument, the spans of text that came from
        the model (all of every argument when None); only what that text
        shapes is held to the path rule (a command template's own text is not).
        """
        return self._prepare(command, args, cwd, model_spans)[0]

    def _prepare(
        self,
        command: str,
        args: Sequence[str],
        cwd: str,
        model_spans: Sequence[Sequence[Span]] | None,
    ) -> tuple[str, Path]:
        allowed = ", ".join(sorted(self.commands))
        if command not in self.commands:
            raise Refused(
                "allow_commands",
                f"{command!r} is not an allowed command (allowed: {allowed}). Give the program "
                "name alone and its arguments as a list; there is no shell, so ';', '|' and '&&' "
                "do not chain commands.",
            )
        subcommands = self.commands[command]
        if subcommands is not None and (not args or args[0] not in subcommands):
            given = repr(args[0]) if args else "nothing"
            raise Refused(
                "allow_commands",
                f"{command} may only run with the subcommands {', '.join(sorted(subcommands))}; "
                f"got {given}.",
            )
        for arg in args:
            if not isinstance(arg, str) or "\x00" in arg:
                raise Refused("args", f"every argument must be text without NUL bytes: {arg!r}.")
        directory = self.root.resolve(cwd)
        if not directory.is_dir():
            raise Refused("root", f"the working directory {cwd!r} is not a directory in the root.")
        if not self.allow_path_args:
            check_path_args(args, self.root, directory, model_spans)
        executable = shutil.which(command, path=self.environment().get("PATH", os.defpath))
        if executable is None:
            raise Refused("allow_commands", f"{command!r} is allowed but not installed here.")
        return executable, directory

    def environment(self) -> dict[str, str]:
        """The scrubbed environment: allowed variables from this process, then ``env``."""
        env = {name: os.environ[name] for name in self.env_allow if name in os.environ}
        env.update(self.env)
        return env

    async def run(
        self,
        command: str,
        args: Sequence[str],
        cwd: str = ".",
        *,
        model_spans: Sequence[Sequence[Span]] | None = None,
    ) -> dict[str, Any]:
        """Run ``command args`` in ``cwd`` (inside the root) and return its exit code and output."""
        args = list(args)
        executable, directory = self._prepare(command, args, cwd, model_spans)
        posix = sys.platform != "win32"
        proc = await asyncio.create_subprocess_exec(
            executable,
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=directory,
            env=self.environment(),
            start_new_session=posix,
        )
        capture = _Capture(self.max_output_bytes, lambda: _kill(proc, posix))
        try:
            async with asyncio.timeout(self.timeout):
                out, err = await asyncio.gather(
                    capture.read(proc.stdout), capture.read(proc.stderr)
                )
                code = await proc.wait()
        except TimeoutError:
            raise Refused(
                "timeout", f"{command} ran longer than {self.timeout:g} s and was stopped."
            ) from None
        finally:
            if proc.returncode is None:
                _kill(proc, posix)
                await proc.wait()
        if capture.overflow:
            raise Refused(
                "max_output_bytes",
                f"{command} printed more than {self.max_output_bytes:,} bytes and was stopped. "
                "Narrow the command (fewer files, a filter, a limit).",
            )
        return {
            "exit_code": code,
            "stdout": out.decode("utf-8", errors="replace"),
            "stderr": err.decode("utf-8", errors="replace"),
        }


class _Capture:
    """Reads stdout and stderr against one shared byte budget; past it, stops the process."""

    __slots__ = ("budget", "overflow", "stop")

    def __init__(self, budget: int, stop: Callable[[], None]) -> None:
        self.budget = budget
        self.overflow = False
        self.stop = stop

    async def read(self, stream: asyncio.StreamReader | None) -> bytes:
        if stream is None:
            return b""
        chunks: list[bytes] = []
        while chunk := await stream.read(65536):
            if self.overflow:
                continue  # drain until the killed process closes its pipes
            self.budget -= len(chunk)
            if self.budget < 0:
                self.overflow = True
                self.stop()
                continue
            chunks.append(chunk)
        return b"".join(chunks)


def _kill(proc: asyncio.subprocess.Process, posix: bool) -> None:
    try:
        if posix:
            os.killpg(proc.pid, signal.SIGKILL)  # the whole group: children too
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass


def process(
    *,
    commands: Iterable[str] | Mapping[str, Iterable[str] | None],
    root: str | os.PathLike[str],
    timeout: float = 30.0,
    max_output_bytes: int = 200_000,
    env_allow: Iterable[str] = DEFAULT_ENV,
    env: Mapping[str, str] | None = None,
    allow_path_args: bool = False,
) -> list[Tool[..., Any]]:
    """The ``run_command`` tool: programs from ``commands``, run inside ``root``.

    - ``commands``: program names, or a mapping from a program to the subcommands
      it may run (``{"git": ["status", "log"]}``; None allows any);
    - ``timeout``: seconds before the command's process group is killed;
    - ``max_output_bytes``: stdout and stderr together; past it the command is killed;
    - ``env_allow``: variables passed through from this process (default
      :data:`DEFAULT_ENV`); ``env`` adds fixed values;
    - ``allow_path_args``: let arguments name any path (absolute, with ``..``,
      through symbolic links that leave the root).
    """
    policy = CommandPolicy.build(
        commands=commands,
        root=root,
        timeout=timeout,
        max_output_bytes=max_output_bytes,
        env_allow=env_allow,
        env=env,
        allow_path_args=allow_path_args,
    )
    allowed = ", ".join(sorted(policy.commands))

    async def run_command(
        command: _Command,
        args: _Args = [],  # noqa: B006  (never mutated; the schema shows the default)
        cwd: _Cwd = ".",
    ) -> dict[str, Any]:
        return await policy.run(command, args, cwd)

    description = (
        f"Run a program (no shell) and return its exit code, stdout and stderr. "
        f"Programs: {allowed}. Arguments are a list, one item per argument."
    )
    return [Tool(run_command, description=description, category="process")]


_Command = Annotated[str, Field(description="The program to run (its name alone).")]
_Args = Annotated[list[str], Field(description="Its arguments, one list item per argument.")]
_Cwd = Annotated[str, Field(description="Working directory, relative to the root directory.")]
