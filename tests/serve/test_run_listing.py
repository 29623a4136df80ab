"""Listing a tenant's runs and sessions (service and HTTP), and the server's time on every event."""

from __future__ import annotations

import dataclasses
import itertools
import json

import httpx
import pytest

from llmkit import Agent, events
from llmkit.durable import MemoryStore
from llmkit.errors import UsageError
from llmkit.serve import RunService
from llmkit.testing import ScriptedModel

from .test_runs_api import A, B, read_events

pytestmark = pytest.mark.anyio


def agent(*script: object) -> Agent:
    return Agent(ScriptedModel(list(script)), name="support")


def ticking(start: float = 1_800_000_000.0, step: float = 0.25):
    """A clock that moves ``step`` seconds each time it is read."""
    counter = itertools.count()
    return lambda: start + step * next(counter)


async def test_runs_are_listed_newest_first_a_page_at_a_time_per_tenant() -> None:
    service = RunService(agent(*[f"answer {n}" for n in range(7)]))
    mine = [(await service.start("a", "support", f"q{n}", wait=True)).id for n in range(5)]
    theirs = [(await service.start("b", "support", f"q{n}", wait=True)).id for n in range(2)]
    first = service.runs("a", limit=2)
    assert [run.id for run in first.runs] == mine[::-1][:2]
    second = service.runs("a", limit=2, after=first.next)
    assert [run.id for run in second.runs] == mine[::-1][2:4]
    last = service.runs("a", limit=2, after=second.next)
    assert [run.id for run in last.runs] == [mine[0]]
    assert last.next is None
    assert [run.id for run in service.runs("b").runs] == theirs[::-1]
    assert service.runs("c").runs == []


async def test_a_cursor_holds_while_runs_start_and_are_forgotten() -> None:
    service = RunService(agent(*["ok"] * 8), keep_runs=4)
    ids = [(await service.start("a", "support", "q", wait=True)).id for _ in range(4)]
    page = service.runs("a", limit=2)
    assert [run.id for run in page.runs] == [ids[3], ids[2]]
    newer = [(await service.start("a", "support", "q", wait=True)).id for _ in range(1)]
    # The oldest run is forgotten (keep_runs=4); the next page goes on where the first stopped.
    rest = service.runs("a", limit=2, after=page.next)
    assert [run.id for run in rest.runs] == [ids[1]]
    assert rest.next is None
    assert service.runs("a", limit=1).runs[0].id == newer[0]


@pytest.mark.parametrize("limit", [0, -1, 1001, True, "5", 2.0])
async def test_a_page_size_out_of_range_is_refused(limit: object) -> None:
    service = RunService(agent("ok"))
    with pytest.raises(UsageError, match="A page holds 1 to 1000 runs"):
        service.runs("a", limit=limit)
    with pytest.raises(UsageError, match="A page holds 1 to 1000 sessions"):
        await service.list_sessions("a", limit=limit)


@pytest.mark.parametrize("cursor", ["", "abc", "-1", "1.5", "٣", "9" * 5000])
async def test_a_cursor_that_no_page_gave_is_refused(cursor: str) -> None:
    service = RunService(agent("ok"))
    with pytest.raises(UsageError, match="A cursor is the 'next' of the page before"):
        service.runs("a", after=cursor)


async def test_a_tenant_finds_its_sessions_whatever_other_tenants_keep() -> None:
    now = itertools.count()
    store = MemoryStore(clock=lambda: float(next(now)))
    service = RunService(agent(*["ok"] * 130), store=store)
    await service.start("a", "support", "hello", session="old-one", wait=True)
    for n in range(120):  # another tenant's sessions, every one updated later
        await service.start("b", "support", "hi", session=f"s{n}", wait=True)
    found = await service.list_sessions("a", limit=1)
    assert [(info.id, info.messages) for info in found] == [("old-one", 2)]
    theirs = await service.list_sessions("b", limit=3)
    assert [info.id for info in theirs] == ["s119", "s118", "s117"]
    assert await service.list_sessions("c") == []


async def test_every_event_carries_the_server_s_time_and_a_run_its_end() -> None:
    clock = ticking()
    service = RunService(agent("Hello."), clock=clock)
    run = await service.start("a", "support", "hi", wait=True)
    kept = run.events.kept()
    times = [data["time"] for _, data in kept]
    # created took the clock's first reading; then one reading per event, then the end.
    assert times == [1_800_000_000.0 + 0.25 * n for n in range(1, len(kept) + 1)]
    assert run.ended == times[-1] + 0.25
    summary = run.summary()
    assert (summary["created"], summary["ended"], summary["duration"]) == (
        1_800_000_000,
        run.ended,
        run.ended - 1_800_000_000.0,
    )
    assert "output" not in summary and "trace" not in summary
    assert summary["usage"]["requests"] == 1


def test_no_event_has_a_field_named_like_the_server_s_time() -> None:
    from llmkit._events.catalog import EVENT_TYPES
    from llmkit.serve._run import TIME_KEY

    for cls in EVENT_TYPES:
        names = {field.name for field in dataclasses.fields(cls)}
        assert TIME_KEY not in names, cls.topic


def test_the_runs_api_lists_the_caller_s_runs_with_a_cursor(serve) -> None:
    url = serve(agent(*[f"answer {n}" for n in range(4)]))
    started = []
    for n, headers in enumerate((A, A, B, A)):
        body = {"agent": "support", "input": f"q{n}", "wait": True}
        started.append(httpx.post(f"{url}/v1/runs", json=body, headers=headers).json()["id"])
    page = httpx.get(f"{url}/v1/runs", params={"limit": 2}, headers=A).json()
    assert page["object"] == "list"
    assert [run["id"] for run in page["data"]] == [started[3], started[1]]
    assert {"status", "target", "kind", "created", "ended", "duration", "usage"} <= set(
        page["data"][0]
    )
    assert page["data"][0]["status"] == "complete"
    rest = httpx.get(f"{url}/v1/runs", params={"limit": 2, "after": page["next"]}, headers=A).json()
    assert [run["id"] for run in rest["data"]] == [started[0]]
    assert rest["next"] is None
    theirs = httpx.get(f"{url}/v1/runs", headers=B).json()
    assert [run["id"] for run in theirs["data"]] == [started[2]]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"limit": "many"}, "?limit= is a whole number"),
        ({"limit": "0"}, "A page holds 1 to 1000 runs"),
        ({"after": "run_x"}, "A cursor is the 'next' of the page before"),
        ({"after": "9" * 5000}, "A cursor is the 'next' of the page before"),
        ({"limit": "9" * 5000}, "?limit= is a whole number"),
        ({"page": "2"}, "Unknown query parameter 'page'"),
    ],
)
def test_a_bad_listing_query_is_a_400_saying_what_to_send(serve, query, says) -> None:
    url = serve(agent("ok"))
    reply = httpx.get(f"{url}/v1/runs", params=query, headers=A)
    assert reply.status_code == 400
    assert says in reply.json()["error"]["message"]


def test_the_sessions_api_lists_the_caller_s_sessions_only(serve) -> None:
    url = serve(agent("one", "two"))
    for session, headers in (("ada", A), ("bob", B)):
        body = {"agent": "support", "input": "hi", "session": session, "wait": True}
        assert httpx.post(f"{url}/v1/runs", json=body, headers=headers).status_code == 200
    mine = httpx.get(f"{url}/v1/sessions", headers=A).json()
    assert [(s["id"], s["messages"]) for s in mine["data"]] == [("ada", 2)]
    theirs = httpx.get(f"{url}/v1/sessions", headers=B).json()
    assert [s["id"] for s in theirs["data"]] == ["bob"]


def test_sse_events_carry_the_server_s_time_from_its_clock(serve) -> None:
    url = serve(agent("Hello."), clock=ticking(step=0.5))
    run = httpx.post(
        f"{url}/v1/runs", json={"agent": "support", "input": "hi", "wait": True}, headers=A
    ).json()
    sent = read_events(url, run["id"], A)
    assert [data["time"] for _, _, data in sent] == [
        1_800_000_000.0 + 0.5 * n for n in range(1, len(sent) + 1)
    ]
    # An additive field: the event's own fields are as they were, and it reads back as the event.
    request = next(data for _, topic, data in sent if topic == "model.request")
    assert events.event_from_dict(json.loads(json.dumps(request))).topic == "model.request"
