"""Resuming a durable workflow run: ``Workflow.resume`` (see ``_durable`` for what is stored).

:func:`resume_workflow` refuses a changed definition
(:class:`~llmkit.durable.WorkflowChangedError`, unless ``allow_changed``) before claiming
anything, claims the run (``RunNotFoundError``, ``RunFinishedError``, ``RunBusyError``; a
claim that cannot go on is released as failed), rebuilds the state the run started from, and
runs the workflow again with the journal answering every step already checkpointed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from llmkit.durable._errors import RunNotFoundError, WorkflowChangedError
from llmkit.errors import UsageError
from llmkit.types import Usage
from llmkit.workflow._durable import Reopened, check_store, first_state
from llmkit.workflow._fingerprint import fingerprint
from llmkit.workflow._runner import run_workflow

if TYPE_CHECKING:
    from llmkit.workflow._result import WorkflowResult
    from llmkit.workflow._runtime import WorkflowOptions
    from llmkit.workflow._spec import Node

__all__ = ["resume_workflow"]


async def resume_workflow(
    root: Node,
    run_id: str,
    *,
    store: Any,
    allow_changed: bool,
    options: Mapping[str, Any],
    method: str,
) -> WorkflowResult[Any]:
    """Continue the stored run ``run_id`` of ``root`` (see the module docstring)."""
    store = check_store(store, method)
    if not isinstance(run_id, str) or not run_id:
        raise UsageError(
            f"Workflow.{method}() takes the id of a stored run (a non-empty string), not "
            f"{run_id!r}; store.list_runs() lists them."
        )
    if not isinstance(allow_changed, bool):
        raise UsageError(f"Workflow.{method}(allow_changed=...) takes True or False.")
    for key in ("store", "run_id"):
        if key in options:
            raise TypeError(f"Workflow.{method}() got an unexpected keyword argument {key!r}")
    info = await store.get_run(run_id)
    if info is not None and info.kind != "workflow":
        raise RunNotFoundError(
            f"Run {run_id!r} is an {info.kind} run ({info.name!r}), not a workflow run; resume "
            f"it with the {info.kind} that started it: {info.kind}.resume({run_id!r}, store=store)."
        )
    if info is not None and info.kind == "workflow" and info.status != "finished":
        now = fingerprint(root)
        if info.fingerprint != now and not allow_changed:
            raise WorkflowChangedError(
                f"Workflow {root.name!r} changed since run {run_id!r} was checkpointed (it was "
                f"{info.name!r}, fingerprint {info.fingerprint}; now {now}): resume it with the "
                "definition it started with, or pass allow_changed=True to continue with this "
                "one from the steps it still has."
            )
    claim, info = await store.claim_run(run_id, kind="workflow")
    try:
        checkpoints = await store.load_checkpoints(run_id)
        state = first_state(root, info.meta)
    except BaseException:
        with contextlib.suppress(Exception):
            await store.finish_run(
                claim, status="failed", error=info.error or "the resume could not start"
            )
        raise
    reopened = Reopened(
        claim, checkpoints, steps=info.steps, usage=Usage.from_dict(dict(info.usage))
    )
    run_options = cast("WorkflowOptions", {**options, "store": store, "run_id": run_id})
    return await run_workflow(root, state, run_options, method=method, reopened=reopened)
