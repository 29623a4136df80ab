"""The surface of llmkit.testing: pinned names, lazy imports, a clear message without the extra."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import llmkit.testing


def run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout.strip()


def test_public_names_are_pinned() -> None:
    assert llmkit.testing.__all__ == [
        "Exchange",
        "FakeProviderServer",
        "Fault",
        "FunctionModel",
        "Match",
        "Matcher",
        "NetworkBlockedError",
        "Observation",
        "RecordedRequest",
        "Scenario",
        "ScenarioFailed",
        "ScenarioResult",
        "ScriptExhaustedError",
        "ScriptedModel",
        "TestModel",
        "all_of",
        "allow_network",
        "any_of",
        "anything",
        "approx",
        "at_least",
        "at_most",
        "block_network",
        "calls_tool",
        "calls_tools",
        "contains",
        "default_responder",
        "event",
        "failed_at",
        "fake_model",
        "has",
        "instance_of",
        "matches",
        "not_",
        "observe",
        "output_matches",
        "raises",
        "says",
        "script_workflow",
        "state_has",
        "step_ran",
        "steps_in_order",
        "tool_call",
        "tool_returned",
        "usage",
    ]
    for name in llmkit.testing.__all__:
        value = getattr(llmkit.testing, name)
        assert value.__doc__, name
    assert set(llmkit.testing.__all__) <= set(dir(llmkit.testing))


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = llmkit.testing.Nope


def test_importing_the_kit_and_the_plugin_loads_no_server() -> None:
    loaded = run_python(
        "import json, sys\n"
        "import llmkit.testing, llmkit.testing.pytest_plugin\n"
        "from llmkit.testing import Fault, ScriptedModel, tool_call\n"
        "ScriptedModel(['hi']).generate_sync\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('starlette', 'uvicorn', 'h11', 'llmkit.testing.server'))))"
    )
    assert json.loads(loaded) == []


def test_server_loads_its_dependencies_on_first_use() -> None:
    loaded = run_python(
        "import sys\nfrom llmkit.testing import FakeProviderServer\n"
        "print('starlette' in sys.modules, 'uvicorn' in sys.modules)"
    )
    assert loaded == "True True"


@pytest.mark.parametrize("missing", ["starlette", "uvicorn"])
def test_missing_extra_names_the_install_command(missing: str) -> None:
    out = run_python(
        f"import sys\nsys.modules[{missing!r}] = None\n"
        "from llmkit.testing import ScriptedModel\n"
        "ScriptedModel(['still works'])\n"
        "try:\n    from llmkit.testing import FakeProviderServer\n"
        "except Exception as exc:\n    print(type(exc).__name__, '|', exc)\n"
    )
    kind, _, message = out.partition(" | ")
    assert kind == "MissingExtraError"  # a ConfigurationError: the setup lacks the extra
    assert "pip install 'llmkit[testing]'" in message
