"""What Agent(...) and run(...) accept: every wrong type is a UsageError that says what to pass.

And ``model_settings`` carries every request field it may name.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

import pytest

from llmkit import Agent, Message, Reasoning, Request, UsageLimits, handoff, tool
from llmkit.errors import UsageError
from llmkit.run import ResumeOptions, RunOptions, RunResult
from llmkit.testing import ScriptedModel, tool_call

pytestmark = pytest.mark.anyio


def scripted() -> ScriptedModel:
    return ScriptedModel(["ok"] * 3)


# --------------------------------------------------------------- model_settings

SAMPLES: dict[str, Any] = {
    "tool_choice": "auto",
    "temperature": 0.2,
    "top_p": 0.9,
    "max_tokens": 32,
    "stop": ["END"],
    "seed": 7,
    "reasoning": Reasoning(effort="low"),
    "parallel_tool_calls": False,
    "extra": {"top_k": 20},
}


def test_the_samples_cover_every_request_field_a_setting_may_name() -> None:
    built_by_the_agent = {"messages", "tools", "output_schema"}
    fields = {f.name for f in dataclasses.fields(Request)} - built_by_the_agent
    assert set(SAMPLES) == fields  # a new Request field needs a sample here


@pytest.mark.parametrize(("key", "value"), SAMPLES.items(), ids=list(SAMPLES))
async def test_every_model_setting_reaches_the_request(key: str, value: Any) -> None:
    @tool
    def ping() -> str:
        """Answers pong."""
        return "pong"

    model = ScriptedModel([tool_call("ping"), "done"])
    result = await Agent(model, tools=[ping], model_settings={key: value}).run("go")
    assert result.output == "done"
    assert [getattr(request, key) for request in model.requests] == [value, value]
    assert [t.name for t in model.requests[0].tools] == ["ping"]


def test_tool_choice_in_model_settings_works_with_run_sync() -> None:
    model = scripted()
    agent = Agent(model, model_settings={"tool_choice": "auto"})
    assert agent.run_sync("hi").output == "ok"
    assert model.requests[0].tool_choice == "auto"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("temperature=0", "takes a dict of request fields"),
        ({"temprature": 0.1}, "Unknown model_settings: temprature"),
        ({"messages": []}, "Unknown model_settings: messages"),
        ({"tools": []}, "Unknown model_settings: tools"),
    ],
)
def test_bad_model_settings_are_usage_errors(settings: Any, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Agent(scripted(), model_settings=settings)


def test_an_unknown_setting_is_named_with_every_accepted_key() -> None:
    with pytest.raises(UsageError) as caught:
        Agent(scripted(), model_settings={"temprature": 1})  # type: ignore[typeddict-unknown-key]
    assert str(caught.value) == (
        "Unknown model_settings: temprature. Accepted: extra, max_tokens, "
        "parallel_tool_calls, reasoning, seed, stop, temperature, tool_choice, top_p."
    )


# ------------------------------------------------------------- Agent(...) options

AGENT_OPTIONS: list[tuple[dict[str, Any], str]] = [
    ({"timeout": "5"}, "timeout= takes a positive number of seconds"),
    ({"timeout": 0}, "timeout= takes a positive number of seconds"),
    ({"timeout": float("nan")}, "timeout= takes a positive number of seconds"),
    ({"name": 3}, "name= takes a non-empty string"),
    ({"name": ""}, "name= takes a non-empty string"),
    ({"description": 3}, "description= takes a string"),
    ({"instructions": 3}, "instructions= takes a string, or a function"),
    ({"tools": "calculator"}, "tools= takes a list of tools"),
    ({"tools": 3}, "tools= takes a list of tools"),
    ({"handoffs": "billing"}, "handoffs= takes a list of agents"),
    ({"hooks": 3}, "hooks= takes a list of hooks"),
    ({"max_steps": "3"}, "max_steps must be an integer of at least 1"),
    ({"max_steps": True}, "max_steps must be an integer of at least 1"),
    ({"tool_retries": 1.5}, "tool_retries must be an integer of at least 0"),
    ({"output_retries": -1}, "output_retries must be an integer of at least 0"),
    ({"usage_limits": {"max_requests": 2}}, "usage_limits= takes an llmkit.UsageLimits"),
    ({"tool_errors": "ignore"}, "tool_errors='ignore'"),
    ({"bus": "default"}, "bus= takes an llmkit.bus.Bus"),
    ({"output_mode": "json"}, "output_mode='json'"),
]


@pytest.mark.parametrize(
    ("options", "message"), AGENT_OPTIONS, ids=[next(iter(o)) for o, _ in AGENT_OPTIONS]
)
def test_a_wrong_agent_option_is_a_usage_error(options: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Agent(scripted(), **options)


def test_none_means_no_tools_handoffs_or_hooks() -> None:
    agent = Agent(scripted(), tools=None, handoffs=None, hooks=None)  # type: ignore[arg-type]
    assert agent.tools == [] and agent.handoffs == [] and agent.hooks == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_requests", "3"), ("max_output_tokens", 1.5), ("max_cost", "1"), ("max_requests", True)],
)
def test_usage_limits_of_the_wrong_type_are_usage_errors(field: str, value: Any) -> None:
    with pytest.raises(UsageError, match=f"UsageLimits\\({field}=...\\) must be 0 or more"):
        UsageLimits(**{field: value})


# --------------------------------------------------------------- run(...) options


def history() -> list[Message]:
    return [Message.user("earlier"), Message.assistant("noted")]


RUN_OPTIONS: list[tuple[str, Any, dict[str, Any], str]] = [
    ("input-list-with-an-int", ["hi", 3], {}, r"input\[1\] has type int"),
    ("input-empty-list", [], {}, "empty list"),
    ("input-int", 3, {}, "An input is text, a Message, or a list"),
    ("input-bytes", b"hi", {}, "An input is text, a Message, or a list"),
    ("history-str", "hi", {"message_history": "x"}, "message_history= takes a list"),
    ("history-dict", "hi", {"message_history": {"role": "user"}}, "message_history= takes a list"),
    (
        "history-list-of-dicts",
        "hi",
        {"message_history": [{"role": "user", "text": "x"}]},
        r"message_history\[0\] has type dict.*Message.from_dict",
    ),
    ("timeout-str", "hi", {"timeout": "5"}, "timeout= takes a positive number"),
    ("timeout-zero", "hi", {"timeout": 0}, "timeout= takes a positive number"),
    ("max-steps-str", "hi", {"max_steps": "3"}, "max_steps must be an integer"),
    ("max-steps-zero", "hi", {"max_steps": 0}, "max_steps must be an integer"),
    (
        "usage-limits-dict",
        "hi",
        {"usage_limits": {"max_requests": 1}},
        "takes an llmkit.UsageLimits",
    ),
    ("hooks-int", "hi", {"hooks": 3}, "hooks= takes a list of hooks"),
]


@pytest.mark.parametrize(
    ("user_input", "options", "message"),
    [case[1:] for case in RUN_OPTIONS],
    ids=[case[0] for case in RUN_OPTIONS],
)
@pytest.mark.parametrize("how", ["run", "stream"])
async def test_a_wrong_run_option_is_a_usage_error_and_calls_no_model(
    user_input: Any, options: dict[str, Any], message: str, how: str
) -> None:
    model = scripted()
    agent = Agent(model)
    with pytest.raises(UsageError, match=message):
        if how == "run":
            await agent.run(user_input, **options)
        else:
            async for _ in agent.stream(user_input, **options):
                pass
    assert model.requests == []


def test_a_run_result_as_history_says_to_pass_its_messages() -> None:
    agent = Agent(scripted())
    first = agent.run_sync("hi")
    with pytest.raises(UsageError, match="pass result.messages"):
        agent.run_sync("again", message_history=first)  # type: ignore[arg-type]


def test_a_good_history_and_a_list_input_still_run() -> None:
    model = scripted()
    result = Agent(model).run_sync(["look:", "twice"], message_history=tuple(history()))
    assert result.output == "ok"
    assert [m.role for m in model.requests[0].messages] == ["user", "assistant", "user"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda agent, paused: agent.resume_sync("paused", approvals={}), "takes the RunResult"),
        (
            lambda agent, paused: agent.resume_sync(paused, approvals=["c1"]),
            "approvals= takes a dict",
        ),
        (
            lambda agent, paused: agent.resume_sync(paused, approvals={}, timeout="9"),
            "timeout= takes a positive number",
        ),
    ],
    ids=["result-str", "approvals-list", "timeout-str"],
)
def test_wrong_resume_options_are_usage_errors(
    call: Callable[[Agent[str], Any], Any], message: str
) -> None:
    @tool(requires_approval=True)
    def delete(path: str) -> str:
        """Delete a file."""
        return "deleted"

    agent = Agent(ScriptedModel([tool_call("delete", path="x"), "done"]), tools=[delete])
    paused = agent.run_sync("clean up")
    assert paused.paused
    with pytest.raises(UsageError, match=message):
        call(agent, paused)


# ------------------------------------------------------------------- option names

RUN_METHODS = ["run", "run_sync", "stream", "stream_sync"]
RESUME_METHODS = ["resume", "resume_sync"]


def test_the_option_types_name_every_run_option() -> None:
    assert ResumeOptions.__optional_keys__ == {
        "deps",
        "usage_limits",
        "max_steps",
        "timeout",
        "hooks",
    }
    assert RunOptions.__optional_keys__ == ResumeOptions.__optional_keys__ | {
        "message_history",
        "store",
        "session",
        "run_id",
    }


@pytest.mark.parametrize(
    ("method", "option"),
    [(m, "nope") for m in RUN_METHODS + RESUME_METHODS]
    + [(m, "message_history") for m in RESUME_METHODS],
)
async def test_an_unknown_option_is_the_type_error_python_raises(method: str, option: str) -> None:
    model = scripted()
    agent = Agent(model)
    if method in RESUME_METHODS:
        args: tuple[Any, ...] = (RunResult(output=None, status="paused"),)
        kwargs: dict[str, Any] = {"approvals": {}, option: 1}
    else:
        args, kwargs = ("hi",), {option: 1}
    with pytest.raises(TypeError) as raised:
        # Raised by the call (a stream is not iterated); a coroutine raises it when awaited.
        value = getattr(agent, method)(*args, **kwargs)
        if inspect.isawaitable(value):
            await value
    assert str(raised.value) == f"Agent.{method}() got an unexpected keyword argument '{option}'"
    assert model.requests == []


@pytest.mark.parametrize("method", RUN_METHODS + RESUME_METHODS)
def test_each_run_method_lists_its_options(method: str) -> None:
    options = ResumeOptions if method in RESUME_METHODS else RunOptions
    doc = getattr(Agent, method).__doc__
    assert "Options" in doc
    assert [key for key in options.__optional_keys__ if key not in doc] == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda agent: agent.load_result("{}"), "load_result\\(\\) takes the dict"),
        (lambda agent: agent.as_tool(name=3), "as_tool\\(name=...\\) takes a string"),
        (lambda agent: handoff("billing"), "handoff\\(\\) takes the Agent"),
        (lambda agent: handoff(agent, input_filter=3), "input_filter=...\\) takes a function"),
        (lambda agent: handoff(agent, tool_name="has space"), "not accepted by model providers"),
    ],
    ids=[
        "load_result-str",
        "as_tool-name-int",
        "handoff-str",
        "handoff-filter-int",
        "handoff-name",
    ],
)
def test_wrong_arguments_to_agent_helpers_are_usage_errors(
    call: Callable[[Agent[str]], Any], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        call(Agent(scripted()))
