"""The first run in a fresh process, the cold start, and the first call in each new event loop.

The driver side of :mod:`bench._probe`: it starts the probe processes, times
the cold starts from outside, and sums up what the probes report. Each
figure is the median over fresh processes (``first``) or over calls 2..N of
one process (``loops``); see :mod:`bench._probe` for what is timed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench._cases import AIOHTTP_FLOOR, FLOOR, LLMKIT, Variant, find
from bench._probe import FIRST_LINE
from bench._server import ROOT, pin
from bench._stats import median, percentile

__all__ = ["FRESH_CASE", "FRESH_VARIANTS", "STUDIES", "first_runs", "new_loops", "study", "summary"]

FRESH_CASE = "agent"
"""The case the fresh-process and new-loop figures are taken on."""
FRESH_VARIANTS = (FLOOR, AIOHTTP_FLOOR, LLMKIT)
"""The variants measured (the two floors and llmkit)."""
STUDIES = {
    "startup": "first agent run in a fresh process, and cold start (floors and llmkit)",
    "loops": "agent runs each in a new event loop, asyncio.run per call (floors and llmkit)",
}
"""The two studies, by the name that chooses them on the command line."""
_TIMEOUT = 120


def summary(values: list[float]) -> dict[str, float]:
    """Median, min and max of ``values``."""
    return {"median": median(values), "min": min(values), "max": max(values)}


def _command(spec: dict[str, Any], *, importtime: bool) -> list[str]:
    flags = ["-X", "importtime"] if importtime else []
    return [sys.executable, *flags, "-m", "bench._probe", json.dumps(spec)]


def _probe_spec(mode: str, label: str, variant: Variant, url: str, **fields: Any) -> dict[str, Any]:
    return {
        "mode": mode,
        "label": label,
        "runner": variant.runner,
        "options": variant.options,
        "imports": variant.imports,
        "url": url,
        **fields,
    }


def _one_first_run(
    spec: dict[str, Any], cores: frozenset[int], stderr_path: Path | None
) -> dict[str, Any]:
    """One probe process; what it measured plus ``cold_ms``, or raise RuntimeError saying why."""
    # stderr goes to a file: nobody reads it while the probe runs (an -X importtime log is long).
    err = stderr_path.open("w+") if stderr_path is not None else tempfile.TemporaryFile("w+")  # noqa: SIM115
    with err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            _command(spec, importtime=stderr_path is not None),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        pin(proc.pid, cores)
        assert proc.stdout is not None
        timer = threading.Timer(_TIMEOUT, proc.kill)
        timer.start()
        try:
            line = proc.stdout.readline()
            cold_ms = (time.perf_counter() - start) * 1e3
            # The rest through the same buffered reader: readline may have read it already.
            out = proc.stdout.read()
            proc.wait()
        finally:
            timer.cancel()
            proc.stdout.close()
        if line.strip() != FIRST_LINE or proc.returncode != 0:
            err.seek(0)
            tail = err.read().strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
            raise RuntimeError(tail[0][:300])
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["cold_ms"] = cold_ms
    return result


_FIGURES = ("cold_ms", "imports_ms", "first_ms", "first_cpu_ms", "script_ms", "process_cpu_ms")
_MODULE_FIGURES = (
    "first_modules",
    "first_modules_kib",
    "first_modules_llmkit",
    "first_modules_llmkit_kib",
)


def first_runs(
    variant: Variant,
    url: str,
    *,
    samples: int,
    cores: frozenset[int] = frozenset(),
    label: str = "",
    profile_stem: Path | None = None,
) -> dict[str, Any]:
    """``samples`` fresh processes (after one that is not counted): cold start and first run.

    Also what the first run loaded: ``first_modules`` (their files'
    ``first_modules_kib``), and of them llmkit's (``first_modules_llmkit``,
    ``first_modules_llmkit_kib``).

    With ``profile_stem`` one more process runs under ``-X importtime`` and
    cProfile; its files are listed under ``files``.
    """
    spec = _probe_spec("first", label, variant, url)
    try:
        _one_first_run(spec, cores, None)  # the file cache and the server's first connection
        measured = [_one_first_run(spec, cores, None) for _ in range(samples)]
        files: list[str] = []
        if profile_stem is not None:
            log = profile_stem.with_name(profile_stem.name + ".importtime.txt")
            profiled = _one_first_run(
                {**spec, "profile": True, "stem": str(profile_stem)}, cores, log
            )
            files = [*profiled["files"], str(log)]
    except RuntimeError as exc:
        return {"status": "failed", "reason": str(exc)}
    result: dict[str, Any] = {"status": "ok", "samples": samples}
    for name in _FIGURES:
        result[name] = summary([m[name] for m in measured])
    # What the first run loaded is the same in every process: the last one's.
    for name in _MODULE_FIGURES:
        result[name] = measured[-1][name]
    if files:
        result["files"] = files
    return result


def new_loops(
    variant: Variant,
    url: str,
    *,
    calls: int,
    cores: frozenset[int] = frozenset(),
    label: str = "",
    profile_stem: Path | None = None,
) -> dict[str, Any]:
    """One process doing ``calls`` runs, each in a new event loop; call 1 apart from 2..N."""
    spec = _probe_spec("loops", label, variant, url, calls=calls)
    if profile_stem is not None:
        spec.update(profile=True, stem=str(profile_stem))
    proc = subprocess.Popen(
        _command(spec, importtime=False),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pin(proc.pid, cores)
    try:
        out, err = proc.communicate(timeout=_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"status": "failed", "reason": "the probe did not finish"}
    if proc.returncode != 0:
        tail = err.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        return {"status": "failed", "reason": tail[0][:300]}
    probe = json.loads(out.strip().splitlines()[-1])
    walls, cpus = probe["wall_ms"], probe["cpu_ms"]
    later_walls, later_cpus = walls[1:] or walls, cpus[1:] or cpus
    result: dict[str, Any] = {
        "status": "ok",
        "calls": calls,
        "first_ms": walls[0],
        "first_cpu_ms": cpus[0],
        "later_ms": summary(later_walls),
        "later_p95_ms": percentile(later_walls, 95),
        "later_cpu_ms": summary(later_cpus),
    }
    if "files" in probe:
        result["files"] = probe["files"]
    return result


def study(
    name: str,
    url: str,
    *,
    count: int,
    cores: frozenset[int] = frozenset(),
    progress: Any = None,
    profile_dir: Path | None = None,
) -> dict[str, Any]:
    """Run study ``name`` (``startup``: ``count`` samples; ``loops``: ``count`` calls) per variant.

    With ``profile_dir`` each variant is also profiled there
    (``profile-NAME-VARIANT.*``).
    """
    case = find(FRESH_CASE)
    measured: dict[str, Any] = {}
    for variant_name in FRESH_VARIANTS:
        variant = case.variant(variant_name)
        label = f"{name}/{variant_name}"
        if progress is not None:
            progress(label)
        stem = None if profile_dir is None else profile_dir / f"profile-{name}-{variant_name}"
        if name == "startup":
            measured[variant_name] = first_runs(
                variant, url, samples=count, cores=cores, label=label, profile_stem=stem
            )
        else:
            measured[variant_name] = new_loops(
                variant, url, calls=count, cores=cores, label=label, profile_stem=stem
            )
    return {"case": FRESH_CASE, "count": count, "variants": measured}
