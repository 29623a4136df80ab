"""TestModel: no script; every tool called once with valid arguments, then a valid answer."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import uuid
from collections import Counter
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field

from llmkit import Agent, Message, Request, ToolSpec, tool
from llmkit.errors import UsageError
from llmkit.events import RunEnd, ToolCallEvent
from llmkit.providers.base import Capabilities
from llmkit.testing import ScriptedModel, TestModel

pytest_plugins = ["pytester"]

CALLS: Counter[str] = Counter()


class Priority(enum.Enum):
    LOW = "low"
    HIGH = "high"


class Address(BaseModel):
    street: str
    postcode: Annotated[str, Field(pattern=r"^\d{5}$")]
    country: Literal["FR", "DE"] = "FR"


class Customer(BaseModel):
    name: Annotated[str, Field(min_length=2, max_length=20)]
    age: Annotated[int, Field(ge=18, le=120)]
    address: Address
    tags: list[str] = []


@dataclasses.dataclass
class Window:
    start: datetime.datetime
    minutes: Annotated[int, Field(gt=0, multiple_of=15)]


@tool
def plain(city: str, days: int, metric: bool, ratio: float) -> str:
    """Scalars of every kind."""
    CALLS["plain"] += 1
    return f"{city}:{days}:{metric}:{ratio}"


@tool
def nested(customer: Customer, priority: Priority, note: str | None = None) -> str:
    """A nested model, an enum, an optional."""
    CALLS["nested"] += 1
    return f"{customer.name} {customer.address.postcode} {priority.value}"


@tool
def collections(ids: Annotated[list[int], Field(min_length=2)], scores: dict[str, float]) -> int:
    """Lists and maps."""
    CALLS["collections"] += 1
    return len(ids) + len(scores)


@tool
def formats(
    day: datetime.date,
    ident: uuid.UUID,
    window: Window,
    code: Annotated[str, Field(pattern=r"^[A-Z]{2}\d{3}$")],
) -> str:
    """Dates, uuids, a dataclass, a pattern."""
    CALLS["formats"] += 1
    return f"{day.isoformat()} {ident} {window.minutes} {code}"


@tool
def no_arguments() -> str:
    """Takes nothing."""
    CALLS["no_arguments"] += 1
    return "done"


TOOLS = [plain, nested, collections, formats, no_arguments]
NAMES = ["plain", "nested", "collections", "formats", "no_arguments"]


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    CALLS.clear()


def test_every_tool_is_called_once_then_it_answers() -> None:
    model = TestModel()
    result = Agent(model, tools=TOOLS).run_sync("Go")
    assert Counter(dict.fromkeys(NAMES, 1)) == CALLS
    assert len(model.requests) == 2 and len(result.steps) == 2
    tool_message = result.messages[2]
    assert not any(r.is_error for r in tool_message.tool_results), tool_message.tool_results
    answer = json.loads(result.output)
    assert list(answer) == NAMES
    assert answer["plain"] == "example:1:True:1.5"
    assert answer["nested"] == "example 00000 low"
    assert answer["collections"] == "2"


@pytest.mark.anyio
async def test_it_streams_the_same_run() -> None:
    agent = Agent(TestModel(), tools=TOOLS)
    events = [event async for event in agent.stream("Go")]
    called = [e.call.name for e in events if isinstance(e, ToolCallEvent)]
    assert sorted(called) == sorted(NAMES)
    final = events[-1]
    assert isinstance(final, RunEnd) and final.result.status == "complete"


def test_call_tools_picks_a_subset_and_tool_choice_is_obeyed() -> None:
    Agent(TestModel(call_tools=["formats", "plain"]), tools=TOOLS).run_sync("Go")
    assert Counter({"formats": 1, "plain": 1}) == CALLS
    model = TestModel()
    specs = [t.spec for t in TOOLS]
    none = model.generate_sync(Request([Message.user("x")], tools=specs, tool_choice="none"))
    assert none.tool_calls == [] and none.text == "success (no tool calls)"
    named = model.generate_sync(Request([Message.user("x")], tools=specs, tool_choice="formats"))
    assert [c.name for c in named.tool_calls] == ["formats"]


def test_one_call_per_answer_when_parallel_calls_are_off() -> None:
    model = TestModel()
    agent = Agent(model, tools=TOOLS, model_settings={"parallel_tool_calls": False})
    result = agent.run_sync("Go")
    assert Counter(dict.fromkeys(NAMES, 1)) == CALLS
    assert len(model.requests) == len(NAMES) + 1
    assert all(len(s.tool_calls) <= 1 for s in result.steps)


def test_a_new_user_message_calls_the_tools_again() -> None:
    agent = Agent(TestModel(), tools=[plain])
    first = agent.run_sync("one")
    agent.run_sync("two", message_history=first.messages)
    assert CALLS["plain"] == 2


def test_custom_text_and_a_plain_answer_without_tools() -> None:
    assert Agent(TestModel()).run_sync("hi").output == "success (no tool calls)"
    assert Agent(TestModel(custom_output_text="Bonjour")).run_sync("hi").output == "Bonjour"


class Ticket(BaseModel):
    """A support ticket, with every kind of field."""

    title: str
    priority: Priority
    customer: Customer
    assignee: str | None = None
    labels: list[Literal["bug", "feature"]]
    due: datetime.date | None = None


@dataclasses.dataclass
class Reading:
    sensor: str
    value: Annotated[float, Field(ge=-40, le=85)]


OUTPUT_TYPES: list[Any] = [
    Ticket,
    Reading,
    Ticket | Reading,
    list[Customer],
    int,
    float,
    bool,
    Literal["yes", "no"],
    Priority,
    dict[str, int],
    datetime.date,
    tuple[int, str],
]


@pytest.mark.parametrize("mode", ["native", "tool", "prompted"])
@pytest.mark.parametrize("output_type", OUTPUT_TYPES, ids=repr)
def test_structured_output_validates_in_every_mode(output_type: Any, mode: str) -> None:
    from pydantic import TypeAdapter

    agent: Agent[Any] = Agent(
        TestModel(),
        tools=[plain],
        output_type=output_type,
        output_mode=mode,  # type: ignore[arg-type]
    )
    result = agent.run_sync("Go")
    assert Counter({"plain": 1}) == CALLS
    assert result.status == "complete" and len(result.steps) == 2
    TypeAdapter(output_type).validate_python(result.output)


def test_auto_mode_follows_the_capabilities() -> None:
    for caps in (
        Capabilities(),
        Capabilities(structured_output=False),
        Capabilities(tools=False, structured_output=False),
    ):
        model = TestModel(capabilities=caps)
        result = Agent(model, output_type=Ticket).run_sync("Go")
        assert isinstance(result.output, Ticket)


def test_custom_output_args_is_the_answer() -> None:
    ticket = {
        "title": "Broken",
        "priority": "high",
        "customer": {"name": "Ada", "age": 36, "address": {"street": "Main", "postcode": "12345"}},
        "labels": ["bug"],
    }
    for mode in ("native", "tool", "prompted"):
        agent = Agent(TestModel(custom_output_args=ticket), output_type=Ticket, output_mode=mode)  # type: ignore[arg-type]
        assert agent.run_sync("x").output.customer.name == "Ada"
    scalar = Agent(TestModel(custom_output_args=7), output_type=int, output_mode="tool")
    assert scalar.run_sync("x").output == 7


def test_it_answers_plain_requests_with_sync_twins() -> None:
    model = TestModel()
    spec = ToolSpec(
        "lookup",
        parameters={
            "type": "object",
            "properties": {"q": {"type": "string", "minLength": 9}},
            "required": ["q"],
        },
    )
    first = model.generate_sync(Request([Message.user("hi")], tools=[spec]))
    assert first.tool_calls[0].arguments == {"q": "examplexx"}
    events = list(model.stream_sync(Request([Message.user("hi")])))
    assert events[-1].response.text == "success (no tool calls)"  # type: ignore[attr-defined]
    assert len(model.embed_sync(["a"])[0]) == 8


def test_bad_options_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="call_tools"):
        TestModel(call_tools="plain")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="custom_output_text"):
        TestModel(custom_output_text=3)  # type: ignore[arg-type]


def test_pytest_does_not_collect_it(pytester: pytest.Pytester) -> None:
    assert TestModel.__test__ is False
    assert ScriptedModel.__name__ == "ScriptedModel"
    pytester.makepyfile(
        """
        from llmkit import Agent
        from llmkit.testing import TestModel

        def test_agent():
            assert Agent(TestModel()).run_sync("hi").output == "success (no tool calls)"
        """
    )
    result = pytester.runpytest(
        "-W", "error::pytest.PytestCollectionWarning", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)
