"""The serve study: one agent run in process against the same agent behind ``llmkit.serve``.

``python -m bench serve`` (``--quick``: fewer runs) measures, against the bench's fake
server:

- **in process**: the ``agent`` case's agent (one tool, two model calls) named for
  serving, ``await agent.run(...)`` in a fresh process: CPU per run (that process) and
  wall per run;
- **through the server**: the same agent in ``app_for(agent)`` under uvicorn on
  127.0.0.1, in its own process (``bench._serve_app``), called one completion at a
  time, not streamed, by a raw aiohttp client with orjson bodies in another fresh
  process: client CPU plus server CPU per completion, wall per completion, and the
  overhead ratio of each against the run in process;
- **200 concurrent streamed completions** (SSE), twice: held (the fake model holds its
  first answer, so all 200 streams are open at once: the server's resident set then,
  minus the one before the burst, per stream) and not held (errors, wall time, CPU).

The fake server's own work is in neither CPU figure. The agent server runs on the
client's cores (where the in-process run ran), away from the fake server's core.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

from bench._serve_app import READY
from bench._server import ROOT, pin

__all__ = ["SERVE", "serve_study", "serve_table"]

SERVE = "serve"
STREAMS = 200
_TIMEOUT = 600


def _client(spec: dict[str, Any], progress: Callable[[str], None]) -> dict[str, Any]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench._serve_client", json.dumps(spec)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    timer = threading.Timer(_TIMEOUT, proc.kill)
    timer.start()
    last = ""
    try:
        for line in proc.stderr:
            last = line.strip() or last
            if line.startswith("  serve: "):
                progress(line.strip())
        out = proc.stdout.read()
        proc.wait()
    finally:
        timer.cancel()
        proc.stdout.close()
        proc.stderr.close()
    lines = out.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"status": "failed", "reason": f"client exited with {proc.returncode}: {last}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


class _AgentServer:
    """``python -m bench._serve_app FAKE_URL`` as a context manager: ``url``, ``pid``."""

    def __init__(self, fake_url: str, cores: frozenset[int]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench._serve_app", fake_url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        pin(self.proc.pid, cores)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith(READY):
            self.close()
            raise RuntimeError(f"the agent server did not start: {line!r}")
        self.url = line[len(READY) :].strip()
        self.pid = self.proc.pid

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def serve_study(
    fake_url: str,
    *,
    quick: bool,
    cores: frozenset[int] = frozenset(),
    progress: Callable[[str], None] = lambda text: None,
    runs: int | None = None,
    reps: int | None = None,
    streams: int = STREAMS,
    hold: float = 3.0,
) -> dict[str, Any]:
    """Measure the agent in process and through the server; see the module's docstring."""
    for module in ("starlette", "uvicorn"):
        if importlib.util.find_spec(module) is None:
            return {"status": "unavailable", "reason": f"{module} is missing (llmkit[serve])"}
    counts = {
        "warmup": 10 if quick else 50,
        "reps": reps if reps is not None else (3 if quick else 7),
        "runs": runs if runs is not None else (40 if quick else 100),
        "cores": sorted(cores),
    }
    progress("serve: the agent in process")
    inprocess = _client({"mode": "inprocess", "fake": fake_url, **counts}, progress)
    if inprocess.get("status") != "ok":
        return inprocess
    progress("serve: the agent behind app_for(agent)")
    server = _AgentServer(fake_url, cores)
    try:
        spec = {"mode": "http", "url": server.url, "pid": server.pid, **counts}
        http = _client({**spec, "streams": streams, "hold": hold}, progress)
    finally:
        server.close()
    if http.get("status") != "ok":
        return http
    return {
        "status": "ok",
        "agent_calls": 2,
        "inprocess": inprocess,
        "http": http,
        "cpu_ratio": http["cpu_ms"] / inprocess["cpu_ms"],
        "wall_ratio": http["wall_ms"]["median"] / inprocess["wall_ms"]["median"],
    }


def serve_table(results: dict[str, Any]) -> list[str]:
    """The report's section on the serve study (nothing when it did not run)."""
    found = results.get(SERVE)
    if not found:
        return []
    title = "## Serving an agent: in process against `app_for(agent)` under uvicorn"
    if found.get("status") != "ok":
        return [title, "", f"Not measured: {found.get('reason', 'failed')}.", ""]
    inproc, http = found["inprocess"], found["http"]
    held, burst = http["held"], http["burst"]
    kib = held["bytes_per_stream"] / 1024 if held["bytes_per_stream"] is not None else None
    rows = [
        [
            "in process: `await agent.run(...)`",
            f"{inproc['cpu_ms']:.3f}",
            f"{inproc['wall_ms']['median']:.3f} ({inproc['wall_ms']['p95']:.3f})",
            "1.00x",
        ],
        [
            "through the server, not streamed: client + server",
            f"{http['client_cpu_ms']:.3f} + {http['server_cpu_ms']:.3f} = {http['cpu_ms']:.3f}",
            f"{http['wall_ms']['median']:.3f} ({http['wall_ms']['p95']:.3f})",
            f"{found['cpu_ratio']:.2f}x CPU, {found['wall_ratio']:.2f}x wall",
        ],
    ]
    streams = [
        [
            f"{burst['streams']} concurrent, not held",
            str(burst["errors"]),
            f"{burst['wall_s']:.2f} s ({burst['per_s']:.0f}/s); CPU per completion "
            f"{burst['client_cpu_ms']:.3f} client, {burst['server_cpu_ms']:.3f} server",
        ],
        [
            f"{held['streams']} concurrent, first answer held {held['hold_s']:g} s",
            str(held["errors"]),
            f"{held['most_open']} open at once after {held['open_after_s']:.2f} s; server RSS "
            f"{held['idle_rss'] / 2**20:.1f} MiB idle, {held['open_rss'] / 2**20:.1f} MiB open, "
            f"{held['after_rss'] / 2**20:.1f} MiB after: "
            + (f"**{kib:.1f} KiB per open stream**" if kib is not None else "-"),
        ],
    ]
    return [
        title,
        "",
        f"The `agent` case's agent (2 model calls, 1 tool); {http['runs']} completions one at a "
        "time through the server, a raw aiohttp client (ms per run: client CPU is the median of "
        "the repetitions, server CPU the mean over all of them, counted in 10 ms clock ticks; "
        "wall the median and p95 of every run).",
        "",
        *_table(["how", "CPU ms/run", "wall ms/run (p95)", "against in process"], rows),
        "",
        *_table(["streamed completions", "errors", "measured"], streams),
        "",
    ]


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]
