"""The data model: constructors, validation, and the versioned JSON round trip."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
import typing
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import pytest

from llmkit import types
from llmkit.errors import SerializationError, UsageError
from llmkit.types import (
    AudioPart,
    DocumentPart,
    Embeddings,
    ImagePart,
    Message,
    ModelSettings,
    OutputSchema,
    Reasoning,
    ReasoningPart,
    Request,
    Response,
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
)


def full_request() -> Request:
    return Request(
        messages=[
            Message.system("Be brief."),
            Message.user(
                "Look:",
                ImagePart(data=b"\x89PNG", media_type="image/png", detail="low"),
                DocumentPart(url="https://example.com/a.pdf", name="a.pdf"),
                AudioPart(data=b"RIFF", media_type="audio/wav"),
            ),
            Message.assistant(
                "Calling.",
                tool_calls=[ToolCall("c1", "add", {"a": 1}, '{"a":1}', provider_data={"sig": "x"})],
                reasoning=[ReasoningPart("hmm", signature="sig", redacted=False)],
            ),
            Message.tool(
                ToolResult("c1", "2", name="add"),
                ToolResult("c2", [TextPart("t"), ImagePart(url="https://x/y.png")], is_error=True),
            ),
        ],
        tools=[
            ToolSpec(
                "add",
                "Add.",
                {"type": "object", "properties": {"a": {"type": "integer"}}},
                strict=True,
            )
        ],
        tool_choice="add",
        output_schema=OutputSchema({"type": "object"}, name="out", description="d", strict=False),
        temperature=0.2,
        top_p=0.9,
        max_tokens=100,
        stop=["\n"],
        seed=7,
        reasoning=Reasoning("high", 2048),
        parallel_tool_calls=False,
        extra={"logprobs": True},
    )


def test_message_constructors_build_the_expected_parts() -> None:
    m = Message.assistant("hi", tool_calls=[ToolCall("c1", "f")], reasoning=[ReasoningPart("r")])
    assert [p.kind for p in m.parts] == ["reasoning", "text", "tool_call"]
    assert m.text == "hi"
    assert m.reasoning == "r"
    assert [c.name for c in m.tool_calls] == ["f"]
    assert Message.user("a", "b").text == "ab"
    assert Message.assistant().parts == []
    assert Message.tool(ToolResult("c", "x")).tool_results[0].text == "x"


def test_unknown_role_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="Unknown message role 'bot'"):
        Message("bot", [])  # type: ignore[arg-type]


def test_media_parts_need_exactly_one_source_and_a_media_type_for_bytes() -> None:
    with pytest.raises(UsageError, match="exactly one of url= or data="):
        ImagePart()
    with pytest.raises(UsageError, match="both"):
        ImagePart(url="https://x/a.png", data=b"x")
    with pytest.raises(UsageError, match="needs media_type="):
        ImagePart(data=b"x")
    assert ImagePart(url="https://x/a.png?size=2").media_type == "image/png"
    assert ImagePart(url="data:image/gif;base64,R0lG").media_type == "image/gif"
    assert ImagePart(url="data:image/gif;base64,R0lG").base64_data == "R0lG"
    assert DocumentPart(data=b"%PDF").media_type == "application/pdf"
    assert ImagePart(data=b"ab", media_type="image/png").data_url == "data:image/png;base64,YWI="


def test_media_part_from_path(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "pic.jpg"
    path.write_bytes(b"\xff\xd8")
    part = ImagePart.from_path(path)
    assert (part.data, part.media_type) == (b"\xff\xd8", "image/jpeg")
    odd = Path(str(tmp_path)) / "blob.unknownext"
    odd.write_bytes(b"x")
    with pytest.raises(UsageError, match="pass media_type="):
        ImagePart.from_path(odd)


def test_usage_adds_and_sums() -> None:
    a = Usage(1, 2, 3, 4, 5, 1)
    b = Usage(10, 20, 30, 40, 50, 1)
    assert a + b == Usage(11, 22, 33, 44, 55, 2)
    assert sum([a, b]) == a + b
    assert (a + b).total_tokens == 33


def test_usage_with_an_estimated_part_adds_up_and_stays_flagged() -> None:
    exact = Usage(10, 20, requests=1, cost=0.5)
    guessed = Usage(3, 4, requests=1, cost=0.25, estimated=True)
    total = exact + guessed
    assert total == Usage(13, 24, requests=2, cost=0.75, estimated=True)
    assert sum([exact, guessed, exact]).estimated is True
    assert (exact + exact).estimated is False
    assert Usage() + guessed == guessed
    assert guessed.to_dict()["estimated"] is True and "estimated" not in exact.to_dict()
    assert Usage.from_dict(guessed.to_dict()) == guessed
    assert "estimated=True" in repr(guessed)


def test_response_properties_and_finish_reason_check() -> None:
    r = Response(
        Message.assistant("ok", tool_calls=[ToolCall("1", "f")]), finish_reason="tool_calls"
    )
    assert r.text == "ok"
    assert r.tool_calls[0].id == "1"
    with pytest.raises(UsageError, match="finish_reason"):
        Response(Message.assistant("x"), finish_reason="done")  # type: ignore[arg-type]


def test_reasoning_control_validates() -> None:
    with pytest.raises(UsageError, match="reasoning effort"):
        Reasoning("extreme")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="budget_tokens"):
        Reasoning(budget_tokens=-1)


@pytest.mark.parametrize(
    "obj",
    [
        full_request(),
        Response(
            Message.assistant("a", tool_calls=[ToolCall("c", "f", {}, "{bad", "not JSON")]),
            Usage(1, 2, 3, 4, 5, 1),
            "tool_calls",
            "gpt",
            "req_1",
            "tool_calls",
            {"id": "x"},
        ),
        Usage(1, 2),
        ToolSpec("f"),
        OutputSchema({"type": "string"}),
        Reasoning(budget_tokens=10),
        TextPart("x", {"cache": True}),
        [Message.user("a"), Message.assistant("b")],
    ],
)
def test_json_round_trip_gives_an_equal_object(obj: object) -> None:
    text = types.dumps(obj)
    assert json.loads(text)["llmkit"] == types.FORMAT_VERSION
    assert types.loads(text) == obj


def test_load_refuses_a_newer_format_version() -> None:
    envelope = types.dump(Usage(1, 1))
    envelope["llmkit"] = types.FORMAT_VERSION + 1
    with pytest.raises(SerializationError, match="newer llmkit"):
        types.load(envelope)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("not json", "Not valid JSON"),
        ('{"a": 1}', "Not an llmkit JSON envelope"),
        ('{"llmkit": 1, "kind": "spaceship", "data": {}}', "Unknown kind"),
        ('{"llmkit": 1, "kind": "message", "data": {"parts": []}}', "Not a valid message"),
        ('{"llmkit": 1, "kind": "text", "data": {"type": "text"}}', "Malformed text"),
        (
            '{"llmkit": 1, "kind": "message", "data": {"role": "user", "parts": [{"type": "x"}]}}',
            "Unknown message part",
        ),
    ],
)
def test_malformed_json_raises_serialization_error(payload: str, message: str) -> None:
    with pytest.raises(SerializationError, match=message):
        types.loads(payload)


def test_loads_refuses_deeply_nested_json_with_a_serialization_error() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(SerializationError, match="nested too deeply"):
        types.loads('{"llmkit": 1, "kind": "message", "data": ' + deep + "}")


def test_dump_refuses_objects_without_a_json_form() -> None:
    with pytest.raises(SerializationError, match="has no JSON form"):
        types.dump(object())
    with pytest.raises(SerializationError, match="one kind"):
        types.dump([Usage(), Message.user("x")])


def test_embeddings_is_a_list_with_usage() -> None:
    e = Embeddings([[1.0], [2.0]], usage=Usage(3, requests=1), model="m")
    assert e == [[1.0], [2.0]]
    assert e.usage.input_tokens == 3
    assert e.model == "m"


def test_load_reads_every_kind_in_a_fresh_process() -> None:
    import subprocess
    import sys

    code = (
        "from llmkit import types; "
        'print(type(types.loads(\'{"llmkit":1,"kind":"model.text_delta","data":{"text":"hi"}}\')).__name__); '
        'print(type(types.loads(\'{"llmkit":1,"kind":"run_result","data":{"output":"x","messages":[]}}\')).__name__)'
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["TextDelta", "RunResult"]


# ------------------------------------------------------------- bad input at the edges


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Request(messages=[{"role": "user", "content": "hi"}]), "item 0 is a dict"),
        (lambda: Request(messages="hi"), "takes a list of Message objects, not str"),
        (lambda: Request(messages=[Message.user("a"), "b"]), "item 1 is a str"),
        (lambda: Message.user(123), "Message.user() takes text and content parts"),
        (lambda: Message.system(None), "Message.system(text) takes a string, not NoneType"),
        (lambda: Message.assistant(5), "Message.assistant(text) takes a string"),
        (lambda: Message.assistant(tool_calls=[{"id": "c"}]), "takes ToolCall objects"),
        (lambda: Message.tool("42"), "Message.tool() takes ToolResult objects, not str"),
        (lambda: Message("user", "hi"), "takes a list of parts, not str"),
        (lambda: Message("user", [{"type": "text"}]), "not dict"),
        (lambda: TextPart(3), "TextPart(text) takes a string, not int"),
        (lambda: ToolCall("c1", "add", '{"a": 1}'), "ToolCall(arguments) takes a dict"),
        (lambda: ToolResult("c1", 42), "ToolResult(content) (or a list of content parts)"),
        (lambda: ToolResult("c1", [Message.user("x")]), "the list holds a Message"),
        (lambda: ToolSpec(3), "ToolSpec(name) takes a string, not int"),
        (lambda: ToolSpec("f", parameters="{}"), "ToolSpec(parameters) takes a JSON schema"),
        (lambda: OutputSchema('{"type": "object"}'), "OutputSchema(schema) takes a JSON schema"),
        (lambda: ImagePart(data="aGk=", media_type="image/png"), "takes bytes, not str"),
        (lambda: Reasoning(budget_tokens=1.5), "budget_tokens=...) takes a whole number"),
        (lambda: Request([Message.user("x")], max_tokens="10"), "max_tokens=...) takes a whole"),
        (lambda: Request([Message.user("x")], temperature="hot"), "takes a number or None"),
        (lambda: Request([Message.user("x")], tools=[{"name": "f"}]), "takes ToolSpec objects"),
        (lambda: Request([Message.user("x")], stop=[1]), "takes a list of strings"),
        (lambda: Request([Message.user("x")], output_schema={}), "takes an OutputSchema"),
        (lambda: Request([Message.user("x")], reasoning="low"), "takes a Reasoning"),
        (lambda: Request([Message.user("x")], extra=[("a", 1)]), "takes a dict of body fields"),
        (lambda: Response("hi"), "Response(message) takes a Message"),
    ],
)
def test_wrong_types_in_public_constructors_are_usage_errors_that_say_what_to_pass(
    build: object, message: str
) -> None:
    with pytest.raises(UsageError) as info:
        build()  # type: ignore[operator]
    assert message in str(info.value)


def test_request_messages_error_names_the_message_constructors() -> None:
    with pytest.raises(UsageError, match=r"Message\.user\('\.\.\.'\)"):
        Request(messages=[{"role": "user", "content": "hi"}])  # type: ignore[list-item]


def test_request_accepts_a_tuple_of_messages_and_a_single_stop_string() -> None:
    request = Request((Message.user("x"),), stop="END")  # type: ignore[arg-type]
    assert request.messages == [Message.user("x")]
    assert request.stop == ["END"]


@pytest.mark.parametrize("field", ["temperature", "top_p"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_sampling_numbers_are_refused_when_a_request_is_built(
    field: str, value: float
) -> None:
    with pytest.raises(UsageError, match="not a finite number"):
        Request([Message.user("x")], **{field: value})  # type: ignore[arg-type]


def test_bad_json_data_still_raises_serialization_error() -> None:
    with pytest.raises(SerializationError, match="Not a valid message"):
        Message.from_dict({"role": "user", "parts": [{"type": "text", "text": 5}]})
    with pytest.raises(SerializationError, match="Not a valid request"):
        Request.from_dict({"messages": [], "temperature": "x"})


@pytest.mark.parametrize("value", [0, -1, -5])
def test_max_tokens_below_1_is_refused_when_a_request_is_built(value: int) -> None:
    with pytest.raises(UsageError, match=r"max_tokens=\.\.\.\) must be 1 or more"):
        Request([Message.user("x")], max_tokens=value)
    assert Request([Message.user("x")], max_tokens=1).max_tokens == 1


def test_an_agent_with_max_tokens_below_1_is_refused_when_it_is_built() -> None:
    from llmkit import Agent
    from llmkit.testing import ScriptedModel

    with pytest.raises(UsageError, match="must be 1 or more"):
        Agent(ScriptedModel(["x"]), model_settings={"max_tokens": 0})


# ------------------------------------------------------------------ model settings


def test_model_settings_keys_are_the_request_fields_an_agent_does_not_build() -> None:
    built_by_the_agent = {"messages", "tools", "output_schema"}
    fields = {f.name for f in dataclasses.fields(Request)} - built_by_the_agent
    assert set(ModelSettings.__optional_keys__) == fields  # a new Request field goes in both
    assert not ModelSettings.__required_keys__
    assert "ModelSettings" in types.__all__


def test_each_model_setting_has_the_type_of_its_request_field() -> None:
    request = typing.get_type_hints(Request)
    settings = typing.get_type_hints(ModelSettings)
    assert settings == {key: request[key] for key in settings}
    assert settings["stop"] == list[str] | None and settings["extra"] == dict[str, Any]


# -------------------------------------------------- the cost of a request per model call


@contextlib.contextmanager
def counting_lines(module: object) -> Iterator[list[int]]:
    """Count the lines of ``module``'s code run in this thread inside the block (no clock)."""
    path = module.__file__  # type: ignore[attr-defined]
    count = [0]

    def local(frame: FrameType, event: str, arg: object) -> Any:
        count[0] += event == "line"
        return local

    def trace(frame: FrameType, event: str, arg: object) -> Any:
        return local if frame.f_code.co_filename == path else None

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        yield count
    finally:
        sys.settrace(previous)


def lines_run(module: object, call: Callable[[], object]) -> int:
    """How many lines of ``module``'s code run during ``call()``."""
    with counting_lines(module) as count:
        call()
    return count[0]


def conversation(length: int) -> list[Message]:
    return [
        Message.user(f"q{i}") if i % 2 == 0 else Message.assistant(f"a{i}") for i in range(length)
    ]


def test_building_a_request_costs_the_same_for_a_long_conversation() -> None:
    import llmkit._request

    short = lines_run(llmkit._request, lambda: Request(conversation(40)))
    long = lines_run(llmkit._request, lambda: Request(conversation(400)))
    assert short == long


@pytest.mark.anyio
async def test_the_requests_an_agent_builds_cost_the_same_for_a_long_history() -> None:
    import llmkit._request
    from llmkit import Agent
    from llmkit.testing import ScriptedModel

    counts = []
    for length in (40, 400):
        agent = Agent(ScriptedModel(["done"]), instructions="Be brief.")
        history = conversation(length)
        with counting_lines(llmkit._request) as count:
            result = await agent.run("go on", message_history=history)
        assert result.output == "done" and count[0] > 0
        counts.append(count[0])
    assert counts[0] == counts[1]


@pytest.mark.parametrize("where", [0, 7, 392, 399])
def test_the_ends_of_a_long_message_list_are_still_checked(where: int) -> None:
    messages: list[Any] = conversation(400)
    messages[where] = {"role": "user", "content": "hi"}
    with pytest.raises(UsageError, match=f"item {where} is a dict"):
        Request(messages)
