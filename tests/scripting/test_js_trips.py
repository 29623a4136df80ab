"""The JavaScript driver's traffic: few trips into the isolate, plain values straight through JSON."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import pytest

from llmkit.errors import UsageError
from llmkit.scripting import ScriptSandboxError
from llmkit.scripting import javascript as js
from llmkit.scripting.javascript._values import MARK, Converter

pytestmark = pytest.mark.anyio


async def _trips(engine: js.Engine, function: str, *args: Any) -> tuple[Any, int]:
    before = engine.isolate_trips()
    value = await engine.call(function, *args)
    return value, engine.isolate_trips() - before


async def test_a_host_call_costs_one_trip_and_one_answered_later_no_more() -> None:
    async def later(x: int) -> int:
        await asyncio.sleep(0)
        return x + 1

    code = """function bare(x) { return x; }
async function once(x) { return await echo(x); }
async function slow(x) { return await later(x); }"""
    with js.Engine(globals={"echo": lambda x: x, "later": later}, interactive=True) as engine:
        await engine.run(code)
        assert await _trips(engine, "bare", 1) == (1, 1)
        # start gives the host call; its answer and the fetch of what followed go together
        assert await _trips(engine, "once", 2) == (2, 2)
        # an answer that comes later is settled, and what the script sent fetched, in one trip
        assert await _trips(engine, "slow", 3) == (4, 2)


def test_the_engine_serves_one_event_loop_after_another() -> None:
    engine = js.Engine(globals={"echo": lambda x: x}, interactive=True)

    async def run(x: int) -> Any:
        return (await engine.run(f"return await echo({x});")).value

    async def violation() -> None:
        await engine.run("try { eval('1'); } catch (e) {}")

    try:
        # each asyncio.run makes a loop of its own, and closes it at the end
        assert [asyncio.run(run(i)) for i in range(3)] == [0, 1, 2]
        with pytest.raises(ScriptSandboxError):
            asyncio.run(violation())
        assert asyncio.run(run(6)) == 6
        assert engine.run_sync("return await echo(7);").value == 7
    finally:
        engine.close()


class _NoEngine:
    """The converter's engine, for values that hold no function."""

    async def call_function(self, function: int, args: tuple[Any, ...]) -> Any:
        raise AssertionError("no script function is called here")


def _converter() -> Converter:
    return Converter(_NoEngine())


def _slow_path(value: Any) -> str:
    return json.dumps(_converter()._plain(value, 0, False), ensure_ascii=False)


@pytest.mark.parametrize(
    "value",
    [
        {"items": [{"name": f"ünï {i}", "n": i, "x": i / 3, "ok": i % 2 == 0} for i in range(50)]},
        ("a", (1, 2), [None, True]),
        {"text": '"quoted" \u2028 \U0001f600'},
        [[[[]]]],
    ],
)
def test_plain_data_is_encoded_as_the_converting_path_encodes_it(value: Any) -> None:
    assert _converter().encode(value) == _slow_path(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"f": math.nan, "g": [math.inf]}, '{"f": null, "g": [null]}'),
        ({1: "a", "b": b"hi"}, '{"1": "a", "b": "hi"}'),
    ],
)
def test_data_the_json_encoder_would_misread_takes_the_converting_path(
    value: Any, expected: str
) -> None:
    assert _converter().encode(value) == expected


def test_a_reserved_key_or_a_deep_value_is_refused_however_plain() -> None:
    converter = _converter()
    with pytest.raises(UsageError, match="reserved key"):
        converter.encode({"a": [{MARK: 1}]})
    deep: Any = "leaf"
    for _ in range(102):
        deep = [deep]
    with pytest.raises(UsageError, match="100 levels"):
        converter.encode(deep)


async def test_a_string_that_holds_the_mark_comes_back_as_it_was() -> None:
    text = f'{{"{MARK}": ["py", 1]}}'
    with js.Engine(globals={"echo": lambda x: x}) as engine:
        value = await engine.run("return [params.t, await echo(params.t)];", params={"t": text})
    assert value.value == [text, text]
