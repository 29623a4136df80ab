"""The pytest plugin works in a project that only installed llmkit: no conftest, no settings.

A new virtual environment (made without pip, to stay fast and offline) sees
the packages installed in this one through a ``.pth`` file, as if ``pip
install 'llmkit[testing]' pytest`` had put them there. A test file in a
temporary folder, outside this repository, then uses the kit's fixtures,
markers, ini option and cassettes (recorded with ``--llmkit-record``, then
replayed); pytest finds the plugin through its ``pytest11`` entry point alone.
"""

from __future__ import annotations

import os
import site
import subprocess
import textwrap
import venv
from pathlib import Path

import pytest

TESTS = """
import pytest
import llmkit
from llmkit import Agent, Message, Request, tool
from llmkit.testing import NetworkBlockedError, Scenario, calls_tool, says, tool_call


@tool
def lookup_order(order_id: int) -> dict:
    \"\"\"Look up an order.\"\"\"
    return {"order_id": order_id, "status": "delivered"}


support = Agent("openai/gpt-4.1-mini", tools=[lookup_order])


def test_scenario_over_the_fake_server(llmkit_fake_server):
    s = Scenario(support, over_http="anthropic", server=llmkit_fake_server)
    s.user("Where is order 42?")
    s.model_calls_tool("lookup_order", order_id=42)
    s.model_says("Order 42 was delivered.")
    s.expect(calls_tool("lookup_order", order_id=42), says(contains="delivered"))
    s.run()


@pytest.mark.parametrize("protocol", ["openai", "gemini"])
def test_model_factory(llmkit_fake_server, llmkit_model, protocol):
    llmkit_fake_server.script(["Paris."])
    answer = llmkit_model(protocol).generate_sync(Request(messages=[Message.user("Capital?")]))
    assert answer.text == "Paris."


def test_scripted_model_fixture(llmkit_scripted_model):
    with support.override(model=llmkit_scripted_model(["Hello!"])):
        assert support.run_sync("hi").output == "Hello!"


def test_reaching_a_provider_fails():  # the ini option's guard makes this one fail
    remote = llmkit.model("openai/gpt-4.1-mini", base_url="http://192.0.2.1/v1", api_key="sk-x")
    try:
        remote.generate_sync(Request(messages=[Message.user("hi")]))
    except NetworkBlockedError:
        pass  # caught, yet the test fails


@pytest.mark.llmkit_cassette("delivered")
def test_cassette(llmkit_cassette, llmkit_fake_server):
    llmkit_fake_server.script([tool_call("lookup_order", order_id=42), "Delivered."])
    agent = Agent(llmkit.model("openai/gpt-4.1-mini", base_url=llmkit_fake_server.openai_base_url,
                               api_key="sk-fresh-project-key-0123456789"), tools=[lookup_order])
    with llmkit_cassette.use(agent):
        assert agent.run_sync("Where is order 42?").output == "Delivered."
    assert len(llmkit_fake_server.requests) == (2 if llmkit_cassette.recording else 0)


@pytest.fixture
def anyio_backend():  # llmkit runs on asyncio; anyio would also try trio when it is installed
    return "asyncio"


@pytest.mark.anyio  # anyio's pytest plugin comes with llmkit (httpx2 depends on anyio)
async def test_async_run_with_the_test_model():
    from llmkit.testing import TestModel

    with support.override(model=TestModel()):
        result = await support.run("Where is order 42?")
    assert "delivered" in result.output


@pytest.mark.llmkit_allow_network
def test_exempt_by_marker():
    from llmkit.testing.network import network_blocked

    assert not network_blocked()
"""


def _environment(root: Path) -> Path:
    """A virtual environment whose Python sees this environment's packages; its python."""
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    inner_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    # addsitedir, not a plain path line: the .pth files there (an editable llmkit) must run too.
    lines = [f"import site; site.addsitedir({p!r})" for p in site.getsitepackages()]
    Path(inner_site, "installed_packages.pth").write_text("\n".join(lines) + "\n")
    prefix = subprocess.run(
        [str(python), "-c", "import sys, llmkit; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    assert Path(prefix) == env_dir
    return python


@pytest.mark.llmkit_allow_network
def test_a_fresh_project_uses_the_plugin(tmp_path: Path) -> None:
    python = _environment(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_support.py").write_text(TESTS)
    (project / "pytest.ini").write_text(
        textwrap.dedent(
            """
            [pytest]
            addopts = --strict-markers -p no:cacheprovider
            llmkit_block_network = true
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "OPENAI", "LLMKIT"))}

    def pytest_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(python), "-m", "pytest", "-q", *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    for args in (["--llmkit-record"], []):  # record the cassette, then replay it
        done = pytest_run(*args)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "1 failed, 7 passed" in done.stdout
        assert "FAILED test_support.py::test_reaching_a_provider_fails" in done.stdout
        assert "network guard blocked (openai http://192.0.2.1/v1/chat/completions)" in done.stdout
    assert (project / "cassettes" / "delivered.jsonl").is_file()
