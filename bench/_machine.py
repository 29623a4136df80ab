"""What the figures were measured on: machine, Python, package versions, date."""

from __future__ import annotations

import datetime
import os
import platform
from importlib import metadata
from typing import Any

__all__ = ["PACKAGES", "cpu_model", "describe", "load_average"]

PACKAGES = (
    "llmkit",
    "httpx2",
    "httpcore2",
    "aiohttp",
    "orjson",
    "httpx",
    "httpcore",
    "pydantic",
    "uvicorn",
    "uvloop",
)
"""Packages whose versions go into every report."""


def cpu_model() -> str:
    """The CPU model name (from ``/proc/cpuinfo`` where there is one)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def describe() -> dict[str, Any]:
    """Machine, interpreter, package versions and the time, for the report."""
    affinity = getattr(os, "sched_getaffinity", None)
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": len(affinity(0)) if affinity is not None else os.cpu_count(),
        "platform": platform.platform(terse=True),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": {name: _version(name) for name in PACKAGES},
        "load_average": load_average(),
    }


def load_average() -> float | None:
    """The one-minute load average: other work on the machine makes wall-clock figures noisy."""
    getter = getattr(os, "getloadavg", None)
    return round(getter()[0], 2) if getter is not None else None
