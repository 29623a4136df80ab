"""llmkit.batch and ``llmkit batch --ray`` on Ray: results in input order, usage summed, nothing lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

import llmkit
from llmkit import Agent, tool
from llmkit.errors import UsageError
from llmkit.testing import FakeProviderServer
from llmkit.workflow._ray import RayExecutor
from llmkit.workflow._ray_ship import cloudpickle

pytestmark = [pytest.mark.anyio, pytest.mark.ray]
cloudpickle().register_pickle_by_value(sys.modules[__name__])


def echo(request: Any) -> str:
    return "echo " + request.messages[-1].text


@pytest.fixture(scope="module")
def server() -> Any:
    with FakeProviderServer(echo) as running:
        yield running


async def test_a_batch_on_ray_equals_the_batch_in_process(
    ray_executor: RayExecutor, server: Any
) -> None:
    agent = Agent(llmkit.model("openai/gpt-4.1-mini", base_url=server.openai_base_url))
    inputs = [f"question {i}" for i in range(12)]
    here = await llmkit.batch(agent, inputs, concurrency=4, progress=False)
    there = await llmkit.batch(agent, inputs, concurrency=4, executor=ray_executor, progress=False)
    assert there.outputs == here.outputs == [f"echo question {i}" for i in range(12)]
    assert [o.index for o in there] == list(range(12))
    assert there.usage.total_tokens == here.usage.total_tokens > 0
    assert there.failed == 0


def test_the_command_runs_a_batch_on_a_local_cluster(tmp_path: Path, server: Any) -> None:
    app = tmp_path / "app.py"
    app.write_text(
        "import os\n"
        "import llmkit\n"
        "from llmkit import Agent\n"
        "agent = Agent(llmkit.model('openai/gpt-4.1-mini', base_url=os.environ['APP_BASE_URL']))\n"
    )
    inputs = tmp_path / "inputs.jsonl"
    inputs.write_text('"first"\n{"input": "second"}\nnot json\n"fourth"\n')
    out = tmp_path / "results.jsonl"
    env = {**os.environ, "APP_BASE_URL": server.openai_base_url, "OPENAI_API_KEY": "sk-cli-0000"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "llmkit",
            "batch",
            f"{app}:agent",
            str(inputs),
            "--out",
            str(out),
            "--ray",
            "local",
            "--progress",
            "off",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr[-3000:]  # one line could not be read
    assert "line 3" in done.stderr
    lines = sorted(
        (json.loads(line) for line in out.read_text().splitlines()), key=lambda r: r["index"]
    )
    assert [r["index"] for r in lines] == [0, 1, 2, 3]
    assert [r.get("output") for r in lines] == ["echo first", "echo second", None, "echo fourth"]
    assert lines[2]["error"]["type"] == "UsageError"


PICKLED: list[int] = []
"""One entry each time a ``Copies`` target is pickled in this process."""


class Copies:
    """A batch target that counts its pickling here and names the copy that runs an item."""

    def __init__(self, copy: str = "the original") -> None:
        self.copy = copy

    def __reduce__(self) -> tuple[Any, ...]:
        PICKLED.append(1)
        return (revive, ())

    async def __call__(self, value: int) -> tuple[int, str]:
        return value, self.copy


def revive() -> Copies:
    """A worker's copy of the target, named uniquely."""
    return Copies(uuid.uuid4().hex)


async def test_a_batch_ships_its_target_once_and_a_worker_unpickles_it_once(
    ray_executor: RayExecutor,
) -> None:
    PICKLED.clear()
    target = Copies()
    first = await llmkit.batch(target, range(24), concurrency=8, executor=ray_executor)
    assert [value for value, _ in first.outputs] == list(range(24))
    assert len(PICKLED) == 1  # the items' bytes hold their input alone
    copies = {copy for _, copy in first.outputs}
    assert "the original" not in copies and len(copies) <= ray_executor.workers
    second = await llmkit.batch(target, range(4), concurrency=2, executor=ray_executor)
    assert len(PICKLED) == 2  # a new batch ships the target as it is now
    assert not copies & {copy for _, copy in second.outputs}


async def test_what_cannot_be_shipped_is_named_at_its_item(ray_executor: RayExecutor) -> None:
    lock = threading.Lock()

    @tool
    def guarded(a: int) -> int:
        """Add one under a lock."""
        with lock:
            return a + 1

    agent = Agent("openai/gpt-4.1-mini", tools=[guarded])
    with pytest.raises(UsageError) as caught:
        await llmkit.batch(agent, ["hi", "there"], concurrency=1, executor=ray_executor)
    message = str(caught.value)
    assert message.startswith("batch item 0 cannot be sent to Ray workers")
    assert "batch item 0.target._tools['guarded'].function.lock" in message
    with pytest.raises(UsageError, match=r"batch item 2\.input \(a lock\)"):
        await llmkit.batch(str.upper, ["a", "b", lock], concurrency=1, executor=ray_executor)
