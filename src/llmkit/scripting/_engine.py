"""The engine protocol every scripting language implements (Lua now, JavaScript next).

An :class:`Engine` loads and runs code, calls a script's functions from
Python, exposes Python values and the bridge modules to scripts, enforces
:class:`~llmkit.scripting.Limits` and a sandbox level, and closes. The
engine-neutral part lives here (options, files, the run's
:class:`~llmkit.scripting.Host`, the result); a language adds
``_execute``, ``_call`` and ``_close``.

Guarantees: an engine runs one script at a time (runs queue on a lock; use
:class:`~llmkit.scripting.EnginePool` for many at once); whatever a run
spawned is cancelled when it ends; a run that broke a limit leaves the
engine usable (or, with the pool, replaced); ``close`` clears the engine's
state and is idempotent.
"""

from __future__ import annotations

import asyncio
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

from llmkit._sync import run_sync
from llmkit.errors import UsageError
from llmkit.scripting._errors import ScriptSandboxError
from llmkit.scripting._host import Host, LogRecord, ScriptState
from llmkit.scripting._limits import SANDBOXES, Limits, Sandbox, parse_duration, parse_size

if TYPE_CHECKING:
    from llmkit.bus import Bus
    from llmkit.providers import Model

__all__ = ["Engine", "ScriptResult"]

_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


@dataclass(slots=True)
class ScriptResult:
    """What a script run gave: its return ``value``, ``outputs``, printed text and log lines."""

    value: Any = None
    """What the main chunk returned (a plain value)."""
    outputs: list[Any] = field(default_factory=list)
    """Each value passed to ``output(...)``, in order."""
    printed: str = ""
    """Everything ``print`` wrote."""
    logs: list[LogRecord] = field(default_factory=list)

    @property
    def output(self) -> Any:
        """The last ``output(...)`` value, else the returned value."""
        return self.outputs[-1] if self.outputs else self.value

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``llmkit script run --json``)."""
        return {
            "value": self.value,
            "outputs": self.outputs,
            "printed": self.printed,
            "logs": [{"level": r.level, "message": r.message} for r in self.logs],
        }


class Engine(ABC):
    """A scripting engine: one interpreter with its sandbox, limits, bridges and state.

    Options (keyword-only):
        sandbox: ``"strict"`` (default), ``"standard"`` or ``"permissive"``.
        timeout: Seconds per run (or ``"30s"``), host calls included.
        max_memory: Heap bytes (or ``"64MB"``); None: no limit.
        max_instructions: VM instructions per run, over every coroutine.
        max_depth: Nested calls per coroutine (default 200).
        max_output: Bytes of ``print``, ``log`` and ``output`` per run (default 10 MB).
        bridges: The bridge modules to expose (default: every registered one).
        globals: Extra names for scripts: plain values and Python functions.
        model: A model every model name in the scripts resolves to (tests, ``--fake``).
        modules: The module names ``require`` may load in the standard sandbox
            (default: any ``.lua`` file beside the script).
        clock: Seconds as a float, for the timeout (default ``time.monotonic``).
        stdout: Called with each printed text as it is printed.
        bus: The event bus of the engine's agents and ``events`` (default: a new one).
        interactive: Each run sees the globals the runs before it left (a REPL, spec
            helpers loaded before a spec file); by default every run starts afresh.
    """

    name: ClassVar[str] = ""
    """The engine's name in the registry (``"lua"``)."""
    extensions: ClassVar[tuple[str, ...]] = ()
    """File extensions it runs (``(".lua",)``)."""
    spec_suffix: ClassVar[str] = ""
    """How spec files of this language end (``"_spec.lua"``)."""

    def __init__(
        self,
        *,
        sandbox: Sandbox = "strict",
        timeout: float | str | None = None,
        max_memory: int | str | None = None,
        max_instructions: int | None = None,
        max_depth: int | None = 200,
        max_output: int | str | None = 10 * 1024 * 1024,
        bridges: Iterable[str] | None = None,
        globals: Mapping[str, Any] | None = None,
        model: Model | None = None,
        modules: Iterable[str] | None = None,
        clock: Callable[[], float] | None = None,
        stdout: Callable[[str], Any] | None = None,
        bus: Bus | None = None,
        interactive: bool = False,
    ) -> None:
        if sandbox not in SANDBOXES:
            raise UsageError(f"sandbox={sandbox!r}: use one of {', '.join(SANDBOXES)}.")
        self.sandbox: Sandbox = sandbox
        self.limits = Limits(
            timeout=parse_duration(timeout),
            max_memory=parse_size(max_memory),
            max_instructions=max_instructions,
            max_depth=max_depth,
            max_output=parse_size(max_output),
        )
        from llmkit.scripting.bridges import bridge_names

        self.bridge_names = tuple(bridges) if bridges is not None else bridge_names()
        self.globals = dict(globals or {})
        self.model_override = model
        self.modules = None if modules is None else frozenset(modules)
        self.clock = clock or time.monotonic
        self.stdout = stdout
        self.state = ScriptState()
        """The engine's JSON-only key-value table (the ``state`` module); cleared by :meth:`close`."""
        if bus is None:
            from llmkit.bus import Bus

            bus = Bus()
        self.bus = bus
        self.interactive = interactive
        self.closed = False
        self._lock: asyncio.Lock | None = None
        self.broken = False
        """True after a limit cost the engine its interpreter (the run raised a ScriptLimitError)."""

    # ----------------------------------------------------------------- running

    async def run(
        self,
        code: str,
        *,
        name: str = "<script>",
        params: Mapping[str, Any] | None = None,
        path: str | Path | None = None,
    ) -> ScriptResult:
        """Run ``code`` as a script named ``name`` with ``params`` (the ``params`` module)."""
        if self.closed:
            raise UsageError(f"This {self.name} engine is closed; make a new one.")
        if not isinstance(code, str):
            raise UsageError(f"run() takes the script's source text, not {type(code).__name__}.")
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            host = Host(
                script=name,
                path=None if path is None else Path(path),
                params=dict(params or {}),
                state=self.state,
                bus=self.bus,
                max_output=self.limits.max_output,
                model_override=self.model_override,
                stdout=self.stdout,
                sandbox=self.sandbox,
            )
            try:
                value = await self._execute(code, host)
            finally:
                await host.close()
            return ScriptResult(
                value=value, outputs=host.outputs, printed="".join(host.printed), logs=host.logs
            )

    async def run_file(
        self, path: str | Path, *, params: Mapping[str, Any] | None = None
    ) -> ScriptResult:
        """Run the script file at ``path`` (errors name it and its lines)."""
        file = Path(path)
        try:
            code = file.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise UsageError(f"No script at {str(file)!r}: check the path.") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"Cannot read the script {str(file)!r}: {exc}.") from exc
        return await self.run(code, name=str(file), params=params, path=file)

    def run_sync(
        self, code: str, *, name: str = "<script>", params: Mapping[str, Any] | None = None
    ) -> ScriptResult:
        """Blocking twin of :meth:`run` (also inside a running event loop)."""
        return run_sync(self.run(code, name=name, params=params))

    def run_file_sync(
        self, path: str | Path, *, params: Mapping[str, Any] | None = None
    ) -> ScriptResult:
        """Blocking twin of :meth:`run_file`, for plain scripts."""
        return run_sync(self.run_file(path, params=params))

    async def call(self, function: str, *args: Any) -> Any:
        """Call the global ``function`` a previous run defined, with plain values; its result."""
        if self.closed:
            raise UsageError(f"This {self.name} engine is closed; make a new one.")
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            return await self._call(function, args)

    def expose(self, name: str, value: Any) -> None:
        """Give later runs a global ``name``: a plain value or a Python function (sync or async)."""
        if not isinstance(name, str) or not name.isidentifier():
            raise UsageError(f"expose() takes an identifier as the name, not {name!r}.")
        self.globals[name] = value

    def close(self) -> None:
        """Free the interpreter and clear the state; the engine cannot run again."""
        if not self.closed:
            self.closed = True
            self.state.clear()
            self._close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(sandbox={self.sandbox!r}, limits={self.limits!r})"

    def spec_helpers(self) -> str:
        """Source of ``describe``/``it``/``expect`` in this language, run before a spec file."""
        raise UsageError(f"The {self.name} engine has no spec helpers.")

    def _call_host(self) -> Host:
        """The host of a call from Python (:meth:`call`, a script function) outside any run."""
        return Host(
            script="<call>",
            path=None,
            params={},
            state=self.state,
            bus=self.bus,
            max_output=self.limits.max_output,
            model_override=self.model_override,
            stdout=self.stdout,
        )

    def _module_source(self, host: Host, name: Any, suffix: str) -> tuple[str, Path]:
        """The text and path of the file ``require(name)`` loads for ``host``'s script: ``a.b``
        is ``a/b<suffix>`` beside it.

        Refuses (a sandbox error) a name that is not dotted identifiers or not among
        ``modules``; a :class:`~llmkit.errors.UsageError` when the script has no file or the
        module file is missing or cannot be read as UTF-8 text.
        """
        if not isinstance(name, str) or not _MODULE_NAME.fullmatch(name):
            raise ScriptSandboxError(
                f"sandbox: require({name!r}): a module name is letters, digits, _ and dots",
                script=host.script,
            )
        if self.modules is not None and name not in self.modules:
            raise ScriptSandboxError(
                f"sandbox: require({name!r}): not among the allowed modules", script=host.script
            )
        if host.directory is None:
            raise UsageError(f"require({name!r}) needs a script file: its modules sit beside it.")
        file = host.directory.joinpath(*name.split(".")).with_suffix(suffix)
        if not file.is_file():
            raise UsageError(f"require({name!r}): no module file {file.name} beside the script.")
        try:
            return file.read_text(encoding="utf-8"), file
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(
                f"require({name!r}): {file.name} cannot be read as UTF-8 text ({exc}); "
                "check its permissions and encoding."
            ) from None

    # ------------------------------------------------------- what a language adds

    @abstractmethod
    async def _execute(self, code: str, host: Host) -> Any:
        """Run ``code`` for ``host``'s script; its return value as a plain value."""

    @abstractmethod
    async def _call(self, function: str, args: tuple[Any, ...]) -> Any:
        """Call the global ``function`` with ``args``; its result as a plain value."""

    @abstractmethod
    def _close(self) -> None:
        """Free the interpreter."""
