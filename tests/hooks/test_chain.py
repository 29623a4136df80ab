"""The hook protocol through agent runs: order, changes, short-circuits, errors."""

from __future__ import annotations

from typing import Any

import pytest

from llmkit import Agent, Message, Request, Response, ToolCall, ToolResult, tool
from llmkit.errors import (
    GuardrailTripped,
    HookError,
    ServerError,
    UsageError,
    UsageLimitExceeded,
)
from llmkit.events import ModelResponse, TextDelta
from llmkit.hooks import Hook, HookContext, with_hooks
from llmkit.testing import Fault, ScriptedModel, tool_call

pytestmark = pytest.mark.anyio

ran: list[tuple[str, int]] = []


@tool(run_in_thread=False)
def add(a: int, b: int) -> int:
    """Add two integers."""
    ran.append(("add", a + b))
    return a + b


@pytest.fixture(autouse=True)
def _clear() -> None:
    ran.clear()


class Trace(Hook):
    """Notes every call it gets, sync methods."""

    def __init__(self, label: str, log: list[str], priority: int = 0) -> None:
        self.label = label
        self.log = log
        self.priority = priority

    def before_run(self, ctx: HookContext) -> None:
        self.log.append(f"{self.label}.before_run")

    def after_run(self, ctx: HookContext, result: Any) -> None:
        self.log.append(f"{self.label}.after_run")

    def before_model(self, ctx: HookContext, request: Request) -> None:
        self.log.append(f"{self.label}.before_model")

    def after_model(self, ctx: HookContext, request: Request, response: Response) -> None:
        self.log.append(f"{self.label}.after_model")

    def before_tool(self, ctx: HookContext, call: ToolCall) -> None:
        self.log.append(f"{self.label}.before_tool")

    def after_tool(self, ctx: HookContext, call: ToolCall, result: ToolResult) -> None:
        self.log.append(f"{self.label}.after_tool")


class AsyncTrace:
    """A duck-typed hook (no base class) with async methods only."""

    priority = 10

    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def before_model(self, ctx: HookContext, request: Request) -> None:
        self.log.append("async.before_model")

    async def after_model(self, ctx: HookContext, request: Request, response: Response) -> None:
        self.log.append("async.after_model")


def agent(*script: Any, **options: Any) -> Agent[str]:
    return Agent(ScriptedModel(list(script)), tools=[add], **options)


async def test_hooks_wrap_like_middleware_in_priority_order() -> None:
    log: list[str] = []
    outer, inner = Trace("outer", log, priority=5), Trace("inner", log)
    result = await agent("4", hooks=[inner, outer, AsyncTrace(log)]).run("2+2?")
    assert result.output == "4"
    assert log == [
        "outer.before_run",
        "inner.before_run",
        "async.before_model",
        "outer.before_model",
        "inner.before_model",
        "inner.after_model",
        "outer.after_model",
        "async.after_model",
        "inner.after_run",
        "outer.after_run",
    ]


async def test_tool_hooks_see_each_call() -> None:
    log: list[str] = []
    await agent(tool_call("add", a=1, b=2), "3", hooks=[Trace("t", log)]).run("1+2?")
    assert log.count("t.before_tool") == 1
    assert log.index("t.before_tool") < log.index("t.after_tool") < log.index("t.after_run")


async def test_run_hooks_are_added_to_the_agents_for_one_run() -> None:
    log: list[str] = []
    bot = agent("a", "b", hooks=[Trace("agent", log)])
    await bot.run("x", hooks=[Trace("run", log)])
    assert "run.before_run" in log and "agent.before_run" in log
    log.clear()
    await bot.run("y")
    assert log and all(entry.startswith("agent.") for entry in log)


async def test_before_model_can_change_the_request() -> None:
    class Shout(Hook):
        def before_model(self, ctx: HookContext, request: Request) -> Request:
            return Request([Message.user(request.messages[-1].text.upper())])

    model = ScriptedModel(["ok"])
    await Agent(model, hooks=[Shout()]).run("quiet please")
    assert model.requests[0].messages[-1].text == "QUIET PLEASE"


async def test_before_model_can_answer_instead_of_the_model() -> None:
    log: list[str] = []
    served: list[str | None] = []

    class Canned(Hook):
        priority = 1

        def before_model(self, ctx: HookContext, request: Request) -> Response:
            return Response(Message.assistant("canned"))

    class Outer(Hook):
        priority = 9

        def after_model(self, ctx: HookContext, request: Request, response: Response) -> None:
            served.append(ctx.served_by)

    model = ScriptedModel(["never"])
    result = await Agent(model, hooks=[Trace("inner", log), Canned(), Outer()]).run("hi")
    assert result.output == "canned"
    assert model.requests == []
    assert "inner.before_model" not in log and "inner.after_model" not in log
    assert served == ["Canned"]


async def test_a_hook_answer_streams_as_a_burst_of_events() -> None:
    class Canned(Hook):
        def before_model(self, ctx: HookContext, request: Request) -> Response:
            return Response(Message.assistant("from the hook"))

    events = [e async for e in Agent(ScriptedModel([]), hooks=[Canned()]).stream("hi")]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "from the hook"


async def test_after_model_changes_the_final_stream_event_and_the_history() -> None:
    class Polite(Hook):
        def after_model(self, ctx: HookContext, request: Request, response: Response) -> Response:
            return Response(Message.assistant(response.text + ", please"), response.usage)

    bot = Agent(ScriptedModel(["sit"]), hooks=[Polite()])
    events = [e async for e in bot.stream("command?")]
    final = [e for e in events if isinstance(e, ModelResponse)]
    assert final[-1].response.text == "sit, please"
    result = events[-1].result  # type: ignore[union-attr]
    assert result.output == "sit, please"
    assert result.messages[-1].text == "sit, please"


async def test_before_tool_can_change_the_arguments() -> None:
    class Double(Hook):
        def before_tool(self, ctx: HookContext, call: ToolCall) -> dict[str, int]:
            return {k: v * 2 for k, v in call.arguments.items()}

    result = await agent(tool_call("add", a=1, b=2), "done", hooks=[Double()]).run("1+2?")
    assert ran == [("add", 6)]
    assert result.messages[2].tool_results[0].text == "6"
    # The conversation keeps what the model asked for.
    assert result.messages[1].tool_calls[0].arguments == {"a": 1, "b": 2}


async def test_arguments_a_hook_breaks_go_back_to_the_model_as_an_error() -> None:
    class Break(Hook):
        def before_tool(self, ctx: HookContext, call: ToolCall) -> dict[str, str]:
            return {"a": "one"}

    result = await agent(tool_call("add", a=1, b=2), "sorry", hooks=[Break()]).run("1+2?")
    answer = result.messages[2].tool_results[0]
    assert answer.is_error and "Invalid arguments for add" in answer.text
    assert ran == []


async def test_before_tool_can_answer_instead_of_the_tool() -> None:
    class Stub(Hook):
        def before_tool(self, ctx: HookContext, call: ToolCall) -> ToolResult:
            return ToolResult(call.id, "stubbed", name=call.name)

    result = await agent(tool_call("add", a=1, b=2), "ok", hooks=[Stub()]).run("1+2?")
    assert ran == []
    assert result.messages[2].tool_results[0].text == "stubbed"


async def test_after_tool_can_change_the_result() -> None:
    class Annotate(Hook):
        async def after_tool(
            self, ctx: HookContext, call: ToolCall, result: ToolResult
        ) -> ToolResult:
            return ToolResult(result.call_id, f"{result.text} (checked)", name=result.name)

    result = await agent(tool_call("add", a=1, b=2), "ok", hooks=[Annotate()]).run("1+2?")
    assert result.messages[2].tool_results[0].text == "3 (checked)"


async def test_after_run_can_change_the_result() -> None:
    class Upper(Hook):
        def after_run(self, ctx: HookContext, result: Any) -> Any:
            result.output = result.output.upper()
            return result

    assert (await agent("quiet", hooks=[Upper()]).run("x")).output == "QUIET"


async def test_a_hook_that_raises_stops_the_run_naming_it_with_the_history_intact() -> None:
    class Broken(Hook):
        def after_tool(self, ctx: HookContext, call: ToolCall, result: ToolResult) -> None:
            raise ValueError("boom")

    history = [Message.user("earlier"), Message.assistant("noted")]
    bot = agent(tool_call("add", a=1, b=2), "never", hooks=[Broken()])
    with pytest.raises(HookError) as caught:
        await bot.run("1+2?", message_history=history)
    err = caught.value
    assert type(err) is HookError
    assert err.hook == "Broken" and err.point == "after_tool"
    assert "Broken" in str(err) and "ValueError" in str(err)
    assert isinstance(err.__cause__, ValueError)
    # Nothing lost: the history, the input, the model's call and an answer to it.
    assert [m.text for m in err.messages[:3]] == ["earlier", "noted", "1+2?"]
    assert err.messages[3].tool_calls[0].name == "add"
    assert err.messages[4].tool_results[0].call_id == err.messages[3].tool_calls[0].id
    assert err.usage.requests == 1


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ("after_run", "a RunResult"),
        ("before_model", "a Request, a Response"),
        ("after_model", "a Response"),
        ("before_tool", "a ToolCall, a dict of arguments, a ToolResult"),
        ("after_tool", "a ToolResult"),
    ],
)
async def test_a_hook_returning_the_wrong_type_is_named(point: str, expected: str) -> None:
    def wrong(ctx: HookContext, *args: Any) -> int:
        return 7

    hook = type("Wrong", (Hook,), {point: wrong})()
    with pytest.raises(HookError) as caught:
        await agent(tool_call("add", a=1, b=2), "3", hooks=[hook]).run("1+2?")
    assert str(caught.value).startswith(
        f"Hook 'Wrong' returned a int from {point}; return {expected} or None."
    )
    assert (caught.value.hook, caught.value.point) == ("Wrong", point)


async def test_what_before_run_returns_is_not_read() -> None:
    class Chatty(Hook):
        def before_run(self, ctx: HookContext) -> Any:
            return "ignored"

    assert (await agent("ok", hooks=[Chatty()]).run("hi")).output == "ok"


async def test_each_hook_sees_the_change_of_the_hook_before_it() -> None:
    class Plus(Hook):
        def __init__(self, priority: int) -> None:
            self.priority = priority

        def before_tool(self, ctx: HookContext, call: ToolCall) -> ToolCall:
            arguments = {"a": call.arguments["a"] + 1, "b": call.arguments["b"]}
            return ToolCall(call.id, call.name, arguments)

        def after_tool(self, ctx: HookContext, call: ToolCall, result: ToolResult) -> ToolResult:
            return ToolResult(result.call_id, f"{result.text}|a={call.arguments['a']}", name="add")

    result = await agent(tool_call("add", a=1, b=2), "ok", hooks=[Plus(2), Plus(1)]).run("1+2?")
    assert ran == [("add", 5)]
    assert result.messages[2].tool_results[0].text == "5|a=3|a=3"


async def test_a_tool_answer_from_a_hook_skips_the_hooks_inside_it() -> None:
    log: list[str] = []
    served: list[str | None] = []

    class Stub(Hook):
        name = "stub"
        priority = 1

        def before_tool(self, ctx: HookContext, call: ToolCall) -> ToolResult:
            return ToolResult(call.id, "stubbed", name=call.name)

        def after_tool(self, ctx: HookContext, call: ToolCall, result: ToolResult) -> None:
            log.append("stub.after_tool")

    class Outer(Hook):
        priority = 9

        def after_tool(self, ctx: HookContext, call: ToolCall, result: ToolResult) -> None:
            served.append(ctx.served_by)
            log.append(f"outer saw {result.text}")

    bot = agent(tool_call("add", a=1, b=2), "ok", hooks=[Trace("inner", log), Stub(), Outer()])
    await bot.run("1+2?")
    assert ran == []
    # Neither the hook inside the answer nor the answering hook itself sees the call's end.
    assert [entry for entry in log if "tool" in entry or "saw" in entry] == ["outer saw stubbed"]
    assert served == ["stub"]


async def test_a_typed_stop_from_a_hook_goes_on_as_it_is_naming_the_hook() -> None:
    class Budget(Hook):
        def before_tool(self, ctx: HookContext, call: ToolCall) -> None:
            raise UsageLimitExceeded("no more tool calls")

    class Named(Hook):
        def before_model(self, ctx: HookContext, request: Request) -> None:
            raise GuardrailTripped("no", stage="input", reason="no", hook="own-name")

    with pytest.raises(UsageLimitExceeded) as caught:
        await agent(tool_call("add", a=1, b=2), "never", hooks=[Budget()]).run("1+2?")
    assert (caught.value.hook, caught.value.point) == ("Budget", "before_tool")
    with pytest.raises(GuardrailTripped) as tripped:
        await agent("never", hooks=[Named()]).run("hi")
    assert tripped.value.hook == "own-name"


async def test_only_async_methods_are_awaited() -> None:
    class Later:  # an awaitable that is not a coroutine
        def __await__(self) -> Any:
            yield from ()

    class AsyncCallable:
        async def __call__(self, ctx: HookContext, request: Request) -> Request:
            return Request([Message.user("from an async callable")])

    class Holder:
        before_model = AsyncCallable()

    model = ScriptedModel(["ok"])
    await Agent(model, hooks=[Holder()]).run("hi")
    assert model.requests[0].messages[-1].text == "from an async callable"

    class SyncReturningAwaitable(Hook):
        def before_model(self, ctx: HookContext, request: Request) -> Any:
            return Later()

    with pytest.raises(HookError, match="returned a Later from before_model"):
        await agent("x", hooks=[SyncReturningAwaitable()]).run("hi")


def test_an_object_with_no_hook_method_is_refused() -> None:
    with pytest.raises(UsageError, match="is not a hook"):
        Agent(ScriptedModel([]), hooks=[object()])


async def test_on_error_sees_the_failed_model_call_then_the_run() -> None:
    seen: list[tuple[str, str]] = []

    class Watch(Hook):
        def on_error(self, ctx: HookContext, error: BaseException) -> None:
            seen.append((ctx.kind, type(error).__name__))

    with pytest.raises(ServerError):
        await agent(Fault.status(500), hooks=[Watch()]).run("hi")
    assert seen == [("model", "ServerError"), ("run", "ServerError")]


async def test_a_failing_on_error_does_not_hide_the_error(caplog: pytest.LogCaptureFixture) -> None:
    class Clumsy(Hook):
        def on_error(self, ctx: HookContext, error: BaseException) -> None:
            raise RuntimeError("clumsy")

    with pytest.raises(ServerError):
        await agent(Fault.status(500), hooks=[Clumsy()]).run("hi")
    assert "Clumsy" in caplog.text


# ------------------------------------------------------------------ with_hooks


async def test_with_hooks_wraps_generate_and_stream_of_a_plain_model() -> None:
    log: list[str] = []
    inner = ScriptedModel(["one", "two"])
    model = with_hooks(inner, [Trace("t", log)])
    assert model.name == inner.name and model.capabilities == inner.capabilities
    request = Request([Message.user("hi")])
    assert (await model.generate(request)).text == "one"
    events = [e async for e in model.stream(request)]
    assert isinstance(events[-1], ModelResponse) and events[-1].response.text == "two"
    assert log == ["t.before_model", "t.after_model"] * 2


def test_with_hooks_sync_twins_and_embed() -> None:
    log: list[str] = []
    model = with_hooks(ScriptedModel(["one"]), [Trace("t", log)])
    assert model.generate_sync(Request([Message.user("hi")])).text == "one"
    assert len(model.embed_sync(["a", "b"])) == 2
    assert log == ["t.before_model", "t.after_model"]


def test_with_hooks_on_a_wrapped_model_keeps_both_sets() -> None:
    first, second = Trace("a", []), Trace("b", [])
    model = with_hooks(with_hooks(ScriptedModel([]), [first]), [second])
    assert model.hooks == (first, second)


def test_the_public_hooks_names_are_the_objects_the_implementation_uses() -> None:
    import llmkit
    import llmkit.hooks
    from llmkit._hooks import base, model

    for name in base.__all__:
        assert getattr(llmkit.hooks, name) is getattr(base, name), name
    assert llmkit.hooks.with_hooks is model.with_hooks
    assert llmkit.hooks.HookedModel is model.HookedModel
    assert llmkit.Hook is base.Hook and llmkit.with_hooks is model.with_hooks
    assert set(llmkit.hooks.__all__) <= set(dir(llmkit.hooks))
    for name in llmkit.hooks.__all__:
        assert getattr(llmkit.hooks, name) is not None, name
    with pytest.raises(AttributeError, match="module 'llmkit.hooks' has no attribute 'Nope'"):
        _ = llmkit.hooks.Nope


async def test_a_hook_error_on_a_plain_call_keeps_the_request_messages() -> None:
    class Broken(Hook):
        def before_model(self, ctx: HookContext, request: Request) -> None:
            raise KeyError("nope")

    request = Request([Message.user("keep me")])
    with pytest.raises(HookError) as caught:
        await with_hooks(ScriptedModel(["x"]), [Broken()]).generate(request)
    assert [m.text for m in caught.value.messages] == ["keep me"]


async def test_the_agent_lists_its_hooks_and_takes_a_wrapped_model() -> None:
    log: list[str] = []
    hook = Trace("m", log)
    bot = Agent(with_hooks(ScriptedModel(["ok"]), [hook]))
    assert (await bot.run("hi")).output == "ok"
    assert log == ["m.before_model", "m.after_model"]
    assert Agent(ScriptedModel([]), hooks=[hook]).hooks == [hook]


async def test_a_stream_left_early_still_tells_the_hooks() -> None:
    seen: list[tuple[str, str]] = []

    class Watch(Hook):
        def on_error(self, ctx: HookContext, error: BaseException) -> None:
            seen.append((ctx.kind, type(error).__name__))

    events = agent("a long answer", hooks=[Watch()]).stream("hi")
    async for event in events:
        if isinstance(event, TextDelta):
            break
    await events.aclose()  # type: ignore[attr-defined]
    assert ("run", "GeneratorExit") in seen


async def test_hooks_apply_to_a_resumed_run() -> None:
    @tool(requires_approval=True, run_in_thread=False)
    def pay(amount: int) -> str:
        """Pay an amount."""
        return f"paid {amount}"

    log: list[str] = []
    bot = Agent(ScriptedModel([tool_call("pay", amount=5), "Paid."]), tools=[pay])
    paused = await bot.run("pay 5")
    assert paused.paused
    result = await bot.resume(
        paused, approvals={paused.pending[0].id: True}, hooks=[Trace("r", log)]
    )
    assert result.output == "Paid."
    assert log[:3] == ["r.before_run", "r.before_tool", "r.after_tool"]
    assert log[-1] == "r.after_run"
