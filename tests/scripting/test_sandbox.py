"""The sandbox levels: what strict, standard and permissive scripts can reach."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmkit.errors import UsageError
from llmkit.scripting import ScriptError, ScriptSandboxError, lua

pytestmark = pytest.mark.anyio

WITHHELD_IN_STRICT = [
    "os.execute('true')",
    "io.open('/etc/passwd')",
    "require('x')",
    "load('return 1')",
    "loadstring('return 1')",
    "dofile('/etc/passwd')",
    "loadfile('/etc/passwd')",
    "debug.getinfo(1)",
    "string.dump(print)",
    "local s = ''; s.dump(print)",
    "collectgarbage('collect')",
    "python.eval('1')",
    "package.loaded.x = 1",
]


@pytest.mark.parametrize("code", WITHHELD_IN_STRICT)
async def test_strict_withholds_each_library(code: str) -> None:
    with lua.Engine(sandbox="strict") as engine:
        with pytest.raises(ScriptSandboxError) as info:
            await engine.run(f"local a = 1\n{code}", name="s.lua")
        assert info.value.line == 2


async def test_a_violation_cannot_be_swallowed_by_pcall() -> None:
    code = "for i = 1, 10 do pcall(function() return os.execute('true') end) end\nreturn 'went on'"
    with lua.Engine(sandbox="strict") as engine, pytest.raises(ScriptSandboxError):
        await engine.run(code)


async def test_strict_keeps_pure_computation() -> None:
    code = """return { string.upper('a'), ('x'):rep(3), table.concat({1, 2}, ','), math.floor(2.5),
                      utf8.char(233), select('#', 1, 2), collectgarbage('count') > 0 }"""
    with lua.Engine(sandbox="strict") as engine:
        assert (await engine.run(code)).value == ["A", "xxx", "1,2", 2, "é", 2, True]


async def test_scripts_cannot_reach_python_attributes() -> None:
    def f() -> None: ...

    with lua.Engine(sandbox="permissive", globals={"f": f}) as engine:
        with pytest.raises(ScriptError):
            await engine.run("return f.__globals__")
        assert (await engine.run("return python")).value is None


async def test_standard_adds_time_and_modules_beside_the_script(tmp_path: Path) -> None:
    (tmp_path / "helpers.lua").write_text("return { twice = function(x) return 2 * x end }")
    (tmp_path / "main.lua").write_text(
        "local h = require('helpers')\nreturn { h.twice(4), type(os.time()), type(os.clock()) }"
    )
    with lua.Engine(sandbox="standard") as engine:
        assert (await engine.run_file(tmp_path / "main.lua")).value == [8, "number", "number"]
        for code in ("os.execute('true')", "os.getenv('HOME')", "io.open('x')", "load('x')"):
            with pytest.raises(ScriptSandboxError):
                await engine.run(code)


async def test_standard_require_refuses_paths_and_unlisted_modules(tmp_path: Path) -> None:
    (tmp_path / "ok.lua").write_text("return 1")
    (tmp_path / "other.lua").write_text("return 2")
    (tmp_path / "main.lua").write_text("return require(params.name)")
    with lua.Engine(sandbox="standard", modules=["ok"]) as engine:
        assert (await engine.run_file(tmp_path / "main.lua", params={"name": "ok"})).value == 1
        for name in ("other", "../etc/passwd", "/etc/passwd"):
            with pytest.raises(ScriptSandboxError, match="require"):
                await engine.run_file(tmp_path / "main.lua", params={"name": name})


async def test_permissive_is_the_whole_library() -> None:
    with lua.Engine(sandbox="permissive") as engine:
        result = await engine.run(
            "return { type(io.open), type(os.execute), type(load), type(debug) }"
        )
    assert result.value == ["function", "function", "function", "table"]


async def test_a_script_cannot_change_string_methods_for_the_next_one() -> None:
    with lua.Engine(sandbox="strict") as engine:
        with pytest.raises(ScriptError):
            await engine.run("getmetatable('').__index = { upper = function() return 'x' end }")
        assert (await engine.run("return ('a'):upper()")).value == "A"


@pytest.mark.parametrize("suffix", [".lua", ".js"])
async def test_a_module_that_is_not_utf8_text_is_a_clear_error(tmp_path: Path, suffix: str) -> None:
    from llmkit.scripting import create_engine

    (tmp_path / f"bad{suffix}").write_bytes(b"return '\xff\xfe'")
    main = tmp_path / f"main{suffix}"
    main.write_text("return require('bad')" if suffix == ".lua" else "return require('bad');")
    with (
        create_engine(main, sandbox="standard") as engine,
        pytest.raises((ScriptError, UsageError), match="cannot be read as UTF-8"),
    ):
        await engine.run_file(main)
