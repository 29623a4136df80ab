"""A batch's results file: a line per finished item as it finishes, resumed by skipping the items
that succeeded, refused when written for other inputs, and never losing a line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import llmkit
from llmkit.errors import SerializationError, UsageError
from llmkit.workflow._batch_file import ResultsFile
from llmkit.workflow._batch_item import ItemOutcome

pytestmark = pytest.mark.anyio


class Counter:
    """A target that counts its runs and fails on the inputs it is told to."""

    def __init__(self, *, failing: set[int] | None = None) -> None:
        self.ran: list[int] = []
        self.failing = failing or set()

    async def __call__(self, value: int) -> dict[str, int]:
        self.ran.append(value)
        if value in self.failing:
            raise ValueError(f"cannot do {value}")
        return {"square": value * value}


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_every_finished_item_is_a_line_with_its_index(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    await llmkit.batch(Counter(failing={1}), [0, 1, 2], results=path, concurrency=1)
    written = lines(path)
    assert [line["index"] for line in written] == [0, 1, 2]
    assert written[0]["output"] == {"square": 0}
    assert written[1]["error"] == {"type": "ValueError", "message": "cannot do 1"}
    assert all(isinstance(line["key"], str) for line in written)


async def test_a_line_is_in_the_file_as_soon_as_its_item_finishes(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    seen_while_running: list[int] = []

    async def second_waits(value: int) -> int:
        if value == 1:
            seen_while_running.extend(line["index"] for line in lines(path))
        return value

    await llmkit.batch(second_waits, [0, 1], results=path, concurrency=1)
    assert seen_while_running == [0]


async def test_running_again_skips_the_items_that_succeeded_and_retries_failed_ones(
    tmp_path: Path,
) -> None:
    path = tmp_path / "results.jsonl"
    first = Counter(failing={2})
    await llmkit.batch(first, range(5), results=path)
    again = Counter()
    result = await llmkit.batch(again, range(5), results=path)
    assert again.ran == [2]
    assert result.outputs == [{"square": n * n} for n in range(5)]
    assert result.resumed == 4 and result.ok
    assert [item.resumed for item in result] == [True, True, False, True, True]
    assert len(lines(path)) == 6  # the first five, then item 2 again
    third = Counter()
    await llmkit.batch(third, range(5), results=path)
    assert third.ran == []


async def test_a_batch_stopped_part_way_resumes_where_it_stopped(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    gate = asyncio.Event()

    async def stops_at_three(value: int) -> int:
        if value == 3:
            await gate.wait()  # never set: the batch is cancelled here
        return value

    task = asyncio.create_task(llmkit.batch(stops_at_three, range(6), results=path, concurrency=1))
    while not path.exists() or len(lines(path)) < 3:
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [line["index"] for line in lines(path)] == [0, 1, 2]
    counter = Counter()
    result = await llmkit.batch(counter, range(6), results=path)
    assert counter.ran == [3, 4, 5]
    assert result.outputs == [0, 1, 2, {"square": 9}, {"square": 16}, {"square": 25}]


async def test_a_file_from_other_inputs_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    await llmkit.batch(Counter(), [1, 2, 3], results=path)
    before = path.read_bytes()
    counter = Counter()
    with pytest.raises(UsageError, match="holds results for other inputs: item 1"):
        await llmkit.batch(counter, [1, 7, 3], results=path)
    with pytest.raises(UsageError, match="there are 2 inputs"):
        await llmkit.batch(counter, [1, 2], results=path)
    assert counter.ran == []
    assert path.read_bytes() == before


async def test_a_last_line_cut_short_is_dropped_and_its_item_runs_again(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    await llmkit.batch(Counter(), [1, 2], results=path)
    whole = path.read_text().splitlines()
    path.write_text(whole[0] + "\n" + whole[1][:10])  # a crash in the middle of a write
    counter = Counter()
    result = await llmkit.batch(counter, [1, 2], results=path)
    assert counter.ran == [2]
    assert result.outputs == [{"square": 1}, {"square": 4}]
    assert [line["index"] for line in lines(path)] == [0, 1]


async def test_a_line_that_is_not_a_results_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text('{"index": 0}\n')
    with pytest.raises(SerializationError, match=r"line 1 of .*results.jsonl is not a batch"):
        await llmkit.batch(Counter(), [1], results=path)
    assert path.read_text() == '{"index": 0}\n'


def test_the_file_is_fsynced_at_most_once_a_second_while_lines_come(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    monkeypatch.setattr("llmkit.workflow._batch_file.os.fsync", synced.append)
    now = [0.0]
    file = ResultsFile(tmp_path / "r.jsonl", [1, 2, 3, 4], clock=lambda: now[0])
    file.write(ItemOutcome(0, 1, 1))
    now[0] = 0.5
    file.write(ItemOutcome(1, 2, 2))
    assert synced == []
    now[0] = 1.0
    file.write(ItemOutcome(2, 3, 3))
    assert len(synced) == 1
    file.close()
    file.close()
    assert len(synced) == 2
    assert len(lines(tmp_path / "r.jsonl")) == 3


async def test_a_failed_item_whose_input_was_fixed_since_runs_again(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    await llmkit.batch(Counter(failing={-1}), [1, -1, 3], results=path)
    counter = Counter()
    result = await llmkit.batch(counter, [1, 2, 3], results=path)
    assert counter.ran == [2]
    assert result.outputs == [{"square": 1}, {"square": 4}, {"square": 9}]
