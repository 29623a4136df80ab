"""Profile reports of a runner: where a case's client CPU goes.

cProfile gives exact call counts and per-function CPU time (written as pstats
text: the top entries by cumulative time and by own time, plus the binary
``.prof`` for ``snakeviz``/``pstats``); pyinstrument gives a sampled call
tree with far less overhead (text, and HTML to browse).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from pathlib import Path
from typing import Any

__all__ = ["PROFILERS", "profile_runs", "pstats_text"]

PROFILERS = ("cprofile", "pyinstrument")
_TOP = 40


def pstats_text(profiler: cProfile.Profile, *, top: int = _TOP, title: str = "") -> str:
    """The ``top`` entries by cumulative time, then by own time, as pstats prints them."""
    out = io.StringIO()
    if title:
        out.write(f"{title}\n\n")
    for key, heading in (("cumulative", "cumulative time"), ("tottime", "own time (tottime)")):
        out.write(f"=== top {top} by {heading} ===\n")
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(key).print_stats(top)
    return out.getvalue()


async def profile_runs(runner: Any, *, runs: int, profilers: list[str], stem: Path) -> list[str]:
    """Run ``runs`` runs under each profiler in turn; return the files written (``stem`` + suffix)."""
    files: list[str] = []
    stem.parent.mkdir(parents=True, exist_ok=True)
    if "cprofile" in profilers:
        # CPU time, not wall time: the time spent waiting for the server is not the client's cost.
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(runs):
            await runner.run()
        profiler.disable()
        text_path = stem.with_name(stem.name + ".cprofile.txt")
        text_path.write_text(pstats_text(profiler, title=f"{stem.name}: {runs} runs"))
        profiler.dump_stats(stem.with_name(stem.name + ".prof"))
        files += [str(text_path), str(stem.with_name(stem.name + ".prof"))]
    if "pyinstrument" in profilers:
        from pyinstrument import Profiler

        sampler = Profiler(interval=0.0002, async_mode="disabled")
        sampler.start()
        for _ in range(runs):
            await runner.run()
        sampler.stop()
        text_path = stem.with_name(stem.name + ".pyinstrument.txt")
        text_path.write_text(sampler.output_text(unicode=False, color=False, show_all=False))
        html_path = stem.with_name(stem.name + ".pyinstrument.html")
        html_path.write_text(sampler.output_html())
        files += [str(text_path), str(html_path)]
    return files
