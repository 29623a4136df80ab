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
``if=/x``, ``@/x``, ``r /x``; see :mod:`llmkit.tools.builtin._pathargs`),
no command runs while the root holds a symbolic link that leads out of it
(:mod:`llmkit.tools.builtin._links`), and the forms by which some common
programs run commands or open files of their own choosing are refused
(``sed w``, ``find -exec``; :mod:`llmkit.tools.builtin._programs`). The
working directory is confined to ``root`` like the file family's paths; the
environment is scrubbed to an allow-list of variables; the run has a time
limit and an output cap.

The program runs in a new session, as the leader of its own process group.
The whole group is killed when the run passes its time limit or output cap,
when the call is cancelled, and also when the program ends normally: what it
left running in the background ends with it, so no call leaves processes
behind. A process that moves itself out of the group (``setsid``, a daemon)
is beyond reach; do not allow-list programs that do that.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from llmkit.errors import UsageError
from llmkit.tools._tool import Tool
from llmkit.tools.builtin._links import LinkScan
from llmkit.tools.builtin._pathargs import Span, check_path_args
from llmkit.tools.builtin._policy import Refused
from llmkit.tools.builtin._programs import check_program_args
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
    max_root_entries: int = 100_000
    links: LinkScan = field(init=False, repr=False, compare=False)
    """The walk that looks for links leading out of the root before each command."""

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "links", LinkScan(self.root.path, max_entries=self.max_root_entries)
        )

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
        max_root_entries: int = 100_000,
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
        if isinstance(max_root_entries, bool) or max_root_entries <= 0:
            raise UsageError(f"max_root_entries={max_root_entries!r}: use a positive number.")
        return cls(
            commands=table,
            root=Root(root),
            timeout=float(timeout),
            max_output_bytes=max_output_bytes,
            env_allow=tuple(env_allow),
            env=dict(env or {}),
            allow_path_args=allow_path_args,
            max_root_entries=max_root_entries,
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
        shaped = [True] * len(args) if model_spans is None else [bool(s) for s in model_spans]
        scripts = check_program_args(command, args, shaped)
        directory = self.root.resolve(cwd)
        if not directory.is_dir():
            raise Refused("root", f"the working directory {cwd!r} is not a directory in the root.")
        if not self.allow_path_args:
            check_path_args(args, model_spans, skip=scripts)
            self.links.check()
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
        """Run ``command args`` in ``cwd`` (inside the root) and return its exit code and output.

        The program's process group is killed before this returns, however it
        returns (see the module's notes).
        """
        args = list(args)
        # In a thread: the walk of the root for links reads the file system.
        executable, directory = await asyncio.to_thread(
            self._prepare, command, args, cwd, model_spans
        )
        posix = sys.platform != "win32"
        starting = asyncio.ensure_future(
            asyncio.get_running_loop().subprocess_exec(
                lambda: _Program(self.max_output_bytes, group=posix),
                executable,
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=directory,
                env=self.environment(),
                start_new_session=posix,
            )
        )
        try:
            transport, program = await asyncio.shield(starting)
        except asyncio.CancelledError:
            # Cancelled while starting: the program may run already, and asyncio's own
            # clean-up would kill the leader alone. Let it start, then end the group.
            with contextlib.suppress(Exception):  # it failed to start: nothing to end
                _, started = await starting
                await started.end()
            raise
        try:
            async with asyncio.timeout(self.timeout):  # shielded: the protocol keeps its futures
                await asyncio.shield(program.exited)
                program.stop()  # what it left running would hold the pipes open, or outlive it
                await asyncio.shield(program.drained)
        except TimeoutError:
            raise Refused(
                "timeout", f"{command} ran longer than {self.timeout:g} s and was stopped."
            ) from None
        finally:
            await program.end()
        if program.overflow:
            raise Refused(
                "max_output_bytes",
                f"{command} printed more than {self.max_output_bytes:,} bytes and was stopped. "
                "Narrow the command (fewer files, a filter, a limit).",
            )
        return {
            "exit_code": transport.get_returncode(),
            "stdout": program.text(1),
            "stderr": program.text(2),
        }


class _Program(asyncio.SubprocessProtocol):
    """A running program: its output (stdout and stderr against one byte budget), its end, its kill.

    ``exited`` is done when the program itself ends, even while something it
    started still holds its pipes; ``drained`` when both pipes are closed.
    Past the budget the program is stopped and the rest of its output dropped.
    """

    def __init__(self, budget: int, *, group: bool) -> None:
        loop = asyncio.get_running_loop()
        self.budget = budget
        self.group = group
        self.overflow = False
        self.stopped = False
        self.transport: asyncio.SubprocessTransport | None = None
        self.chunks: dict[int, list[bytes]] = {1: [], 2: []}
        self.pipes = {1, 2}
        self.exited: asyncio.Future[None] = loop.create_future()
        self.drained: asyncio.Future[None] = loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if isinstance(transport, asyncio.SubprocessTransport):
            self.transport = transport

    def pipe_data_received(self, fd: int, data: bytes | str) -> None:
        if self.overflow or fd not in self.chunks:
            return
        self.budget -= len(data)
        if self.budget < 0:
            self.overflow = True
            self.stop()
            return
        self.chunks[fd].append(data if isinstance(data, bytes) else data.encode())

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        self.pipes.discard(fd)
        if not self.pipes and not self.drained.done():
            self.drained.set_result(None)

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)

    def text(self, fd: int) -> str:
        return b"".join(self.chunks[fd]).decode("utf-8", errors="replace")

    async def end(self) -> None:
        """Stop the group, wait for the program's end (at once after SIGKILL), close the pipes.

        Closing also closes pipes that a process outside the group still holds.
        """
        self.stop()
        try:
            await asyncio.shield(self.exited)
        finally:
            if self.transport is not None:
                self.transport.close()

    def stop(self) -> None:
        """Kill the whole process group (without groups, the program alone), once.

        One SIGKILL to the group reaches every member, a child being forked included.
        """
        if self.stopped or self.transport is None:
            return
        self.stopped = True
        try:
            if self.group:
                # The group keeps the leader's pid as its id while any member lives, and
                # that pid is not reused before the group is gone, so this reaches only the
                # program and what it started, even after the leader has exited.
                os.killpg(self.transport.get_pid(), signal.SIGKILL)
            elif self.transport.get_returncode() is None:
                self.transport.kill()
        except (ProcessLookupError, PermissionError):
            pass  # the group is gone already


def process(
    *,
    commands: Iterable[str] | Mapping[str, Iterable[str] | None],
    root: str | os.PathLike[str],
    timeout: float = 30.0,
    max_output_bytes: int = 200_000,
    env_allow: Iterable[str] = DEFAULT_ENV,
    env: Mapping[str, str] | None = None,
    allow_path_args: bool = False,
    max_root_entries: int = 100_000,
) -> list[Tool[..., Any]]:
    """The ``run_command`` tool: programs from ``commands``, run inside ``root``.

    - ``commands``: program names, or a mapping from a program to the subcommands
      it may run (``{"git": ["status", "log"]}``; None allows any);
    - ``timeout``: seconds before the command's process group is killed;
    - ``max_output_bytes``: stdout and stderr together; past it the command is killed;
    - ``env_allow``: variables passed through from this process (default
      :data:`DEFAULT_ENV`); ``env`` adds fixed values;
    - ``allow_path_args``: let arguments name any path (absolute, with ``..``)
      and run while the root holds symbolic links that lead out of it;
    - ``max_root_entries``: the most files and directories the root may hold,
      since it is walked for such links before each command (the walk is cached).

    Programs that run other programs or follow instructions from files
    (shells, interpreters, ``xargs``, ``env``, ``git``, ``make``) give the
    model a shell: allow-list them only for a model you trust.
    """
    policy = CommandPolicy.build(
        commands=commands,
        root=root,
        timeout=timeout,
        max_output_bytes=max_output_bytes,
        env_allow=env_allow,
        env=env,
        allow_path_args=allow_path_args,
        max_root_entries=max_root_entries,
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
