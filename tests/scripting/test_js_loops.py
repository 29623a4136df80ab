"""Loop marks: each loop's condition calls the probe with its line, and nothing else changes."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest

from llmkit.scripting import ScriptLimitError, ScriptTimeoutError
from llmkit.scripting import javascript as js
from llmkit.scripting.javascript._loops import mark_loops

pytestmark = pytest.mark.anyio


def step_clock() -> itertools.count[float]:
    """Readings a hundredth of a second apart: setting a run up spends none of its time."""
    return itertools.count(0.0, 0.01)


def test_each_catch_block_calls_its_probe_first_on_the_same_line() -> None:
    code = "try {} catch (e) { x }\ntry {} catch { }\ntry {} catch ({ a }) {}\nq.catch(f)"
    assert mark_loops(code, "P", catch_probe="C") == (
        "try {} catch (e) { C(e); x }\n"
        "try {} catch ($llmkit$error) { C($llmkit$error); }\n"
        "try {} catch ($llmkit$error) { C($llmkit$error); let { a } = $llmkit$error;}\n"
        "q.catch(f)"
    )
    assert mark_loops(code, "P") == code


def test_a_destructuring_catch_binding_moves_into_its_block_on_the_same_lines() -> None:
    code = "try {} catch ([a,\n b = 2]) {\n y }\nwhile (1) {}"
    assert mark_loops(code, "P", catch_probe="C") == (
        "try {} catch ($llmkit$error) { C($llmkit$error); let [a,\n b = 2] = $llmkit$error;\n"
        " y }\n"
        "while (P(4) && (1)) {}"
    )
    # a loop inside the pattern (in a default value) would move with it: the source is kept
    inside = "try {} catch ({ a = (() => { for (;;) {} })() }) {}"
    assert mark_loops(inside, "P", catch_probe="C") == inside


async def test_a_destructured_error_gives_its_fields_and_a_failed_pattern_throws_on() -> None:
    code = """let got;
try { throw Object.assign(new Error("boom"), { code: 7 }); }
catch ({ message, code: c = 1, extra = "none" }) { got = [message, c, extra]; }
try { try { throw null; } catch ({ message }) { got.push("unreached"); } }
catch (e) { got.push(e instanceof TypeError); }
return got;"""
    with js.Engine() as engine:
        assert (await engine.run(code)).value == ["boom", 7, "none", True]


def test_each_loop_condition_calls_the_probe_with_its_line() -> None:
    code = (
        "let a = 1;\n"
        "while (a < 3) { a++; }\n"
        "for (let i = 0; i < f(a, b); i++) {}\n"
        "for (;;) {}\n"
        "do { a-- } while (a > 0);\n"
    )
    assert mark_loops(code, "P") == (
        "let a = 1;\n"
        "while (P(2) && (a < 3)) { a++; }\n"
        "for (let i = 0;P(3) && ( i < f(a, b)); i++) {}\n"
        "for (; P(4);) {}\n"
        "do { a-- } while (P(5) && (a > 0));\n"
    )


@pytest.mark.parametrize(
    "code",
    [
        'const s = "while (x) {}";',
        "const s = 'for (;;) {}';",
        "const t = `for (;;) ${ {a: 'while (y)'}.a } while (z)`;",
        "// while (c) {}",
        "/* for (;;) {} */",
        "const r = /while (x)/g;",
        "const q = a / b; const r = x.replace(/for (;;)/, '');",
        "for (const x of xs) {}",
        "for (const k in o) {}",
        "for await (const x of xs) {}",
        "o.while(1); o.for(2);",
    ],
)
def test_text_that_only_looks_like_a_loop_is_left_alone(code: str) -> None:
    assert mark_loops(code, "P") == code


def test_a_loop_inside_a_loop_condition_gets_its_own_mark() -> None:
    code = "while (g(() => { while (y) {} })) {}"
    assert mark_loops(code, "P") == "while (P(1) && (g(() => { while (P(1) && (y)) {} }))) {}"


async def test_a_busy_loop_in_a_function_names_the_loops_line() -> None:
    with js.Engine(timeout=0.3, clock=step_clock().__next__) as engine:
        code = "function spin() {\n  let n = 0;\n  for (;;) { n++; }\n}\n\nspin();\n"
        with pytest.raises(ScriptTimeoutError) as info:
            await engine.run(code)
        assert info.value.line == 3


async def test_a_busy_loop_after_an_await_names_the_loops_line() -> None:
    # the script goes on in promise callbacks, outside any call a timeout could cut short
    engine = js.Engine(timeout=0.3, clock=step_clock().__next__, globals={"echo": lambda x: x})
    with engine:
        with pytest.raises(ScriptTimeoutError) as info:
            await engine.run("await echo(1);\n\nwhile (true) {}")
        assert info.value.line == 3
        assert (await engine.run("return await echo(2);")).value == 2


async def test_a_source_the_marks_misread_runs_as_written() -> None:
    with js.Engine() as engine:
        code = "class A { while(x) { return x + 1 } }\nreturn new A().while(2)"
        assert (await engine.run(code)).value == 3


async def test_a_wait_on_a_host_call_names_the_line_of_the_call() -> None:
    async def hang() -> None:
        await asyncio.Event().wait()

    with js.Engine(timeout=0.3, clock=step_clock().__next__, globals={"hang": hang}) as engine:
        with pytest.raises(ScriptTimeoutError) as info:
            await engine.run("const a = 1;\n\nawait hang();\n")
        assert info.value.line == 3
        assert info.value.traceback.startswith("time limit:")
        assert "at <script>:" in info.value.traceback


async def test_a_wait_after_a_loop_names_the_line_of_the_wait() -> None:
    async def hang() -> None:
        await asyncio.Event().wait()

    with js.Engine(timeout=0.3, clock=step_clock().__next__, globals={"hang": hang}) as engine:
        await engine.run("let n = 0;\nwhile (n < 3) { n++; }\n")
        with pytest.raises(ScriptTimeoutError) as info:
            await engine.run("let s = 0;\nfor (let i = 0; i < 5; i++) { s += i; }\nawait hang();\n")
        assert info.value.line == 3  # the call it waits on, not the loop it left


def test_a_slash_after_a_paren_read_both_ways_leaves_a_string_as_written() -> None:
    code = 'if (s) /"/.test(s); const msg = "while (x) more";\nwhile (go) {}'
    assert mark_loops(code, "P") == code


async def test_a_regex_after_a_paren_keeps_the_string_that_follows() -> None:
    code = 'const s = "a";\nif (s) /"/.test(s); const msg = "while (x) more";\nreturn msg;'
    with js.Engine() as engine:
        assert (await engine.run(code)).value == "while (x) more"


async def test_a_busy_loop_in_a_required_module_names_the_modules_line(tmp_path: Path) -> None:
    (tmp_path / "busy.js").write_text(
        "module.exports.spin = () => {\n  let n = 0;\n\n  while (n >= 0) { n++; }\n};\n"
    )
    (tmp_path / "main.js").write_text(
        "let k = 0;\nwhile (k < 3) { k++; }\nconst b = await require('busy');\nb.spin();\n"
    )
    with js.Engine(sandbox="standard", timeout=0.3, clock=step_clock().__next__) as engine:
        with pytest.raises(ScriptTimeoutError) as info:
            await engine.run_file(tmp_path / "main.js")
        module = str(tmp_path / "busy.js")
        assert info.value.line is None  # no line of main.js: the script's own loop ended
        assert f"in a loop at {module}:4" in str(info.value)
        assert info.value.traceback.endswith(f"at {module}:4")
        # the next run, in the script itself, names the script's line again
        with pytest.raises(ScriptTimeoutError) as info:
            await engine.run("\nwhile (true) {}")
        assert (info.value.line, info.value.traceback) == (2, "")


async def test_a_module_the_marks_misread_runs_as_written(tmp_path: Path) -> None:
    (tmp_path / "odd.js").write_text(
        "class A { while(x) { return x + 1 } }\nmodule.exports = new A().while(2);\n"
    )
    with js.Engine(sandbox="standard") as engine:
        (tmp_path / "m.js").write_text("return await require('odd');")
        assert (await engine.run_file(tmp_path / "m.js")).value == 3


async def test_a_recursion_caught_in_a_module_still_ends_the_run(tmp_path: Path) -> None:
    (tmp_path / "deep.js").write_text(
        "const f = (n) => f(n + 1) + 1;\n"
        "module.exports = () => { try { f(0); } catch ({ message }) { return message; } };\n"
    )
    (tmp_path / "main.js").write_text("const d = await require('deep');\nreturn d();\n")
    with js.Engine(sandbox="standard") as engine:
        with pytest.raises(ScriptLimitError) as info:
            await engine.run_file(tmp_path / "main.js")
        assert info.value.kind == "recursion"
