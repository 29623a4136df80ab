"""The data model: constructors, validation, and the versioned JSON round trip."""

from __future__ import annotations

import json

import pytest

from llmkit import types
from llmkit.errors import SerializationError, UsageError
from llmkit.types import (
    AudioPart,
    DocumentPart,
    Embeddings,
    ImagePart,
    Message,
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
