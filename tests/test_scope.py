"""The workflow step scope: what code running inside a step can read about it."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from llmkit._scope import STEP_SCOPE, StepScope, current_path, current_scope


def test_outside_a_step_there_is_no_scope_and_the_path_is_empty() -> None:
    assert current_scope() is None
    assert current_path() == ""


def test_inside_a_step_the_scope_and_its_path_are_read() -> None:
    scope = StepScope("run-1", "article/reviews[1]/critic_b", 2)
    token = STEP_SCOPE.set(scope)
    try:
        assert current_scope() is scope
        assert current_path() == "article/reviews[1]/critic_b"
    finally:
        STEP_SCOPE.reset(token)
    assert current_path() == ""


def test_a_task_started_inside_a_step_inherits_its_scope() -> None:
    async def main() -> tuple[str, str]:
        token = STEP_SCOPE.set(StepScope("r", "flow/a", 1))
        try:
            path_in_task = await asyncio.create_task(_path())
        finally:
            STEP_SCOPE.reset(token)
        return path_in_task, current_path()

    async def _path() -> str:
        return current_path()

    assert asyncio.run(main()) == ("flow/a", "")


def test_a_scope_is_frozen() -> None:
    scope = StepScope("r", "a", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        scope.path = "b"  # type: ignore[misc]
