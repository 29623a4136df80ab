"""A step attempt with nothing around it (no breaker, timeout, hooks or listener) runs in one
frame; it must do what the full attempt does: the same state, output, trace, errors and scope."""

from __future__ import annotations

from typing import Any

import pytest

from llmkit import Agent
from llmkit._scope import current_scope
from llmkit.bus import Bus
from llmkit.errors import ServerError
from llmkit.hooks import Hook, HookContext
from llmkit.testing import ScriptedModel
from llmkit.types import Usage
from llmkit.workflow import Retry, branch, parallel, sequence, step, when
from llmkit.workflow._steps import StepContext

pytestmark = pytest.mark.anyio


def _flow(seen: list[tuple[str, int]]) -> Any:
    calls: list[int] = []

    def where(state: Any) -> str:
        scope = current_scope()
        assert scope is not None
        seen.append((scope.path, scope.attempt))
        return f"{scope.path}#{scope.attempt}"

    def flaky(state: Any) -> int:
        calls.append(1)
        where(state)
        if len(calls) % 2 == 1:
            raise ServerError("busy", status=503)
        return len(calls)

    def broken(state: Any) -> None:
        raise ValueError("no")

    def counted(text: str, context: StepContext) -> str:
        context.add_usage(Usage(requests=1))
        return text.upper()

    writer = Agent(ScriptedModel(["drafted"]), name="writer")
    return sequence(
        step(where, output="first"),
        step(writer, input="topic", output="draft"),
        step(counted, input="draft", output="loud"),
        step(flaky, output="n", retry=Retry(attempts=2, delay=0)),
        step(broken, on_error="continue"),
        branch(when(lambda s: s["n"] > 0, step(where, output="branched")), name="pick"),
        parallel(step(where), step(lambda s: s["topic"]), output="both"),
        sequence(step(where), input=lambda s: {"x": 1}, name="inner", output="nested"),
        name="doc",
    )


class Steps(Hook):
    """A hook on every step that changes nothing: the run takes the full attempt."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def before_step(self, ctx: HookContext, input: Any) -> None:
        self.paths.append(ctx.path)


async def _run(**options: Any) -> tuple[dict[str, Any], list[tuple[str, int]]]:
    seen: list[tuple[str, int]] = []
    result = await _flow(seen).run({"topic": "tides"}, **options)
    return result.to_dict(comparable=True), seen


async def test_a_bare_attempt_gives_what_the_full_attempt_gives() -> None:
    bare, bare_seen = await _run()
    steps = Steps()
    hooked, hooked_seen = await _run(hooks=[steps])
    assert "doc/flaky" in steps.paths
    bus = Bus()
    events: list[Any] = []
    bus.on("*", events.append, inline=True)
    heard, heard_seen = await _run(bus=bus)
    assert events  # the run with a listener took the full path
    assert bare == hooked == heard
    assert bare_seen == hooked_seen == heard_seen
    assert ("doc/flaky", 1) in bare_seen and ("doc/flaky", 2) in bare_seen
    assert bare["state"]["first"] == "doc/where#1"
    assert bare["state"]["loud"] == "DRAFTED"
    assert bare["state"]["nested"] == "doc/inner/where#1"
    trace = {record["path"]: record for record in bare["trace"]}
    assert trace["doc/flaky"]["attempts"] == 2
    assert trace["doc/counted"]["usage"]["requests"] == 1
    assert trace["doc/broken"]["status"] == "failed"
    assert [error["path"] for error in bare["errors"]] == ["doc/broken"]


async def test_a_step_scope_is_reset_after_a_bare_attempt_that_failed() -> None:
    def broken(state: Any) -> None:
        raise ValueError("no")

    flow = sequence(step(broken, on_error="continue"), name="doc")
    await flow.run({})
    assert current_scope() is None
