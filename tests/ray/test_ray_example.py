"""examples/batch_on_ray.py runs (it starts its own local cluster) and prints what it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ray

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "batch_on_ray.py"
PRINTS = [
    "Paris: 2100 thousand",
    "Oslo: 700 thousand",
    "usage: 8 requests, 0 failed",
    "run.end events on this process's bus: 4",
    "PARIS ran in a worker: True",
    "LIMA ran in a worker: True",
]


def test_the_ray_example_prints_what_it_promises(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    missing = [line for line in PRINTS if line not in done.stdout]
    assert not missing, f"missing {missing!r}; it printed:\n{done.stdout}"
