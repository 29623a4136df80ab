"""The store protocol's guarantees, checked on every store (memory, SQLite, PostgreSQL).

Each test states one guarantee of ``llmkit.durable._store``; the ``store``
fixture runs it on each implementation with a hand-moved clock.
"""

from __future__ import annotations

from typing import Any

import pytest

from llmkit.durable import (
    Claim,
    MemoryStore,
    NotStorableError,
    RunBusyError,
    RunExistsError,
    RunFinishedError,
    RunNotFoundError,
    SessionConflictError,
    StoreFormatError,
)
from llmkit.types import Message

pytestmark = pytest.mark.anyio


# ------------------------------------------------------------------------ runs


async def test_a_new_run_is_running_and_held_by_its_starter(store: Any, clock: Any) -> None:
    claim = await store.start_run(
        "r1", kind="workflow", name="flow", fingerprint="abc", meta={"model": "m"}
    )
    info = await store.get_run("r1")
    assert (info.id, info.kind, info.name, info.status) == ("r1", "workflow", "flow", "running")
    assert info.started == info.updated == clock.now
    assert (info.steps, dict(info.usage), info.fingerprint) == (0, {}, "abc")
    assert info.holder == claim and claim.run_id == "r1"
    assert dict(info.meta) == {"model": "m"}
    assert (info.error, info.result) == (None, None)


async def test_a_run_id_is_used_once(store: Any) -> None:
    claim = await store.start_run("r1", kind="agent", name="a")
    await store.finish_run(claim, status="finished", result="done")
    with pytest.raises(RunExistsError, match="'r1'"):
        await store.start_run("r1", kind="agent", name="b")
    assert (await store.get_run("r1")).name == "a"


async def test_meta_with_no_json_form_creates_no_run(store: Any) -> None:
    with pytest.raises(NotStorableError, match="meta"):
        await store.start_run("r1", kind="agent", name="a", meta={"when": object()})
    assert await store.get_run("r1") is None


async def test_claiming_an_unknown_run_or_one_of_another_kind_finds_nothing(store: Any) -> None:
    with pytest.raises(RunNotFoundError, match="'nope'"):
        await store.claim_run("nope")
    claim = await store.start_run("r1", kind="agent", name="a")
    await store.finish_run(claim, status="paused")
    with pytest.raises(RunNotFoundError, match="workflow run 'r1'"):
        await store.claim_run("r1", kind="workflow")


async def test_a_finished_run_cannot_be_claimed(store: Any) -> None:
    claim = await store.start_run("r1", kind="agent", name="a")
    await store.finish_run(claim, status="finished", result={"output": "hi"})
    with pytest.raises(RunFinishedError, match="'r1'"):
        await store.claim_run("r1")
    assert (await store.get_run("r1")).result == {"output": "hi"}


async def test_a_run_held_by_a_live_process_with_a_fresh_heartbeat_is_busy(
    store: Any, clock: Any
) -> None:
    claim = await store.start_run("r1", kind="agent", name="a")
    clock.advance(59)
    with pytest.raises(RunBusyError, match="live process"):
        await store.claim_run("r1")
    assert (await store.get_run("r1")).holder == claim


async def test_a_run_without_heartbeat_for_stale_after_may_be_taken_over(
    store: Any, clock: Any
) -> None:
    old = await store.start_run("r1", kind="agent", name="a")
    clock.advance(60)
    claim, before = await store.claim_run("r1", kind="agent")
    assert claim != old and claim.run_id == "r1"
    assert before.status == "running" and before.holder == old
    after = await store.get_run("r1")
    assert after.holder == claim and after.updated == clock.now


async def test_a_checkpoint_is_a_heartbeat(store: Any, clock: Any) -> None:
    claim = await store.start_run("r1", kind="agent", name="a")
    clock.advance(50)
    await store.checkpoint(claim, {"k": 1})
    clock.advance(50)
    with pytest.raises(RunBusyError):
        await store.claim_run("r1")


async def test_paused_and_failed_runs_are_claimed_and_running_again(store: Any) -> None:
    for status in ("paused", "failed"):
        claim = await store.start_run(status, kind="agent", name="a")
        await store.finish_run(claim, status=status, error="boom" if status == "failed" else None)
        new, before = await store.claim_run(status)
        assert before.status == status
        after = await store.get_run(status)
        assert (after.status, after.holder, after.error) == ("running", new, None)


async def test_of_two_claims_the_second_is_busy(store: Any) -> None:
    claim = await store.start_run("r1", kind="agent", name="a")
    await store.finish_run(claim, status="paused")
    first, _ = await store.claim_run("r1")
    with pytest.raises(RunBusyError):
        await store.claim_run("r1")
    assert (await store.get_run("r1")).holder == first


async def test_a_claim_that_lost_its_run_writes_nothing(store: Any, clock: Any) -> None:
    old = await store.start_run("r1", kind="agent", name="a")
    await store.checkpoint(old, {"k": "old"}, steps=1)
    clock.advance(60)
    new, _ = await store.claim_run("r1")
    with pytest.raises(RunBusyError, match="taken over"):
        await store.checkpoint(old, {"k": "stale", "other": 1}, steps=9)
    with pytest.raises(RunBusyError, match="taken over"):
        await store.finish_run(old, status="finished", result="stale")
    assert await store.load_checkpoints("r1") == {"k": "old"}
    info = await store.get_run("r1")
    assert (info.status, info.steps, info.holder) == ("running", 1, new)


async def test_writing_to_a_deleted_run_says_so(store: Any) -> None:
    claim = await store.start_run("r1", kind="agent", name="a")
    assert await store.delete_run("r1", force=True) is True
    with pytest.raises(RunNotFoundError, match="deleted"):
        await store.checkpoint(claim, {"k": 1})
    with pytest.raises(RunNotFoundError, match="deleted"):
        await store.finish_run(claim, status="finished")


# ---------------------------------------------------------------- checkpoints


async def test_checkpoints_put_replace_and_delete_keys(store: Any, clock: Any) -> None:
    claim = await store.start_run("r1", kind="workflow", name="f")
    assert await store.load_checkpoints("r1") == {}
    await store.checkpoint(claim, {"a": 1, "b": [1, 2]}, steps=1, usage={"input_tokens": 5})
    clock.advance(1)
    await store.checkpoint(claim, {"b": {"x": None}, "c": "z"}, delete=["a", "missing"])
    assert await store.load_checkpoints("r1") == {"b": {"x": None}, "c": "z"}
    info = await store.get_run("r1")
    assert (info.steps, dict(info.usage), info.updated) == (1, {"input_tokens": 5}, clock.now)


async def test_a_key_both_deleted_and_put_is_put(store: Any) -> None:
    claim = await store.start_run("r1", kind="agent", name="a")
    await store.checkpoint(claim, {"k": 1})
    await store.checkpoint(claim, {"k": 2}, delete=["k"])
    assert await store.load_checkpoints("r1") == {"k": 2}


async def test_a_value_with_no_json_form_writes_nothing_and_is_named(store: Any) -> None:
    claim = await store.start_run("r1", kind="agent", name="a")
    await store.checkpoint(claim, {"good": 1}, steps=1)
    with pytest.raises(NotStorableError, match=r"state\['draft'\]\['when'\]"):
        await store.checkpoint(claim, {"fine": 2, "state": {"draft": {"when": object()}}}, steps=2)
    with pytest.raises(NotStorableError, match="nan"):
        await store.checkpoint(claim, {"score": float("nan")})
    with pytest.raises(NotStorableError, match="string keys"):
        await store.checkpoint(claim, {"map": {1: "one"}})
    with pytest.raises(NotStorableError, match="usage"):
        await store.checkpoint(claim, {"fine": 3}, usage={"t": {1, 2}})
    assert await store.load_checkpoints("r1") == {"good": 1}
    assert (await store.get_run("r1")).steps == 1


async def test_values_come_back_equal_and_unshared(store: Any) -> None:
    value = {
        "text": "héllo ✓ \u2028 \x00 end",
        "numbers": [0, -1, 2**62, 1.5, -0.25, 1e-7, 2**70, -(2**80)],
        "flags": [True, False, None],
        "nested": {"list": [{"a": []}, {}], "tuple": (1, 2)},
    }
    claim = await store.start_run("r1", kind="agent", name="a")
    await store.checkpoint(claim, {"v": value})
    value["nested"]["list"].append("after")
    loaded = await store.load_checkpoints("r1")
    expected = {
        "text": "héllo ✓ \u2028 \x00 end",
        "numbers": [0, -1, 2**62, 1.5, -0.25, 1e-7, 2**70, -(2**80)],
        "flags": [True, False, None],
        "nested": {"list": [{"a": []}, {}], "tuple": [1, 2]},
    }
    assert loaded == {"v": expected}
    assert [type(x) for x in loaded["v"]["flags"]] == [bool, bool, type(None)]
    loaded["v"]["numbers"].clear()
    assert (await store.load_checkpoints("r1"))["v"] == expected


async def test_checkpoints_are_per_run_and_go_with_their_run(store: Any) -> None:
    one = await store.start_run("one", kind="agent", name="a")
    two = await store.start_run("two", kind="agent", name="a")
    await store.checkpoint(one, {"k": 1})
    await store.checkpoint(two, {"k": 2})
    assert await store.delete_run("one", force=True) is True
    assert await store.delete_run("one") is False
    assert await store.load_checkpoints("one") == {}
    assert await store.load_checkpoints("two") == {"k": 2}
    await store.start_run("one", kind="agent", name="again")
    assert await store.load_checkpoints("one") == {}


# ----------------------------------------------------------------- finishing


async def test_finishing_records_the_end_and_releases_the_run(store: Any, clock: Any) -> None:
    claim = await store.start_run("r1", kind="agent", name="a")
    clock.advance(3)
    await store.finish_run(claim, status="failed", error="the model refused")
    info = await store.get_run("r1")
    assert (info.status, info.error, info.holder, info.updated) == (
        "failed",
        "the model refused",
        None,
        clock.now,
    )
    with pytest.raises(RunBusyError):
        await store.finish_run(claim, status="finished")


async def test_a_result_with_no_json_form_leaves_the_run_running(store: Any) -> None:
    claim = await store.start_run("r1", kind="agent", name="a")
    with pytest.raises(NotStorableError, match="result"):
        await store.finish_run(claim, status="finished", result={"x": object()})
    info = await store.get_run("r1")
    assert (info.status, info.holder) == ("running", claim)


async def test_runs_are_listed_newest_first_and_filtered(store: Any, clock: Any) -> None:
    for run_id, kind in (("a", "agent"), ("b", "workflow"), ("c", "agent")):
        claim = await store.start_run(run_id, kind=kind, name=run_id)
        if run_id != "c":
            await store.finish_run(claim, status="finished")
        clock.advance(1)
    assert [info.id for info in await store.list_runs()] == ["c", "b", "a"]
    assert [info.id for info in await store.list_runs(kind="agent")] == ["c", "a"]
    assert [info.id for info in await store.list_runs(status="finished")] == ["b", "a"]
    assert [info.id for info in await store.list_runs(kind="agent", status="running")] == ["c"]
    assert [info.id for info in await store.list_runs(limit=2)] == ["c", "b"]
    assert await store.get_run("zzz") is None


async def test_a_claim_is_plain_data(store: Any) -> None:
    claim = await store.start_run("r1", kind="agent", name="a")
    copy = Claim(run_id=claim.run_id, token=claim.token, host=claim.host, pid=claim.pid)
    await store.checkpoint(copy, {"k": 1})
    assert await store.load_checkpoints("r1") == {"k": 1}


# ------------------------------------------------------------------ sessions


async def test_a_session_never_written_is_empty_at_version_0(store: Any) -> None:
    state = await store.load_session("s")
    assert (state.id, state.version, state.messages) == ("s", 0, [])
    assert await store.list_sessions() == []
    assert await store.delete_session("s") is False


async def test_appends_add_after_the_stored_messages(store: Any) -> None:
    assert await store.append_session("s", [{"n": 1}, {"n": 2}]) == 1
    assert await store.append_session("s", [{"n": 3}]) == 2
    state = await store.load_session("s")
    assert (state.version, state.messages) == (2, [{"n": 1}, {"n": 2}, {"n": 3}])


async def test_a_replace_needs_the_version_it_read(store: Any) -> None:
    await store.append_session("s", [{"n": 1}])
    with pytest.raises(SessionConflictError, match="version 1, not 0"):
        await store.replace_session("s", [{"n": 9}], expected_version=0)
    assert await store.replace_session("s", [{"n": 2}, {"n": 3}], expected_version=1) == 2
    assert await store.append_session("s", [{"n": 4}]) == 3
    state = await store.load_session("s")
    assert (state.version, state.messages) == (3, [{"n": 2}, {"n": 3}, {"n": 4}])
    assert await store.replace_session("new", [{"n": 0}], expected_version=0) == 1


async def test_session_messages_with_no_json_form_write_nothing(store: Any) -> None:
    await store.append_session("s", [{"n": 1}])
    with pytest.raises(NotStorableError, match=r"messages\[1\]"):
        await store.append_session("s", [{"n": 2}, {"n": object()}])
    with pytest.raises(NotStorableError):
        await store.replace_session("s", [{"n": b"bytes"}], expected_version=1)
    state = await store.load_session("s")
    assert (state.version, state.messages) == (1, [{"n": 1}])


async def test_sessions_are_listed_by_last_update_and_deleted(store: Any, clock: Any) -> None:
    await store.append_session("old", [{"n": 1}])
    clock.advance(1)
    await store.append_session("new", [{"n": 1}, {"n": 2}])
    clock.advance(1)
    await store.append_session("old", [{"n": 2}, {"n": 3}])
    listed = [(i.id, i.version, i.messages, i.updated) for i in await store.list_sessions()]
    assert listed == [("old", 2, 3, clock.now), ("new", 1, 2, clock.now - 1)]
    assert [i.id for i in await store.list_sessions(limit=1)] == ["old"]
    assert await store.delete_session("old") is True
    assert (await store.load_session("old")).messages == []
    assert [i.id for i in await store.list_sessions()] == ["new"]


async def test_a_fork_copies_and_refuses_an_existing_id(store: Any) -> None:
    session = store.session("s")
    await session.append([Message.user("My name is Ada."), Message.assistant("Hello, Ada.")])
    fork = await store.fork_session("s", "s2")
    await fork.append([Message.user("And yours?")])
    assert [m.text for m in await session.messages()] == ["My name is Ada.", "Hello, Ada."]
    assert [m.text for m in await fork.messages()] == [
        "My name is Ada.",
        "Hello, Ada.",
        "And yours?",
    ]
    with pytest.raises(SessionConflictError, match="already exists"):
        await session.fork("s2")
    assert len(await fork.messages()) == 3


async def test_a_session_handle_round_trips_messages(store: Any) -> None:
    session = store.session("chat")
    messages = [Message.system("Be brief."), Message.user("Hi"), Message.assistant("Hello")]
    assert await session.append(messages) == 1
    loaded, version = await session.load()
    assert (loaded, version) == (messages, 1)
    assert await session.replace(loaded[:1], expected_version=1) == 2
    assert await session.messages() == messages[:1]


async def test_a_run_a_live_process_holds_is_deleted_only_with_force(
    store: Any, clock: Any
) -> None:
    claim = await store.start_run("held", kind="agent", name="a")
    await store.checkpoint(claim, {"k": 1})
    with pytest.raises(RunBusyError, match="force=True"):
        await store.delete_run("held")
    assert await store.load_checkpoints("held") == {"k": 1}
    assert await store.delete_run("held", force=True) is True
    assert await store.get_run("held") is None
    stale = await store.start_run("stale", kind="agent", name="a")
    done = await store.start_run("done", kind="agent", name="a")
    await store.finish_run(done, status="finished")
    assert await store.delete_run("done") is True
    clock.advance(60)
    assert await store.delete_run("stale") is True
    with pytest.raises(RunNotFoundError, match="deleted"):
        await store.checkpoint(stale, {"k": 2})


# ------------------------------------------------------------------ schema


async def test_a_store_written_at_an_older_schema_version_migrates_forward_and_keeps_its_data(
    make_store: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmkit.durable import _postgres, _schema

    first = make_store(clock=clock)
    if isinstance(first, MemoryStore):
        pytest.skip("a store in memory has no schema")
    claim = await first.start_run("r1", kind="workflow", name="article")
    await first.checkpoint(claim, {"state": {"topic": "tides"}}, steps=1)
    await first.finish_run(claim, status="finished", result={"ok": True})
    await first.append_session("chat", [{"role": "user", "content": "hi"}])
    await first.close()

    v2 = (
        "CREATE TABLE llmkit_extra (note TEXT)",
        "UPDATE llmkit_meta SET value = '2' WHERE key = 'schema_version'",
    )
    with monkeypatch.context() as patch:
        patch.setattr(_schema, "MIGRATIONS", (*_schema.MIGRATIONS, v2))
        patch.setattr(_schema, "SCHEMA_VERSION", 2)
        patch.setattr(_postgres, "SCHEMA_VERSION", 2)
        newer = make_store(clock=clock)
        try:
            info = await newer.get_run("r1")
            assert info is not None and info.status == "finished" and info.steps == 1
            assert info.result == {"ok": True}
            assert await newer.load_checkpoints("r1") == {"state": {"topic": "tides"}}
            assert len((await newer.load_session("chat")).messages) == 1
            await newer.start_run("r2", kind="agent", name="a")
        finally:
            await newer.close()

    older = make_store(clock=clock)  # this llmkit again: the store is now at version 2
    try:
        with pytest.raises(StoreFormatError, match="schema version 2"):
            await older.get_run("r1")
    finally:
        await older.close()
