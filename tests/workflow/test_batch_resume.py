"""Resuming a batch: keys that survive a new process (or a refusal up front), one writer per
results file, bad usage lines named, typed outputs revived, progress of resumed items, and the
last line of an item winning either way."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import llmkit
from llmkit import Agent
from llmkit.errors import SerializationError, UsageError
from llmkit.testing import FunctionModel
from llmkit.types import Request
from llmkit.workflow import BatchProgress
from llmkit.workflow._batch_file import ResultsFile, input_key
from llmkit.workflow._batch_item import ItemOutcome

pytestmark = pytest.mark.anyio


class Doc:
    """An input with no JSON form (its repr holds a memory address)."""

    def __init__(self, text: str) -> None:
        self.text = text


async def upper(doc: Doc) -> str:
    return doc.text.upper()


async def echo(value: Any) -> Any:
    return value


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write(path: Path, *records: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


async def test_inputs_with_no_json_form_are_refused_up_front_with_what_to_do(
    tmp_path: Path,
) -> None:
    ran: list[Doc] = []

    async def target(doc: Doc) -> str:
        ran.append(doc)
        return doc.text

    with pytest.raises(UsageError, match=r"Input 0 \(a Doc\) has no JSON form.*key="):
        await llmkit.batch(target, [Doc("a")], results=tmp_path / "r.jsonl")
    assert ran == []


async def test_a_key_function_names_inputs_so_new_objects_resume(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    first = await llmkit.batch(upper, [Doc("a"), Doc("b")], results=path, key=lambda d: d.text)
    assert first.outputs == ["A", "B"]
    again = await llmkit.batch(
        upper, [Doc("a"), Doc("b")], results=path, key=lambda d: d.text
    )  # other objects, equal keys: as in a new process
    assert (again.outputs, again.resumed) == (["A", "B"], 2)


async def test_a_key_function_must_return_text(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="key= returned a int for input 0"):
        await llmkit.batch(upper, [Doc("a")], results=tmp_path / "r.jsonl", key=lambda d: 1)


def test_json_inputs_keep_their_key_across_processes() -> None:
    assert input_key({"b": 1, "a": [1, 2]}) == input_key({"a": [1, 2], "b": 1})
    assert input_key("x") != input_key("y")


async def test_a_second_writer_of_a_results_file_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    holder = ResultsFile(path, [1, 2])
    try:
        with pytest.raises(UsageError, match=f"{path} is the results file of another batch"):
            await llmkit.batch(echo, [1, 2], results=path)
    finally:
        holder.close()
    result = await llmkit.batch(echo, [1, 2], results=path)
    assert result.outputs == [1, 2]


async def test_two_batches_at_once_on_one_file_leave_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    gate = asyncio.Event()

    async def waits(value: int) -> int:
        await gate.wait()
        return value

    first = asyncio.create_task(llmkit.batch(waits, range(6), results=path))
    await asyncio.sleep(0)
    with pytest.raises(UsageError, match="another batch"):
        await llmkit.batch(echo, range(6), results=path)
    gate.set()
    assert (await first).outputs == list(range(6))
    assert sorted(line["index"] for line in lines(path)) == list(range(6))
    assert (await llmkit.batch(echo, range(6), results=path)).resumed == 6


def test_lines_are_appended_after_a_cut_line_is_dropped(tmp_path: Path) -> None:
    import fcntl
    import os

    path = tmp_path / "r.jsonl"
    whole = json.dumps({"index": 0, "key": input_key(1), "output": 1}).encode() + b"\n"
    path.write_bytes(whole + b'{"index": 1, "ke')
    file = ResultsFile(path, [1, 2])
    try:
        assert fcntl.fcntl(file._file.fileno(), fcntl.F_GETFL) & os.O_APPEND
        assert path.read_bytes() == whole
        file.write(ItemOutcome(1, 2, 2))
    finally:
        file.close()
    assert [line["index"] for line in lines(path)] == [0, 1]


@pytest.mark.parametrize(
    "usage",
    [
        "lots",
        {"input_tokens": "3"},
        {"requests": None},
        {"output_tokens": True},
        {"cost": "0.1"},
        {"estimated": "yes"},
    ],
)
async def test_a_bad_usage_in_a_results_line_is_named(tmp_path: Path, usage: Any) -> None:
    key = input_key(1)
    path = write(tmp_path / "r.jsonl", {"index": 0, "key": key, "output": 1, "usage": usage})
    with pytest.raises(SerializationError, match=f"line 1 of {path} is not a batch results line"):
        await llmkit.batch(echo, [1], results=path)


class City(BaseModel):
    name: str


async def test_resumed_outputs_of_a_typed_agent_are_its_output_type(tmp_path: Path) -> None:
    failing = {"b"}

    def answer(request: Request) -> str:
        text = request.messages[-1].text or ""
        if text in failing:
            failing.discard(text)
            raise RuntimeError("transient")
        return json.dumps({"name": text.upper()})

    agent = Agent(FunctionModel(answer), output_type=City)
    path = tmp_path / "r.jsonl"
    first = await llmkit.batch(agent, ["a", "b"], results=path)
    assert first.failed == 1
    again = await llmkit.batch(agent, ["a", "b"], results=path)
    assert [o.resumed for o in again] == [True, False]
    assert again.outputs == [City(name="A"), City(name="B")]


async def test_a_resumed_output_that_is_not_the_agent_s_type_is_named(tmp_path: Path) -> None:
    agent = Agent(FunctionModel(lambda request: '{"name": "A"}'), output_type=City)
    path = write(tmp_path / "r.jsonl", {"index": 0, "key": input_key("a"), "output": [1]})
    with pytest.raises(SerializationError, match=f"line 1 of {path} holds an output that is not"):
        await llmkit.batch(agent, ["a"], results=path)


async def test_progress_counts_the_resumed_items_first(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    await llmkit.batch(echo, [1, 2], results=path)
    seen: list[BatchProgress] = []
    await llmkit.batch(echo, [1, 2, 3], results=path, progress=seen.append)
    assert [(p.done, p.resumed, p.outcome and p.outcome.resumed) for p in seen] == [
        (1, 1, True),
        (2, 2, True),
        (3, 2, False),
    ]


@pytest.mark.parametrize(
    ("error_last", "runs_again"),
    [(True, True), (False, False)],
)
async def test_the_last_line_of_an_item_wins_either_way(
    tmp_path: Path, error_last: bool, runs_again: bool
) -> None:
    key = input_key(5)
    ok = {"index": 0, "key": key, "output": 50}
    failed = {"index": 0, "key": key, "error": {"type": "ValueError", "message": "no"}}
    path = write(tmp_path / "r.jsonl", *((ok, failed) if error_last else (failed, ok)))
    ran: list[int] = []

    async def times_ten(value: int) -> int:
        ran.append(value)
        return value * 10

    result = await llmkit.batch(times_ten, [5], results=path)
    assert result.outputs == [50]
    assert (ran == [5], result.resumed) == (runs_again, 0 if runs_again else 1)
