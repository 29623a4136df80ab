"""Serving agents and workflows: a transport-neutral run service and an HTTP app.

::

    from llmkit.serve import RunService

    service = RunService(agent, flow)                       # served by name
    run = await service.start("tenant-1", "support", "Where is order 42?", wait=True)
    run.status, run.result.output
    async for event_id, event in service.events("tenant-1", run.id): ...

The run service's guarantees are in ``llmkit.serve._service``; its errors are
:class:`ServeError` subclasses (tree in ``llmkit.serve._errors``).
"""

from __future__ import annotations

from llmkit.serve._errors import (
    RunStateError,
    ServeError,
    TooManyRunsError,
    UnknownRunError,
    UnknownSessionError,
    UnknownTargetError,
)
from llmkit.serve._run import RunState, ServedRun
from llmkit.serve._service import OnDisconnect, RunService, Target, WhenFull, tenant_for

__all__ = [
    "OnDisconnect",
    "RunService",
    "RunState",
    "RunStateError",
    "ServeError",
    "ServedRun",
    "Target",
    "TooManyRunsError",
    "UnknownRunError",
    "UnknownSessionError",
    "UnknownTargetError",
    "WhenFull",
    "tenant_for",
]
