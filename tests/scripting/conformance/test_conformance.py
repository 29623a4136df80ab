"""Engine conformance: each behaviour is written once per engine and must do the same on every one.

``BEHAVIOURS`` is the table: a behaviour's name, what the fake server answers, the engine's
options and what the script must produce (a value, or an error of a type at a line). Its
scripts sit beside this file as ``<name>.lua`` and ``<name>.js``; one parametrised test runs
every behaviour on every engine, and a missing script fails with the engine and behaviour named.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from llmkit.scripting import (
    ScriptError,
    ScriptLimitError,
    ScriptSandboxError,
    ScriptTimeoutError,
    create_engine,
)
from llmkit.testing import FakeProviderServer, tool_call
from llmkit.types import Request

pytestmark = pytest.mark.anyio

HERE = Path(__file__).parent
ENGINES = {"lua": ".lua", "js": ".js"}


class StepClock:
    """A clock that moves a hundredth of a second each time it is read.

    Steps this small leave an engine room to read it a few dozen times while it sets a
    run up, so the time limit falls where the script waits or loops, not before it starts.
    """

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.01
        return self.now


def _both_at_once() -> Callable[[Request], Any]:
    """Answers that come only once two requests are inside the server together."""
    both_in = asyncio.Event()
    inside = 0

    async def answer(request: Request) -> str:
        nonlocal inside
        inside += 1
        if inside == 2:
            both_in.set()
        await asyncio.wait_for(both_in.wait(), 10)  # alone, it would wait for ever
        return "said " + request.messages[-1].text

    return answer


def _echo() -> Callable[[Request], Any]:
    async def answer(request: Request) -> str:
        return "said " + request.messages[-1].text

    return answer


async def _hang() -> None:
    await asyncio.Event().wait()  # never set: only the time limit ends it


@dataclass(frozen=True)
class Behaviour:
    """One behaviour: what the server answers, the engine's options, what the script produces."""

    name: str
    replies: Callable[[], Any] | None = None
    options: Callable[[], dict[str, Any]] = dict
    value: Any = None
    error: type[ScriptError] | None = None
    line: int | None = None
    """The script line the error names (None: it names none)."""
    kind: str | None = None
    """The kind of a limit error."""
    message: str = ""
    check: Callable[[FakeProviderServer, Any], None] | None = None
    then: Any = None
    """With ``then`` set, the script ``<name>_next`` runs next on the same engine and gives it."""


def _tool_result_reached_the_model(server: FakeProviderServer, engine: Any) -> None:
    sent = [m for m in server.requests[-1].json["messages"] if m["role"] == "tool"]
    assert sent[0]["content"] == "49"


def _no_subscription_outlives_the_run(server: FakeProviderServer, engine: Any) -> None:
    assert engine.bus.subscriptions == []


def _streamed(server: FakeProviderServer, engine: Any) -> None:
    assert [r.json.get("stream") for r in server.requests] == [True, True]


BEHAVIOURS = [
    Behaviour("call_model", lambda: ["Hello from the model."], value="Hello from the model."),
    Behaviour(
        "streaming",
        lambda: ["Tides rise and fall twice a day.", "Again."],
        value={
            "text": "Tides rise and fall twice a day.",
            "joined": "Tides rise and fall twice a day.",
            "several": True,
            "again": "Again.",
        },
        check=_streamed,
    ),
    Behaviour(
        "script_tool",
        lambda: [tool_call("square", x=7), "49"],
        value="49",
        check=_tool_result_reached_the_model,
    ),
    Behaviour("concurrency", _both_at_once, value=["said a", "said b"]),
    Behaviour("events", value=["report.ready:3"], check=_no_subscription_outlives_the_run),
    Behaviour("script_error", error=ScriptError, line=3, message="boom"),
    Behaviour(
        "sandbox_strict", options=lambda: {"sandbox": "strict"}, error=ScriptSandboxError, line=2
    ),
    Behaviour(
        "sandbox_standard",
        options=lambda: {"sandbox": "standard", "modules": ["helpers"]},
        error=ScriptSandboxError,
        line=2,
        message="not among the allowed modules",
    ),
    # Neither engine can name the line where the memory ran out: the error names none.
    Behaviour(
        "memory_limit",
        options=lambda: {"max_memory": "32MB"},
        error=ScriptLimitError,
        kind="memory",
        message="memory limit",
    ),
    Behaviour("recursion_limit", error=ScriptLimitError, line=1, kind="recursion"),
    # A script that catches the error still ends: the limit cannot be swallowed. (One line:
    # Lua names the line where control came back to the script, V8 the recursion's line.)
    Behaviour("recursion_caught", error=ScriptLimitError, line=1, kind="recursion"),
    # ... even when it takes the error's message apart (JavaScript's `catch ({ message })`).
    Behaviour("recursion_caught_message", error=ScriptLimitError, line=1, kind="recursion"),
    Behaviour(
        "output_limit",
        options=lambda: {"max_output": 100},
        error=ScriptLimitError,
        line=2,
        kind="output",
    ),
    Behaviour(
        "time_limit",
        options=lambda: {"timeout": 0.5, "clock": StepClock()},
        error=ScriptTimeoutError,
        line=2,
    ),
    Behaviour(
        "time_limit_loop",
        options=lambda: {"timeout": 0.5, "clock": StepClock()},
        error=ScriptTimeoutError,
        line=3,
    ),
    Behaviour("workflow", _echo, value=["TIDES", "said TIDES", [5, "tides!"], "small"]),
    Behaviour("timers", value=["zero", "ticks:3"], then="none"),
    Behaviour(
        "isolation",
        options=lambda: {"sandbox": "standard"},
        value="tampered",
        then=["a", "own", "[1]", "absent", "function"],
    ),
    Behaviour(
        "isolation",
        options=lambda: {"sandbox": "strict"},
        value="tampered",
        then=["a", "own", "[1]", "absent", "function"],
    ),
]


@pytest.fixture
def server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer() as s:
        yield s


def test_every_script_here_belongs_to_a_behaviour() -> None:
    names = {b.name for b in BEHAVIOURS} | {b.name + "_next" for b in BEHAVIOURS if b.then}
    stray = [p.name for p in HERE.iterdir() if p.suffix in ENGINES.values() and p.stem not in names]
    assert stray == []


@pytest.mark.parametrize("engine_name", sorted(ENGINES))
@pytest.mark.parametrize("behaviour", BEHAVIOURS, ids=lambda b: b.name + _sandbox(b))
async def test_behaviour(
    behaviour: Behaviour, engine_name: str, server: FakeProviderServer
) -> None:
    path = HERE / (behaviour.name + ENGINES[engine_name])
    if not path.is_file():
        pytest.fail(f"engine {engine_name} lacks behaviour {behaviour.name}: write {path.name}")
    if behaviour.replies is not None:
        server.script(behaviour.replies())
    options = {"globals": {"hang": _hang}, **behaviour.options()}
    with create_engine(engine_name, **options) as engine:
        engine.expose("BASE", server.openai_base_url)
        if behaviour.error is None:
            result = await engine.run_file(path)
            assert result.value == behaviour.value
        else:
            with pytest.raises(behaviour.error) as info:
                await engine.run_file(path)
            assert behaviour.message in info.value.message
            assert info.value.line == behaviour.line
            if behaviour.kind is not None:
                assert isinstance(info.value, ScriptLimitError)
                assert info.value.kind == behaviour.kind
        if behaviour.check is not None:
            behaviour.check(server, engine)
        if behaviour.then is not None:
            following = await engine.run_file(
                path.with_name(behaviour.name + "_next" + path.suffix)
            )
            assert following.value == behaviour.then


def _sandbox(behaviour: Behaviour) -> str:
    sandbox = behaviour.options().get("sandbox")
    return "" if sandbox is None or behaviour.name.startswith("sandbox") else "-" + sandbox
