"""The fake provider server in its own process, and where each process may run.

The server and the measured client never share a process, so the client's
``time.process_time`` counts the client alone. On a machine with two or more
cores the server is pinned to the last core and the client to the others, so
neither steals the other's core in the middle of a measurement.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType

__all__ = ["ROOT", "CorePlan", "ServerProcess", "plan_cores"]

ROOT = Path(__file__).resolve().parent.parent
"""The repository root: the working directory of every process the suite starts."""

_READY = "llmkit fake server listening on "
_RESPONDER = "bench._responder:respond"


class CorePlan:
    """Which cores the server and the client processes run on (empty: anywhere)."""

    __slots__ = ("client", "server")

    def __init__(self, server: frozenset[int], client: frozenset[int]) -> None:
        self.server = server
        self.client = client

    def describe(self) -> str:
        """A short phrase for the report, e.g. ``server on core 1, client on core 0``."""
        if not self.server:
            return "not pinned"
        return f"server on core {_cores(self.server)}, client on core {_cores(self.client)}"


def _cores(cores: frozenset[int]) -> str:
    return ",".join(str(c) for c in sorted(cores))


def plan_cores(available: set[int] | None = None, *, pin: bool = True) -> CorePlan:
    """Split the cores this process may use between the server (one) and the client (the rest)."""
    if available is None:
        getter = getattr(os, "sched_getaffinity", None)
        available = set(getter(0)) if getter is not None else set()
    if not pin or len(available) < 2:
        return CorePlan(frozenset(), frozenset())
    ordered = sorted(available)
    return CorePlan(frozenset(ordered[-1:]), frozenset(ordered[:-1]))


def pin(pid: int, cores: frozenset[int]) -> None:
    """Restrict process ``pid`` to ``cores`` (nothing happens where that is not supported)."""
    setter = getattr(os, "sched_setaffinity", None)
    if cores and setter is not None:
        setter(pid, cores)


class ServerProcess:
    """``python -m llmkit.testing serve`` with the benchmark responder, as a context manager.

    ``url`` is the server root (``http://127.0.0.1:PORT``); the OpenAI API
    lives under ``url + "/v1"``.
    """

    def __init__(self, *, cores: frozenset[int] = frozenset()) -> None:
        self._cores = cores
        self._proc: subprocess.Popen[str] | None = None
        # A file, not a pipe: nobody reads the server's stderr while it runs, and a full pipe
        # would stall it. It is closed when the server stops.
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        self.url = ""

    def __enter__(self) -> ServerProcess:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llmkit.testing",
                "serve",
                "--port=0",
                f"--responder={_RESPONDER}",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self._proc = proc
        pin(proc.pid, self._cores)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith(_READY):
            proc.terminate()
            proc.wait(timeout=10)
            detail = self.errors()
            self.__exit__(None, None, None)
            raise RuntimeError(f"the fake server did not start: {line!r} {detail}")
        self.url = line[len(_READY) :].strip()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        self._stderr.close()

    def errors(self) -> str:
        """What the server wrote to stderr so far (its last 2,000 characters)."""
        self._stderr.seek(0)
        return self._stderr.read()[-2000:]
