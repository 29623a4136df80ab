"""``params`` and ``output``: what the run was given and what it gives back (globals of the script)."""

from __future__ import annotations

from typing import Any

from llmkit.scripting._bridge import Bridge
from llmkit.scripting._host import Host

__all__ = ["bridge"]

bridge = Bridge(
    "params",
    "Globals. `params` is the table of the run's parameters (`-p k=v` on the command line, "
    "`params=` in Python; values from the command line are strings). `output(value)` gives "
    "the run's result.",
    flat=True,
    values=lambda host: {"params": host.params},
)


@bridge.function
def output(host: Host, value: Any) -> None:
    """Give `value` as the run's output (text or any table); the last one is `result.output`."""
    host.output(value)
