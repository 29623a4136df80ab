"""The package surface: the public names, lazy imports, and a cheap ``import llmkit``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import llmkit


def test_public_names_are_pinned() -> None:
    assert llmkit.__all__ == [
        "Agent",
        "AgentError",
        "AudioPart",
        "BatchResult",
        "DocumentPart",
        "Embeddings",
        "Hook",
        "ImagePart",
        "InProcessExecutor",
        "LLMKitError",
        "Message",
        "Model",
        "ModelResponse",
        "OutputSchema",
        "ProviderError",
        "RayExecutor",
        "Reasoning",
        "ReasoningDelta",
        "ReasoningPart",
        "Request",
        "Response",
        "RunContext",
        "RunResult",
        "TextDelta",
        "TextPart",
        "Tool",
        "ToolCall",
        "ToolCallDelta",
        "ToolError",
        "ToolResult",
        "ToolSpec",
        "Toolbox",
        "Usage",
        "UsageError",
        "UsageLimits",
        "__version__",
        "batch",
        "batch_sync",
        "bus",
        "consensus",
        "fallback",
        "handoff",
        "model",
        "race",
        "record",
        "replay",
        "tool",
        "with_hooks",
        "workflow",
    ]
    assert llmkit.__all__ == sorted(llmkit.__all__)


def test_tools_public_names_are_pinned() -> None:
    import llmkit.tools

    assert llmkit.tools.__all__ == [
        "ArgumentsError",
        "CallTimeoutError",
        "Docstring",
        "ErrorMode",
        "MCPToolset",
        "SchemaTool",
        "Tool",
        "ToolInfo",
        "ToolReturn",
        "Toolbox",
        "checkpoint",
        "parse_docstring",
        "to_content",
        "tool",
    ]
    assert llmkit.tools.checkpoint.__doc__


def test_every_public_name_resolves_and_has_a_docstring() -> None:
    for name in llmkit.__all__:
        value = getattr(llmkit, name)
        if name != "__version__":
            assert (value.__doc__ or "").strip(), name


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="nope"):
        llmkit.nope  # type: ignore[attr-defined]  # noqa: B018


def test_version_is_a_string() -> None:
    assert isinstance(llmkit.__version__, str) and llmkit.__version__.count(".") == 2


HEAVY = [
    "httpx2",
    "httpx",
    "pydantic",
    "starlette",
    "uvicorn",
    "anyio",
    "lupa",
    "ray",
    "mcp",
    "numpy",
    "opentelemetry",
]


def modules_after(code: str) -> list[str]:
    script = f"import sys; {code}; import json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    modules: list[str] = json.loads(out)
    return modules


def loaded_after(code: str) -> list[str]:
    modules = modules_after(code)
    return [m for m in HEAVY if m in modules]


def test_import_llmkit_loads_no_heavy_module() -> None:
    assert loaded_after("import llmkit") == []


def test_data_types_load_no_heavy_module() -> None:
    assert loaded_after("import llmkit; llmkit.Message.user('hi'); llmkit.Request") == []


def test_building_an_agent_with_text_output_loads_no_heavy_module() -> None:
    assert loaded_after("from llmkit import Agent; Agent('openai/gpt-4.1-mini')") == []


def test_building_a_model_loads_the_transport_but_not_the_testing_kit() -> None:
    loaded = loaded_after("import llmkit; llmkit.model('llamacpp/x')")
    assert "starlette" not in loaded and "uvicorn" not in loaded


def test_an_agent_loads_the_text_readers_only_when_one_is_used() -> None:
    readers = ["llmkit.output._detect", "llmkit.output._extract", "llmkit.output._xml"]
    built = modules_after("from llmkit import Agent; Agent('openai/gpt-4.1-mini')")
    assert [m for m in readers if m in built] == []
    used = modules_after("from llmkit.output import extract")
    assert [m for m in readers if m in used] == readers


def test_the_workflow_package_loads_ray_s_executor_only_when_it_is_used() -> None:
    ray_modules = ["llmkit.workflow._ray", "llmkit.workflow._ray_ship", "pickle"]
    loaded = modules_after("import llmkit.workflow")
    assert [m for m in ray_modules if m in loaded] == []
    used = modules_after("from llmkit.workflow import RayExecutor")
    assert "llmkit.workflow._ray" in used
