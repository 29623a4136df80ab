"""docs/scripting.md's module reference is the one the bridges' docstrings give."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmkit.scripting import Bridge
from llmkit.scripting._reference import js_name, reference, update

PAGE = Path(__file__).resolve().parents[2] / "docs" / "scripting.md"


def test_the_reference_in_the_docs_is_current() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert update(page) == page, (
        "docs/scripting.md is stale: run python -m llmkit.scripting._reference docs/scripting.md"
    )


def test_every_default_module_and_function_is_in_the_reference() -> None:
    text = reference()
    for name in ("json", "log", "state", "promise", "llm", "agent", "tools", "events"):
        assert f"### `{name}`" in text
    assert "`agent.create(spec)`" in text
    assert "`obj:run_async(prompt)`" in text
    assert "`output(value)`" in text


def test_a_bridge_function_without_a_docstring_is_refused() -> None:
    from llmkit.errors import UsageError

    bridge = Bridge("x", "doc")
    with pytest.raises(UsageError, match="docstring"):
        bridge.function(lambda host: None)


def test_each_entry_gives_the_lua_and_the_javascript_form() -> None:
    text = reference()
    assert "- `llm.generate_async(request)` · JS `await llm.generateAsync(request)` —" in text
    assert "- `obj:run_async(prompt)` · JS `await obj.runAsync(prompt)` —" in text
    assert (
        "- `memory.count_tokens(model, text)` · JS `await memory.countTokens(model, text)`" in text
    )
    assert "- `output(value)` · JS `await output(value)` —" in text
    assert "Data keys are the same in both languages" in text


@pytest.mark.anyio
async def test_the_javascript_names_of_the_reference_are_those_a_script_sees() -> None:
    from llmkit.scripting import javascript as js
    from llmkit.scripting.bridges import bridge_names, load_bridge

    missing = []
    with js.Engine() as engine:
        for name in bridge_names():
            bridge = load_bridge(name)
            where = "globalThis" if bridge.flat else name
            for key in bridge.functions:
                found = await engine.run(f"return typeof {where}.{js_name(key)}")
                if found.value != "function":
                    missing.append(f"{where}.{js_name(key)}")
        methods = "const a = await llm.agent({ model: 'openai/x', api_key: 'k' }); return typeof a.runAsync"
        assert (await engine.run(methods)).value == "function"
    assert missing == []
