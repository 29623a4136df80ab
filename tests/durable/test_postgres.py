"""PostgresStore beyond the protocol: its schema, refused writes, secrets, and other processes."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import pytest

from llmkit.durable import CheckpointError, PostgresStore, StoreError, StoreFormatError
from llmkit.durable._schema import SCHEMA_VERSION
from llmkit.errors import MissingExtraError, UsageError

pytestmark = pytest.mark.anyio

needs_pg = pytest.mark.pg


def _query(dsn: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else []


def test_without_the_extra_the_error_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if it were not installed
    with pytest.raises(MissingExtraError, match=r"llmkit\[postgres\]"):
        PostgresStore("postgresql://127.0.0.1/llmkit")


def test_bad_options_are_refused() -> None:
    with pytest.raises(UsageError, match="connection string"):
        PostgresStore("")
    with pytest.raises(UsageError, match="pool_size"):
        PostgresStore("postgresql://127.0.0.1/llmkit", pool_size=0)
    with pytest.raises(UsageError, match="could not read"):
        PostgresStore("host=127.0.0.1 dbname='unclosed")


async def test_the_password_appears_in_no_repr_and_no_error(free_port: int) -> None:
    dsn = f"postgresql://ada:s3cr3t-pw@127.0.0.1:{free_port}/llmkit"
    store = PostgresStore(dsn, connect_timeout=0.2)
    assert "s3cr3t" not in repr(store) and "ada@127.0.0.1" in repr(store)
    with pytest.raises(StoreError) as caught:
        await store.list_runs()
    assert "s3cr3t" not in str(caught.value)
    assert f"127.0.0.1:{free_port}" in str(caught.value)
    await store.close()


@needs_pg
async def test_a_new_database_gets_the_schema_once_even_when_two_stores_open_it(
    pg_dsn: str,
) -> None:
    stores = [PostgresStore(pg_dsn) for _ in range(3)]
    await asyncio.gather(*(store.list_runs() for store in stores))
    for store in stores:
        await store.close()
    assert _query(pg_dsn, "SELECT key, value FROM llmkit_meta") == [
        ("schema_version", str(SCHEMA_VERSION))
    ]


@needs_pg
async def test_a_database_from_a_newer_llmkit_is_refused_and_left_untouched(
    pg_dsn: str,
) -> None:
    store = PostgresStore(pg_dsn)
    claim = await store.start_run("r1", kind="agent", name="a")
    await store.checkpoint(claim, {"k": "good"})
    await store.close()
    _query(pg_dsn, "UPDATE llmkit_meta SET value = '99' WHERE key = 'schema_version'")
    newer = PostgresStore(pg_dsn)
    with pytest.raises(StoreFormatError, match=r"version 99.*newer llmkit"):
        await newer.load_checkpoints("r1")
    await newer.close()
    assert _query(pg_dsn, "SELECT value FROM llmkit_checkpoints") == [('"good"',)]


@needs_pg
async def test_a_read_only_database_fails_the_checkpoint_and_keeps_the_last_one(
    pg_dsn: str,
) -> None:
    store = PostgresStore(pg_dsn)
    claim = await store.start_run("r1", kind="agent", name="a")
    await store.checkpoint(claim, {"k": "good"}, steps=1)
    read_only = PostgresStore(f"{pg_dsn}?options=-c%20default_transaction_read_only%3Don")
    assert [info.id for info in await read_only.list_runs()] == ["r1"]
    with pytest.raises(CheckpointError, match="read-only transaction"):
        await read_only.checkpoint(claim, {"k": "lost"}, steps=2)
    assert await store.load_checkpoints("r1") == {"k": "good"}
    assert (await store.get_run("r1")).steps == 1
    await read_only.close()
    await store.close()


@needs_pg
def test_one_store_serves_several_event_loops_in_a_row(pg_dsn: str) -> None:
    store = PostgresStore(pg_dsn)
    for n in range(3):
        asyncio.run(store.append_session("s", [{"n": n}]))
    assert [m["n"] for m in asyncio.run(store.load_session("s")).messages] == [0, 1, 2]
    asyncio.run(store.close())


@needs_pg
async def test_two_processes_claiming_at_once_one_wins(pg_dsn: str, children: Any) -> None:
    store = PostgresStore(pg_dsn)
    claim = await store.start_run("r1", kind="agent", name="a")
    await store.finish_run(claim, status="paused")
    answers = await asyncio.to_thread(children, pg_dsn, ("claim",), ("claim",))
    assert sorted(answer.split()[0] for answer in answers) == ["busy", "won"]
    token = next(answer.split()[1] for answer in answers if answer.startswith("won"))
    assert (await store.get_run("r1")).holder.token == token
    await store.close()


@needs_pg
async def test_two_processes_appending_to_one_session_both_keep_their_turns(
    pg_dsn: str, children: Any
) -> None:
    answers = await asyncio.to_thread(children, pg_dsn, ("append", "A"), ("append", "B"))
    assert answers == ["done", "done"]
    store = PostgresStore(pg_dsn)
    state = await store.load_session("s")
    assert state.version == 50
    for who in "AB":
        assert [m["i"] for m in state.messages if m["who"] == who] == list(range(25))
    await store.close()


@needs_pg
def test_the_runs_command_reads_a_postgres_store(
    pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from llmkit.cli import main

    async def fill() -> None:
        store = PostgresStore(pg_dsn)
        claim = await store.start_run("r1", kind="agent", name="helper")
        await store.checkpoint(claim, {"messages": [{"role": "user"}]}, steps=1)
        await store.close()

    asyncio.run(fill())
    assert main(["runs", "list", "--store", pg_dsn, "--json"]) == 0
    assert [run["id"] for run in json.loads(capsys.readouterr().out)] == ["r1"]
    assert main(["runs", "show", "r1", "--store", pg_dsn]) == 0
    assert "  messages: list of 1 item" in capsys.readouterr().out
    assert main(["runs", "delete", "r1", "--store", pg_dsn]) == 1  # held by this process
    assert main(["runs", "delete", "r1", "--store", pg_dsn, "--force"]) == 0
    assert main(["runs", "delete", "r1", "--store", pg_dsn]) == 1
