"""Import time of llmkit, each figure the median over fresh interpreters.

Every sample is a new interpreter that times one statement with
``time.perf_counter`` around it, so the interpreter's own start-up is not
counted and nothing is cached in ``sys.modules``. (The operating system's
file cache is warm after the first sample, as it is for any real program.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

from bench._server import ROOT
from bench._stats import median

__all__ = ["STATEMENTS", "import_times", "time_statement"]

STATEMENTS: dict[str, str] = {
    "import llmkit": "import llmkit",
    "import llmkit + build a model": (
        "import llmkit; llmkit.model('openai/gpt-4.1-mini', base_url='http://127.0.0.1:9/v1', "
        "api_key='x')"
    ),
    "import llmkit + Agent": "import llmkit; llmkit.Agent",
    "import httpx2 (reference)": "import httpx2",
    "import pydantic (reference)": "import pydantic",
}
"""What is timed: a label and the statement."""

_PROBE = """
import sys, time, json
start = time.perf_counter()
try:
    exec(compile(sys.argv[1], "<bench>", "exec"))
except (ImportError, AttributeError) as exc:
    print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
else:
    print(json.dumps({"ms": (time.perf_counter() - start) * 1e3}))
"""


def time_statement(statement: str, *, cores: frozenset[int] = frozenset()) -> float | str:
    """Milliseconds ``statement`` takes in a fresh interpreter, or the error it raised."""
    from bench._server import pin

    proc = subprocess.Popen(
        [sys.executable, "-c", _PROBE, statement],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pin(proc.pid, cores)
    out, err = proc.communicate(timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"timing {statement!r} failed: {err.strip()[-500:]}")
    result = json.loads(out.strip().splitlines()[-1])
    return result["error"] if "error" in result else float(result["ms"])


def import_times(
    *,
    samples: int,
    cores: frozenset[int] = frozenset(),
    report: Callable[[str], None] = lambda text: None,
) -> dict[str, dict[str, object]]:
    """For each statement: median, min and max milliseconds over ``samples`` interpreters."""
    results: dict[str, dict[str, object]] = {}
    for label, statement in STATEMENTS.items():
        report(f"{label} ({samples} fresh interpreters)")
        times: list[float] = []
        for _ in range(samples):
            outcome = time_statement(statement, cores=cores)
            if isinstance(outcome, str):
                results[label] = {"status": "unavailable", "reason": outcome}
                break
            times.append(outcome)
        else:
            results[label] = {
                "status": "ok",
                "ms_median": median(times),
                "ms_min": min(times),
                "ms_max": max(times),
                "samples": samples,
            }
    return results
