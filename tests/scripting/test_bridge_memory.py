"""The memory module and an agent's knowledge/memory options, through real Lua scripts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmkit.scripting import ScriptError, ScriptSandboxError, lua
from llmkit.testing import FakeProviderServer

pytestmark = pytest.mark.anyio

MODEL = 'model = "openai/gpt-4.1-mini", base_url = BASE, api_key = "test"'
EMBEDDER = 'embedder = "openai/text-embedding-3-small", base_url = BASE, api_key = "test"'


@pytest.fixture
def server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer() as s:
        yield s


def _engine(server: FakeProviderServer, **options: Any) -> lua.Engine:
    engine = lua.Engine(**options)
    engine.expose("BASE", server.openai_base_url)
    return engine


async def test_the_local_embedder_finds_texts_by_meaning(server: FakeProviderServer) -> None:
    code = """
      local store = memory.vectors{ embedder = "local" }
      local ids = store:add({ "Paris is the capital of France.",
                              "Photosynthesis turns sunlight into chemical energy in plants.",
                              "The stock market fell sharply on Tuesday." },
                            { ids = { "paris", "plants", "stocks" },
                              metadata = { { source = "atlas" }, { source = "bio" }, { source = "news" } } })
      local best = store:search("How do leaves make food from light?", { k = 1 })[1]
      local atlas = store:search("a city", { where = { source = "atlas" } })
      local removed = store:delete("stocks")
      return { ids = ids, best = best, atlas = #atlas, removed = removed, left = store:count() }"""
    with _engine(server) as engine:
        value = (await engine.run(code)).value
    assert value["ids"] == ["paris", "plants", "stocks"]
    assert (value["best"]["id"], value["best"]["metadata"]) == ("plants", {"source": "bio"})
    assert value["best"]["text"].startswith("Photosynthesis")
    assert 0 < value["best"]["score"] <= 1
    assert (value["atlas"], value["removed"], value["left"]) == (1, 1, 2)


async def test_a_store_in_a_file_beside_the_script_outlives_the_run(
    server: FakeProviderServer, tmp_path: Path
) -> None:
    script = tmp_path / "notes.lua"
    script.write_text(
        f"""local store = memory.vectors{{ path = "notes.db", {EMBEDDER} }}
        if params.add then store:add("The office is at 12 Harbour Street.", {{ ids = "office" }}) end
        return {{ store:count() }}"""
    )
    with _engine(server, sandbox="standard") as engine:
        assert (await engine.run_file(script, params={"add": True})).value == [1]
        assert (await engine.run_file(script)).value == [1]
    assert (tmp_path / "notes.db").is_file()
    assert server.requests[0].path.endswith("/embeddings")


async def test_the_sandbox_decides_where_a_store_file_may_be(
    server: FakeProviderServer, tmp_path: Path
) -> None:
    inner = tmp_path / "scripts"
    inner.mkdir()
    script = inner / "s.lua"
    script.write_text(f'return memory.vectors{{ path = "../out.db", {EMBEDDER} }}:count()')
    with (
        _engine(server, sandbox="standard") as engine,
        pytest.raises(ScriptSandboxError, match="under the script's folder"),
    ):
        await engine.run_file(script)
    with (
        _engine(server, sandbox="strict") as engine,
        pytest.raises(ScriptSandboxError, match="in memory"),
    ):
        await engine.run_file(script)
    assert not (tmp_path / "out.db").exists()
    with _engine(server, sandbox="permissive") as engine:
        assert (await engine.run_file(script)).value == 0
    assert (tmp_path / "out.db").is_file()


async def test_count_tokens(server: FakeProviderServer) -> None:
    with _engine(server) as engine:
        result = await engine.run(
            'return memory.count_tokens("openai/gpt-4.1-mini", "hello world")'
        )
    assert result.value == 2


async def test_an_agent_reads_its_knowledge_and_keeps_its_memory_short(
    server: FakeProviderServer,
) -> None:
    server.script(["first", "second"])
    code = f"""
      local store = memory.vectors{{ {EMBEDDER} }}
      store:add("Our office is at 12 Harbour Street.", {{ ids = "office", metadata = {{ source = "faq" }} }})
      local agent = llm.agent{{ {MODEL}, knowledge = store, retrieve_k = 1,
                                memory = {{ max_tokens = 1000, keep_last = 2 }} }}
      return agent:run("Where is the office?").output"""
    with _engine(server) as engine:
        assert (await engine.run(code)).value == "first"
    chat = server.requests[-1].json["messages"]
    assert any("12 Harbour Street" in str(m["content"]) for m in chat if m["role"] == "system")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ('memory.vectors{ embedder = "nope" }', 'embedder = "local"'),
        ('memory.vectors{ embedder = "local", size = 3 }', "unknown option size"),
        (f"llm.agent{{ {MODEL}, knowledge = {{}} }}", "memory.vectors"),
        (f"llm.agent{{ {MODEL}, memory = {{ max_toks = 5 }} }}", "unknown option max_toks"),
        ('memory.count_tokens("gpt", "x")', "provider/model"),
    ],
)
async def test_bad_options_are_usage_errors(
    server: FakeProviderServer, code: str, message: str
) -> None:
    with _engine(server) as engine, pytest.raises(ScriptError, match=message):
        await engine.run(code)
