"""@tool: schemas from signatures and docstrings, validation, calling, and signatures it refuses."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from enum import Enum
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from llmkit import RunContext, Tool, tool
from llmkit.errors import UsageError
from llmkit.tools import ToolReturn

pytestmark = pytest.mark.anyio


class Color(Enum):
    RED = "red"
    BLUE = "blue"


class Point(BaseModel):
    x: int
    y: int


@dataclasses.dataclass
class Box:
    width: float
    height: float


def test_schema_from_hints_defaults_annotated_and_docstring() -> None:
    @tool
    def paint(
        ctx: RunContext[str],
        color: Color,
        at: Point,
        size: Annotated[int, Field(description="Brush size in px.", ge=1)] = 3,
        mode: Literal["fill", "stroke"] = "fill",
        box: Box | None = None,
    ) -> str:
        """Paint a dot.

        Args:
            color: Which colour.
            size: Ignored: the Annotated description wins.
        """
        return "ok"

    assert paint.name == "paint"
    assert paint.description == "Paint a dot."
    assert paint.takes_ctx
    params = paint.spec.parameters
    assert params["type"] == "object"
    assert params["additionalProperties"] is False
    assert params["required"] == ["color", "at"]
    props = params["properties"]
    assert list(props) == ["color", "at", "size", "mode", "box"]  # ctx is not shown
    assert props["color"]["description"] == "Which colour."
    assert props["size"] == {
        "description": "Brush size in px.",
        "minimum": 1,
        "type": "integer",
        "default": 3,
    }
    assert props["mode"]["enum"] == ["fill", "stroke"]
    assert props["mode"]["default"] == "fill"
    assert "Point" in params["$defs"] and "Box" in params["$defs"]
    assert "title" not in str(params)


def test_a_property_named_title_is_kept() -> None:
    @tool
    def publish(title: str, json: str, copy: bool = False) -> None:
        """Publish a post."""

    assert list(publish.spec.parameters["properties"]) == ["title", "json", "copy"]
    assert publish.validate({"title": "Hi", "json": "{}"}) == {"title": "Hi", "json": "{}"}


def test_options_and_plain_call() -> None:
    @tool(name="sum_two", description="Adds.", timeout=2, requires_approval=True, strict=True)
    def add(a: int, b: int) -> int:
        return a + b

    assert isinstance(add, Tool)
    assert add(2, 3) == 5  # still callable as the function
    assert add.spec.name == "sum_two" and add.spec.description == "Adds."
    assert add.spec.strict is True and add.timeout == 2 and add.requires_approval


def test_validate_converts_and_rejects() -> None:
    @tool
    def move(to: Point, steps: int = 1) -> str:
        return ""

    kwargs = move.validate({"to": {"x": "1", "y": 2}})
    assert kwargs == {"to": Point(x=1, y=2)}
    with pytest.raises(ValidationError):
        move.validate({"to": {"x": "one", "y": 2}})
    with pytest.raises(ValidationError):
        move.validate({"to": {"x": 1, "y": 2}, "speed": 3})  # unknown argument
    with pytest.raises(ValidationError):
        move.validate({})


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def f(*args: int) -> None: ...", r"parameter 'args' is \*args"),
        ("def f(**kw: int) -> None: ...", r"parameter 'kw' is \*\*kw"),
        ("def f(a) -> None: ...", "parameter 'a' has no type hint"),
        ("def f(a: int, ctx: RunContext[int]) -> None: ...", "must be the first parameter"),
        ("def f(_a: int) -> None: ...", "starts with an underscore"),
        ("def f(a: threading.Lock) -> None: ...", "parameter 'a' cannot become a JSON schema"),
    ],
)
def test_signatures_that_cannot_become_a_schema(source: str, message: str) -> None:
    namespace: dict[str, Any] = {"RunContext": RunContext, "threading": threading}
    exec(source, namespace)
    with pytest.raises(UsageError, match=message) as info:
        tool(namespace["f"])
    assert "Tool 'f'" in str(info.value)


def test_bad_names_and_options() -> None:
    with pytest.raises(UsageError, match="not accepted by model providers"):
        tool(name="has space")(lambda: None)
    with pytest.raises(UsageError, match="errors="):
        tool(errors="ignore")(len)  # type: ignore[call-overload]
    with pytest.raises(UsageError, match="timeout"):
        tool(timeout=0)(len)


@pytest.mark.parametrize("timeout", ["5", float("nan"), True, -1])
def test_a_timeout_that_is_not_a_positive_number_is_a_usage_error(timeout: Any) -> None:
    with pytest.raises(UsageError, match="positive number of seconds"):
        tool(timeout=timeout)(len)


async def test_call_sync_in_a_thread_async_and_positional_only() -> None:
    seen: list[str] = []

    @tool
    def where() -> str:
        seen.append(threading.current_thread().name)
        return "ok"

    @tool(run_in_thread=False)
    def here() -> str:
        seen.append(threading.current_thread().name)
        return "ok"

    @tool
    async def wait(seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "waited"

    @tool
    def pos(a: int, b: int = 2, /) -> int:
        return a * 10 + b

    assert await where.call(None, {}) == "ok"
    assert await here.call(None, {}) == "ok"
    assert seen[0] != threading.current_thread().name
    assert seen[1] == threading.current_thread().name
    assert wait.is_async and await wait.call(None, {"seconds": 0}) == "waited"
    assert await pos.call(None, pos.validate({"a": 1})) == 12
    assert await pos.call(None, pos.validate({"a": 1, "b": 5})) == 15


async def test_timeout_and_context() -> None:
    @tool(timeout=0.01)
    async def slow() -> None:
        await asyncio.sleep(5)

    with pytest.raises(TimeoutError):
        await slow.call(None, {})

    @tool
    def who(ctx: RunContext[str]) -> ToolReturn:
        return ToolReturn(ctx.deps)

    result = await who.call(RunContext("alice"), {})
    assert result.value == "alice"
