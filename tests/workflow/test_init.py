"""The public surface of llmkit.workflow."""

from __future__ import annotations

import subprocess
import sys

import llmkit
import llmkit.workflow


def test_public_names_are_pinned() -> None:
    assert llmkit.workflow.__all__ == [
        "BadInput",
        "BatchProgress",
        "BatchResult",
        "Breakers",
        "Case",
        "CircuitBreaker",
        "CircuitOpenError",
        "Executor",
        "InProcessExecutor",
        "ItemError",
        "ItemOutcome",
        "NoBranchMatched",
        "PredicateError",
        "RayExecutor",
        "Retry",
        "StateValidationError",
        "Step",
        "StepContext",
        "StepFailure",
        "StepInputError",
        "StepRecord",
        "StepTimeoutError",
        "Unit",
        "WorkerDiedError",
        "Workflow",
        "WorkflowDefinitionError",
        "WorkflowError",
        "WorkflowOptions",
        "WorkflowResult",
        "batch",
        "batch_sync",
        "branch",
        "breakers",
        "load",
        "loads",
        "loop",
        "map_each",
        "parallel",
        "reset_breakers",
        "sequence",
        "step",
        "use_breakers",
        "when",
    ]
    for name in llmkit.workflow.__all__:
        assert (getattr(llmkit.workflow, name).__doc__ or "").strip(), name


def test_the_package_root_reaches_workflows_lazily() -> None:
    assert llmkit.workflow is sys.modules["llmkit.workflow"]
    code = (
        "import sys, llmkit; print('llmkit.workflow' in sys.modules); "
        "llmkit.workflow.sequence; print('llmkit.workflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "True"]


def test_importing_workflows_loads_no_runner_and_no_yaml() -> None:
    code = (
        "import sys, llmkit.workflow; "
        "print(sorted(m for m in ('yaml', 'rich', 'llmkit.workflow._runner') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"
