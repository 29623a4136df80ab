"""Memory of the running process: resident set now, and its peak so far."""

from __future__ import annotations

import os
import resource
import sys

__all__ = ["MIB", "current_rss", "peak_rss"]

MIB = 1024 * 1024


def current_rss() -> int | None:
    """Resident set size now, in bytes (None where ``/proc`` is not available)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def peak_rss() -> int:
    """The highest resident set size this process has had, in bytes.

    On Linux this is ``VmHWM`` of ``/proc/self/status``: the peak of this
    program's own memory. ``ru_maxrss`` is not used there because Linux carries
    it across ``exec`` from the process that started this one, so a worker
    started by a large driver would report the driver's peak.
    """
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak if sys.platform == "darwin" else peak * 1024
