"""What goes to Ray workers: pickled by value, never an API key; clear errors before anything runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel

import llmkit
from llmkit import Agent, tool
from llmkit.errors import ConfigurationError, MissingExtraError, UsageError
from llmkit.providers.anthropic import AnthropicModel
from llmkit.workflow import _ray_local
from llmkit.workflow._ray_ship import cloudpickle, ship, unship

pytestmark = pytest.mark.ray
cloudpickle().register_pickle_by_value(sys.modules[__name__])

GRPC = "grpc_proxy"  # gRPC reads the lower-case name
PLANTED = "sk-" + "planted-not-a-key-" + "r" * 10


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@dataclass
class AgentRun:
    agent: Agent[Any]
    text: str

    async def __call__(self) -> Any:
        return (await self.agent.run(self.text)).output


def test_no_api_key_is_in_what_is_shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED)
    monkeypatch.setenv("ANTHROPIC_API_KEY", PLANTED + "-anthropic")
    from_string = Agent("openai/gpt-4.1-mini", tools=[add])
    from_string.run_sync  # noqa: B018  (the string is resolved at the first run; both forms ship)
    built = Agent(llmkit.model("openai/gpt-4.1-mini", base_url="http://127.0.0.1:9/v1"))
    from_env = Agent(llmkit.model("anthropic/claude-sonnet-4-5"), tools=[add])
    explicit_same = Agent(llmkit.model("openai/gpt-4.1-mini", api_key=PLANTED))
    for agent in (from_string, built, from_env, explicit_same):
        data = ship(AgentRun(agent, "hi"), what="the run")
        assert PLANTED.encode() not in data
        assert PLANTED[3:].encode() not in data
    copy = unship(ship(AgentRun(explicit_same, "hi"), what="the run"))
    model = copy.agent.model
    assert model.name == "openai/gpt-4.1-mini"
    assert model.holds_key(PLANTED)  # rebuilt here from the environment, as a worker does


def test_a_model_resolved_before_shipping_travels_as_its_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GROQ_API_KEY", "gsk-first-000000")
    agent = Agent(llmkit.model("groq/llama-3.3-70b", base_url="http://127.0.0.1:9/v1"))
    monkeypatch.setenv("GROQ_API_KEY", "gsk-other-000000")
    with pytest.raises(ConfigurationError, match="GROQ_API_KEY"):
        ship(AgentRun(agent, "hi"), what="the run")
    monkeypatch.delenv("GROQ_API_KEY")
    agent = Agent(llmkit.model("groq/llama-3.3-70b", base_url="http://127.0.0.1:9/v1"))
    copy = unship(ship(AgentRun(agent, "hi"), what="the run"))
    assert copy.agent.model.base_url == "http://127.0.0.1:9/v1"
    assert copy.agent.model.name == "groq/llama-3.3-70b"


def test_an_explicit_key_with_no_way_to_the_workers_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    agent = Agent(llmkit.model("openai/gpt-4.1-mini", api_key=PLANTED))
    with pytest.raises(ConfigurationError) as caught:
        ship(AgentRun(agent, "hi"), what="the run")
    assert "OPENAI_API_KEY" in str(caught.value)
    assert "api_key=" in str(caught.value)
    assert PLANTED not in str(caught.value)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-a-different-key-000")
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        ship(AgentRun(agent, "hi"), what="the run")


class AcmeModel(AnthropicModel):
    """A provider llmkit does not know, whose key lives in variables of its own."""

    provider = "acme"
    key_env = ("ACME_API_KEY", "ACME_KEY")


def test_a_new_provider_s_key_variables_are_read_from_its_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ACME_API_KEY", raising=False)
    monkeypatch.setenv("ACME_KEY", PLANTED)
    model = AcmeModel("acme-1", api_key=PLANTED, base_url="http://127.0.0.1:9")
    data = ship(AgentRun(Agent(model), "hi"), what="the run")  # the workers read ACME_KEY
    assert PLANTED.encode() not in data
    monkeypatch.delenv("ACME_KEY")
    with pytest.raises(ConfigurationError, match="Set ACME_API_KEY in the workers' environment"):
        ship(AgentRun(Agent(model), "hi"), what="the run")


def test_an_explicit_ollama_key_is_refused_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    hosted = llmkit.model("ollama/llama3.2", api_key=PLANTED, base_url="http://127.0.0.1:9")
    with pytest.raises(ConfigurationError, match="Set OLLAMA_API_KEY"):
        ship(AgentRun(Agent(hosted), "hi"), what="the run")
    monkeypatch.setenv("OLLAMA_API_KEY", PLANTED)
    from_env = llmkit.model("ollama/llama3.2", base_url="http://127.0.0.1:9")
    copy = unship(ship(AgentRun(Agent(from_env), "hi"), what="the run"))
    assert copy.agent.model.holds_key(PLANTED)


def test_an_unpicklable_tool_is_named_before_anything_runs() -> None:
    lock = threading.Lock()

    @tool
    def guarded(a: int) -> int:
        """Add one under a lock."""
        with lock:
            return a + 1

    agent = Agent("openai/gpt-4.1-mini", tools=[guarded])
    with pytest.raises(UsageError) as caught:
        ship(AgentRun(agent, "hi"), what="batch item 3")
    message = str(caught.value)
    assert message.startswith("batch item 3 cannot be sent to Ray workers")
    assert "lock" in message
    assert "module-level" in message


def test_an_unpicklable_output_type_is_named() -> None:
    class Report(BaseModel):
        """An output type holding an open socket (it cannot pickle)."""

        title: str
        channel: ClassVar[socket.socket] = socket.socket()

    try:
        agent = Agent("openai/gpt-4.1-mini", output_type=Report)
        with pytest.raises(UsageError, match=r"output_type\.channel \(a socket\)"):
            ship(AgentRun(agent, "hi"), what="the run")
    finally:
        Report.channel.close()


def test_ray_missing_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingExtraError) as caught:
        _ray_local.import_ray(local=False)
    assert caught.value.extra == "ray"
    assert "llmkit[ray]" in str(caught.value)


@pytest.mark.anyio
async def test_a_cluster_address_where_nothing_answers_is_a_clear_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ray = _ray_local.import_ray(local=False)
    with pytest.raises(ConfigurationError, match="nothing answers there"):
        await _ray_local.connect(ray, f"127.0.0.1:{port}", timeout=5.0)
    with pytest.raises(ConfigurationError, match="nothing answers there"):
        await _ray_local.connect(ray, f"ray://127.0.0.1:{port}", timeout=5.0)


def test_a_local_cluster_starts_with_the_metadata_probe_sent_to_a_closed_loopback_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "grpc_proxy",
        "no_proxy",
        "NO_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)
    with _ray_local.loopback_env() as back:
        assert os.environ["http_proxy"] == "http://127.0.0.1:9"
        assert "127.0.0.1" in os.environ["no_proxy"].split(",")
        assert os.environ[GRPC] == ""  # Ray's own gRPC goes to no proxy
    assert back == {
        "grpc_proxy": "",
        "http_proxy": "",
        "HTTP_PROXY": "",
        "no_proxy": "",
        "NO_PROXY": "",
    }
    assert "http_proxy" not in os.environ and GRPC not in os.environ
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    with _ray_local.loopback_env() as back:
        assert "http_proxy" not in os.environ  # the user's proxy takes the probe, as any request
        assert os.environ[GRPC] == ""
    assert back == {"grpc_proxy": ""}
    assert os.environ["HTTPS_PROXY"] == "http://proxy.example:3128"


def test_starting_ray_after_usearch_is_a_clear_error_not_an_abort(tmp_path: Path) -> None:
    pytest.importorskip("usearch")
    script = (
        "import asyncio, usearch\n"
        "from llmkit.workflow._ray import RayExecutor\n"
        "try:\n"
        "    asyncio.run(RayExecutor().start())\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ConfigurationError")
    assert "index='hnsw'" in done.stdout
