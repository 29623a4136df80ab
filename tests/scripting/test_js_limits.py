"""The JavaScript engine's sandbox levels and limits: the same typed errors as Lua's."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmkit.errors import UsageError
from llmkit.scripting import (
    EnginePool,
    ScriptLimitError,
    ScriptSandboxError,
    ScriptTimeoutError,
)
from llmkit.scripting import javascript as js

pytestmark = pytest.mark.anyio

WITHHELD_IN_STRICT = [
    "eval('1')",
    "new Function('return 1')",
    "(() => {}).constructor('return 1')",
    "(async () => {}).constructor('return 1')",
    "WebAssembly.Module",
    "require('x')",
]


@pytest.mark.parametrize("code", WITHHELD_IN_STRICT)
async def test_strict_withholds_code_from_strings_and_modules(code: str) -> None:
    with js.Engine(sandbox="strict") as engine:
        with pytest.raises(ScriptSandboxError) as info:
            await engine.run(f"let a = 1;\n{code}", name="s.js")
        assert info.value.line == 2


async def test_a_violation_cannot_be_swallowed_even_by_a_busy_loop() -> None:
    code = "try { eval('1') } catch (e) {}\nwhile (true) {}"
    with js.Engine(sandbox="strict", timeout=30) as engine:
        with pytest.raises(ScriptSandboxError):
            await engine.run(code)
        assert (await engine.run("return 1")).value == 1


async def test_standard_requires_modules_beside_the_script(tmp_path: Path) -> None:
    (tmp_path / "helpers.js").write_text("module.exports = { twice: (x) => 2 * x };")
    (tmp_path / "main.js").write_text("const h = await require(params.name);\nreturn h.twice(4);")
    with js.Engine(sandbox="standard", modules=["helpers"]) as engine:
        main = tmp_path / "main.js"
        assert (await engine.run_file(main, params={"name": "helpers"})).value == 8
        for name in ("other", "../etc/passwd"):
            with pytest.raises(ScriptSandboxError, match="require"):
                await engine.run_file(main, params={"name": name})
        with pytest.raises(ScriptSandboxError):
            await engine.run("eval('1')")


async def test_permissive_allows_code_from_strings() -> None:
    with js.Engine(sandbox="permissive") as engine:
        assert (await engine.run("return eval('1 + 1')")).value == 2


async def test_a_busy_loop_stops_at_the_timeout() -> None:
    with js.Engine(timeout=0.5) as engine:
        with pytest.raises(ScriptTimeoutError) as info:
            await engine.run("print('started')\nwhile (true) {}")
        assert info.value.kind == "timeout"
        assert (await engine.run("return 2")).value == 2


async def test_deep_recursion_is_a_recursion_limit() -> None:
    with js.Engine() as engine:
        with pytest.raises(ScriptLimitError) as info:
            await engine.run("const f = (n) => f(n + 1) + 1\nf(0)")
        assert info.value.kind == "recursion"


@pytest.mark.parametrize(
    "code",
    [
        "try { f(0) } catch (e) {}\nreturn 'survived'",
        "try { f(0) } catch {}\nreturn 'survived'",
        "try { f(0) } catch ({ message }) {}\nreturn 'survived'",
        "try { f(0) } catch ({ message: m, ...rest }) { return m }\nreturn 'survived'",
        "try { f(0) } catch (e) { try { f(0) } catch (again) {} }\nreturn 'survived'",
        "const g = async (n) => g(n + 1)\nreturn await g(0).catch(() => 'survived')",
        "const g = async (n) => g(n + 1)\nreturn (await Promise.allSettled([g(0)])).length",
    ],
)
async def test_a_caught_recursion_still_ends_the_run(code: str) -> None:
    with js.Engine() as engine:
        with pytest.raises(ScriptLimitError) as info:
            await engine.run("const f = (n) => f(n + 1) + 1\n" + code)
        assert info.value.kind == "recursion"
        assert (
            await engine.run("try { throw new RangeError('mine') } catch (e) { return 2 }")
        ).value == 2


async def test_output_past_its_limit_stops_the_script() -> None:
    with js.Engine(max_output=100) as engine:
        with pytest.raises(ScriptLimitError) as info:
            await engine.run("for (let i = 0; i < 100; i++) { await output('0123456789') }")
        assert info.value.kind == "output"


def test_instruction_counts_are_refused_with_what_to_pass() -> None:
    with pytest.raises(UsageError, match="timeout"):
        js.Engine(max_instructions=1000)


BOMB = "const a = []; while (true) { a.push(new Array(10000).fill(1)) }"


async def test_an_isolate_out_of_memory_is_replaced_and_the_engine_goes_on() -> None:
    with js.Engine(max_memory="32MB") as engine:
        with pytest.raises(ScriptLimitError) as info:
            await engine.run(BOMB)
        assert info.value.kind == "memory"
        assert engine.broken
        assert (await engine.run("return 3")).value == 3


async def test_the_pool_keeps_serving_after_an_isolate_ran_out_of_memory() -> None:
    pool = EnginePool("js", size=1, max_memory="32MB")
    try:
        with pytest.raises(ScriptLimitError):
            await pool.run(BOMB)
        assert (await pool.run("return 'still here'")).value == "still here"
    finally:
        pool.close()
