"""SQLiteStore beyond the protocol: its file, its schema, bad files, full disks, and other processes."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from llmkit.durable import (
    CheckpointError,
    RunBusyError,
    SQLiteStore,
    StoreError,
    StoreFormatError,
)
from llmkit.durable._schema import SCHEMA_VERSION
from llmkit.errors import UsageError

pytestmark = pytest.mark.anyio


def _schema_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT value FROM llmkit_meta WHERE key = 'schema_version'").fetchone()
    return int(row[0])


async def _run_with_checkpoint(path: Path, **options: Any) -> Any:
    store = SQLiteStore(path, **options)
    claim = await store.start_run("r1", kind="agent", name="a")
    await store.checkpoint(claim, {"k": "good"}, steps=1)
    return store, claim


# ---------------------------------------------------------------- the file


async def test_the_store_is_one_file_in_wal_mode_that_outlives_its_object(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store, claim = await _run_with_checkpoint(path)
    await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again = SQLiteStore(path)
    assert await again.load_checkpoints("r1") == {"k": "good"}
    assert (await again.get_run("r1")).holder == claim
    await again.close()


async def test_a_new_file_gets_the_current_schema_once(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    for _ in range(2):
        store = SQLiteStore(path)
        await store.append_session("s", [{"n": 1}])
        await store.close()
    assert _schema_version(path) == SCHEMA_VERSION
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM llmkit_meta").fetchone()[0] == 1


async def test_an_empty_sqlite_file_of_another_program_gets_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE theirs (x)")
    store = SQLiteStore(path)
    assert await store.list_runs() == []
    await store.close()
    with sqlite3.connect(path) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"theirs", "llmkit_runs", "llmkit_sessions"} <= names


async def test_a_file_from_a_newer_llmkit_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store, _ = await _run_with_checkpoint(path)
    await store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE llmkit_meta SET value = '99' WHERE key = 'schema_version'")
    before = path.read_bytes()
    newer = SQLiteStore(path)
    with pytest.raises(StoreFormatError, match=r"version 99.*newer llmkit.*Upgrade"):
        await newer.list_runs()
    with pytest.raises(StoreFormatError, match=str(path)):
        await newer.load_checkpoints("r1")
    await newer.close()
    assert path.read_bytes() == before


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
async def test_a_corrupt_or_truncated_file_is_refused_naming_it(
    tmp_path: Path, damage: str
) -> None:
    path = tmp_path / "runs.db"
    store = SQLiteStore(path)
    claim = await store.start_run("r1", kind="agent", name="a")
    await store.checkpoint(claim, {f"k{i}": "x" * 2000 for i in range(20)})
    await store.close()
    with sqlite3.connect(path) as conn:  # fold the WAL into the file, so all is in one file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"this is not a database at all" * 200)
    else:
        path.write_bytes(data[: len(data) // 3])
    before = path.read_bytes()
    broken = SQLiteStore(path)
    with pytest.raises(StoreFormatError, match=rf"{path}.*(corrupt|truncated).*backup"):
        await broken.load_checkpoints("r1")
    await broken.close()
    assert path.read_bytes() == before


async def test_a_file_in_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "nope" / "runs.db")
    with pytest.raises(StoreError, match="folder does not exist"):
        await store.list_runs()
    await store.close()


def test_bad_options_are_refused() -> None:
    with pytest.raises(UsageError, match="file path"):
        SQLiteStore("")
    with pytest.raises(UsageError, match="max_bytes"):
        SQLiteStore("x.db", max_bytes=0)
    with pytest.raises(UsageError, match="stale_after"):
        SQLiteStore("x.db", stale_after=0)


async def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "runs.db")
    await store.list_runs()
    await store.close()
    await store.close()
    with pytest.raises(UsageError, match="closed"):
        await store.list_runs()
    assert repr(store) == f"SQLiteStore({str(tmp_path / 'runs.db')!r})"


# --------------------------------------------------------- failed writes


async def test_a_full_store_fails_the_checkpoint_and_keeps_the_last_one(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store, claim = await _run_with_checkpoint(path)
    await store.close()
    capped = SQLiteStore(path, max_bytes=path.stat().st_size + 4 * 4096)  # room to grow a little
    with pytest.raises(CheckpointError, match="full"):
        await capped.checkpoint(claim, {"k": "x" * 200_000, "big": "y" * 200_000}, steps=2)
    assert await capped.load_checkpoints("r1") == {"k": "good"}
    assert (await capped.get_run("r1")).steps == 1
    await capped.checkpoint(claim, {"k": "small"}, steps=2)  # the store still works
    assert await capped.load_checkpoints("r1") == {"k": "small"}
    await capped.close()


async def test_a_read_only_store_fails_the_checkpoint_and_keeps_the_last_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.db"
    store, claim = await _run_with_checkpoint(path)
    reader = SQLiteStore(path, read_only=True)
    assert [info.id for info in await reader.list_runs()] == ["r1"]
    with pytest.raises(CheckpointError, match="read-only"):
        await reader.checkpoint(claim, {"k": "lost"}, steps=2)
    with pytest.raises(CheckpointError, match="read-only"):
        await reader.finish_run(claim, status="finished")
    assert await store.load_checkpoints("r1") == {"k": "good"}
    assert (await store.get_run("r1")).status == "running"
    await reader.close()
    await store.close()


async def test_a_read_only_store_needs_the_file(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "missing.db", read_only=True)
    with pytest.raises(StoreError, match="needs the file"):
        await store.list_runs()
    await store.close()
    assert not (tmp_path / "missing.db").exists()


# ------------------------------------------------------ loops and threads


async def test_a_busy_file_is_waited_for_off_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store, claim = await _run_with_checkpoint(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    writing = asyncio.create_task(store.checkpoint(claim, {"k": "after"}))
    ticks = 0
    while ticks < 50:  # the loop keeps running while the store waits for the lock
        await asyncio.sleep(0)
        ticks += 1
    assert not writing.done()
    other.execute("COMMIT")
    other.close()
    await writing
    assert await store.load_checkpoints("r1") == {"k": "after"}
    await store.close()


async def test_a_write_nothing_waits_for_is_done_without_leaving_the_event_loop(
    tmp_path: Path,
) -> None:
    store, claim = await _run_with_checkpoint(tmp_path / "runs.db")
    ran: list[str] = []
    asyncio.get_running_loop().call_soon(ran.append, "other work")
    await store.checkpoint(claim, {"k": "now"}, steps=2)
    assert ran == []  # no trip through the loop: no thread hop
    assert await store.load_checkpoints("r1") == {"k": "now"}
    assert ran == []
    await store.close()


async def test_a_read_while_another_process_writes_sees_the_last_commit(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store, _ = await _run_with_checkpoint(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE llmkit_checkpoints SET value = '\"uncommitted\"'")
    assert await store.load_checkpoints("r1") == {"k": "good"}
    other.execute("ROLLBACK")
    other.close()
    await store.close()


async def test_the_wal_is_checkpointed_as_writes_go_on(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store, claim = await _run_with_checkpoint(path)
    wal = path.with_name(path.name + "-wal")
    value = "x" * 8000  # a few pages per write
    for step in range(1200):
        await store.checkpoint(claim, {"k": value, "n": step}, steps=step)
    # Without checkpoints the WAL would hold every write: over 1,200 x 8 KB.
    assert wal.stat().st_size < 6_000_000
    assert (await store.load_checkpoints("r1"))["n"] == 1199
    await store.close()
    assert not wal.exists() or wal.stat().st_size == 0


def test_one_store_serves_several_event_loops_in_a_row_and_threads(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "runs.db")
    asyncio.run(store.append_session("s", [{"n": 0}]))
    asyncio.run(store.append_session("s", [{"n": 1}]))
    threads = [
        threading.Thread(target=lambda n=n: asyncio.run(store.append_session("s", [{"n": n}])))
        for n in range(2, 6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state = asyncio.run(store.load_session("s"))
    assert state.version == 6
    assert sorted(m["n"] for m in state.messages) == list(range(6))
    asyncio.run(store.close())


# -------------------------------------------------------- other processes


async def test_two_processes_claiming_at_once_one_wins(tmp_path: Path, children: Any) -> None:
    path = tmp_path / "runs.db"
    store = SQLiteStore(path)
    claim = await store.start_run("r1", kind="agent", name="a")
    await store.finish_run(claim, status="paused")
    answers = await asyncio.to_thread(children, path, ("claim",), ("claim",))
    assert sorted(answer.split()[0] for answer in answers) == ["busy", "won"]
    token = next(answer.split()[1] for answer in answers if answer.startswith("won"))
    assert (await store.get_run("r1")).holder.token == token
    await store.close()


async def test_two_processes_appending_to_one_session_both_keep_their_turns(
    tmp_path: Path, children: Any
) -> None:
    path = tmp_path / "runs.db"
    answers = await asyncio.to_thread(children, path, ("append", "A"), ("append", "B"))
    assert answers == ["done", "done"]
    store = SQLiteStore(path)
    state = await store.load_session("s")
    assert state.version == 50
    for who in "AB":
        assert [m["i"] for m in state.messages if m["who"] == who] == list(range(25))
    await store.close()


async def test_a_run_whose_process_died_is_claimed_at_once(tmp_path: Path, children: Any) -> None:
    path = tmp_path / "runs.db"
    assert await asyncio.to_thread(children, path, ("start",)) == ["done"]
    store = SQLiteStore(path)
    info = await store.get_run("dead")
    assert info.status == "running" and info.holder is not None
    claim, _ = await store.claim_run("dead")  # its holder's pid is gone: no wait for stale_after
    assert (await store.get_run("dead")).holder == claim
    with pytest.raises(RunBusyError):
        await store.claim_run("dead")
    await store.close()
