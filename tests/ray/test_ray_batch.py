"""llmkit.batch and ``llmkit batch --ray`` on Ray: results in input order, usage summed, nothing lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import llmkit
from llmkit import Agent
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
