"""Replaying a recorded workflow: the same result, offline, no function run again; divergences named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import llmkit
from llmkit import Agent
from llmkit.errors import (
    ReplayDivergence,
    ReplayedError,
    ServerError,
    UsageError,
    WorkflowError,
)
from llmkit.http import RetryPolicy
from llmkit.recording import Recording, record, replay
from llmkit.testing import FakeProviderServer, ScriptedModel
from llmkit.workflow import (
    Retry,
    Workflow,
    branch,
    loop,
    map_each,
    parallel,
    sequence,
    step,
    when,
)
from llmkit.workflow._replay import rebuilt_error

pytestmark = pytest.mark.anyio

KEY = "sk-workflow-0123456789abcdefghij"
calls: list[str] = []


@pytest.fixture(autouse=True)
def _clear() -> None:
    calls.clear()


class Article(BaseModel):
    topic: str
    notes: str = ""
    score: float = 0.0
    draft: str = ""


def http_agent(server: FakeProviderServer, name: str) -> Agent[Any]:
    model = llmkit.model(
        "openai/gpt-4.1-mini",
        base_url=server.openai_base_url,
        api_key=KEY,
        retry=RetryPolicy(max_retries=0),
    )
    return Agent(model, name=name, instructions="Be brief.")


def offline_agent(name: str) -> Agent[Any]:
    """The agent as another process builds it: a model string nobody resolves."""
    return Agent("openai/gpt-4.1-mini", name=name, instructions="Be brief.")


def flaky_score(state: Article) -> float:
    """Fails on its first call of a run, then scores by the notes' length."""
    calls.append("score")
    if calls.count("score") == 1:
        raise ConnectionError("the scorer is warming up")
    return min(1.0, len(state.notes) / 100)


def article(researcher: Agent[Any], rewriter: Agent[Any], publisher: Agent[Any]) -> Workflow:
    return sequence(
        step(researcher, input=lambda s: s.topic, output="notes"),
        step(flaky_score, name="score", output="score", retry=Retry(attempts=3, delay=0)),
        branch(
            when(lambda s: s.score < 0.8, step(rewriter, output="draft")),
            otherwise=step(publisher, output="draft"),
        ),
        name="article",
        state=Article,
    )


async def test_a_recorded_flow_replays_offline_to_the_same_result(
    llmkit_fake_server: FakeProviderServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "flow.jsonl"
    server = llmkit_fake_server
    server.script(["Tides rise twice a day.", "A short draft on tides."])
    flow = article(
        http_agent(server, "researcher"),
        http_agent(server, "rewriter"),
        http_agent(server, "publisher"),
    )
    with record(path):
        original = await flow.run(Article(topic="tidal energy"))
    assert original.state.draft == "A short draft on tides."
    assert calls == ["score", "score"]
    assert len(server.requests) == 2
    server.reset()
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    offline = article(
        offline_agent("researcher"), offline_agent("rewriter"), offline_agent("publisher")
    )
    replayed = await offline.replay_from(Recording.load(path))
    assert replayed.to_dict(comparable=True) == original.to_dict(comparable=True)
    assert replayed.run_id == original.run_id
    assert calls == ["score", "score"]  # the function did not run again
    assert server.requests == []  # nothing reached the network


def scripted_flow(score: Any = flaky_score, **options: Any) -> Workflow:
    researcher = Agent(ScriptedModel(["Tides rise twice a day."]), name="researcher")
    rewriter = Agent(ScriptedModel(["A short draft."]), name="rewriter")
    return sequence(
        step(researcher, input=lambda s: s.topic, output="notes"),
        step(score, name="score", output="score", retry=Retry(attempts=3, delay=0)),
        branch(when(lambda s: s.score < 0.8, step(rewriter, output="draft")), otherwise=None),
        name="article",
        state=Article,
        **options,
    )


def recorded(tmp_path: Path, flow: Workflow, state: Any = None) -> tuple[Path, Any]:
    path = tmp_path / "flow.jsonl"
    with record(path):
        result = flow.run_sync(state if state is not None else Article(topic="tides"))
    return path, result


def test_recording_replay_and_llmkit_replay_take_a_workflow(tmp_path: Path) -> None:
    path, original = recorded(tmp_path, scripted_flow())
    expected = original.to_dict(comparable=True)
    assert Recording.load(path).replay_sync(scripted_flow()).to_dict(comparable=True) == expected
    assert replay(path, scripted_flow()).to_dict(comparable=True) == expected
    assert calls == ["score", "score"]


async def test_functions_rerun_runs_function_steps_again(tmp_path: Path) -> None:
    path, original = recorded(tmp_path, scripted_flow())
    calls.clear()
    calls.append("score")  # the scorer is warm: the rerun succeeds at once
    flow = scripted_flow()
    replayed = await flow.replay_from(Recording.load(path), functions="rerun")
    assert calls == ["score", "score"]
    assert replayed.state == original.state
    assert [r.attempts for r in replayed.trace if r.path == "article/score"] == [1]


async def test_a_replay_starts_from_the_state_given_when_it_equals_the_recorded_one(
    tmp_path: Path,
) -> None:
    flow = sequence(step(lambda s: s["n"] + 1, name="inc", output="n"), name="plain")
    path, original = recorded(tmp_path, flow, {"n": 1})
    replayed = await flow.replay_from(Recording.load(path), state={"n": 1})
    assert replayed.state == original.state == {"n": 2}
    from_recording = await flow.replay_from(path)
    assert from_recording.state == {"n": 2}


async def test_a_changed_state_is_a_divergence_naming_the_start_line(tmp_path: Path) -> None:
    path, _ = recorded(tmp_path, scripted_flow())
    with pytest.raises(ReplayDivergence, match="line 2: the state given differs") as info:
        await scripted_flow().replay_from(Recording.load(path), state=Article(topic="moons"))
    assert info.value.line == 2
    assert "topic" in info.value.diff


async def test_a_changed_function_input_is_a_divergence_naming_its_line(tmp_path: Path) -> None:
    path, _ = recorded(tmp_path, scripted_flow())
    recording = Recording.load(path)
    start = recording.workflow().steps()[2].start  # article/score, attempt 1
    researcher = Agent(ScriptedModel(["x"]), name="researcher")
    changed = sequence(
        step(researcher, input=lambda s: s.topic, output="notes"),
        step(flaky_score, name="score", input=lambda s: {"notes": s.notes}, output="score"),
        name="article",
        state=Article,
    )
    with pytest.raises(ReplayDivergence, match=f"line {start.line}: the input of article/score"):
        await changed.replay_from(recording)


async def test_a_changed_agent_input_is_a_divergence_naming_the_run_start(
    tmp_path: Path,
) -> None:
    path, _ = recorded(tmp_path, scripted_flow())
    recording = Recording.load(path)
    researcher = Agent(ScriptedModel(["x"]), name="researcher")
    changed = sequence(
        step(researcher, input=lambda s: f"Research {s.topic}", output="notes"), name="article"
    )
    line = recording.run().start.line
    with pytest.raises(ReplayDivergence, match=f"line {line}: the input of article/researcher"):
        await changed.replay_from(recording, state=Article(topic="tides"))


async def test_an_extra_step_is_a_divergence(tmp_path: Path) -> None:
    path, _ = recorded(tmp_path, scripted_flow())
    researcher = Agent(ScriptedModel(["x"]), name="researcher")
    changed = sequence(
        step(researcher, input=lambda s: s.topic, output="notes"),
        step(lambda s: "checked", name="check"),
        name="article",
        state=Article,
    )
    with pytest.raises(
        ReplayDivergence,
        match="the workflow now runs article/check \\(attempt 1\\), which the recording "
        "does not hold; record it again",
    ):
        await changed.replay_from(Recording.load(path))


async def test_another_workflow_is_refused(tmp_path: Path) -> None:
    path, _ = recorded(tmp_path, scripted_flow())
    other = sequence(step(lambda s: 1, name="one"), name="other")
    with pytest.raises(ReplayDivergence, match="holds workflow 'article', not 'other'"):
        await other.replay_from(Recording.load(path))


async def test_replay_from_checks_its_arguments(tmp_path: Path) -> None:
    path, _ = recorded(tmp_path, scripted_flow())
    with pytest.raises(UsageError, match="takes 'recorded' .* or 'rerun'"):
        await scripted_flow().replay_from(Recording.load(path), functions="again")  # type: ignore[arg-type]  # the bad value is the test
    with pytest.raises(UsageError, match="takes a Recording"):
        await scripted_flow().replay_from(42)
    with pytest.raises(UsageError, match="holds 1 workflow run; workflow\\(3\\) does not exist"):
        await scripted_flow().replay_from(Recording.load(path), run=3)


async def test_a_recorded_failure_replays_to_the_same_error(tmp_path: Path) -> None:
    def broken(state: dict[str, Any]) -> int:
        calls.append("broken")
        raise KeyError("missing")

    flow = sequence(step(lambda s: 1, name="one", output="a"), step(broken), name="fails")
    path = tmp_path / "flow.jsonl"
    with record(path), pytest.raises(WorkflowError) as first:
        await flow.run({})
    with pytest.raises(WorkflowError) as again:
        await flow.replay_from(Recording.load(path))
    assert type(again.value) is type(first.value)
    assert str(again.value) == str(first.value)
    assert again.value.path == first.value.path == "fails/broken"
    assert type(again.value.__cause__) is KeyError
    assert again.value.state == first.value.state == {"a": 1}
    assert calls == ["broken"]


class Flaky(Exception):
    """A user's error class, importable where the workflow is defined."""


async def test_user_errors_are_rebuilt_and_retried_as_recorded(tmp_path: Path) -> None:
    def once(state: dict[str, Any]) -> str:
        calls.append("once")
        if len(calls) == 1:
            raise Flaky("try again")
        return "done"

    flow = sequence(
        step(once, output="out", retry=Retry(attempts=2, delay=0, on=Flaky)), name="flow"
    )
    path, original = recorded(tmp_path, flow, {})
    replayed = await flow.replay_from(Recording.load(path))
    assert replayed.to_dict(comparable=True) == original.to_dict(comparable=True)
    assert [r.attempts for r in replayed.trace] == [1, 2]
    assert calls == ["once", "once"]


async def test_an_error_class_that_cannot_be_rebuilt_replays_by_name(tmp_path: Path) -> None:
    class Local(Exception):
        def __init__(self, code: int) -> None:
            super().__init__(f"code {code}")

    def once(state: dict[str, Any]) -> str:
        calls.append("once")
        if len(calls) == 1:
            raise Local(7)
        return "done"

    flow = sequence(step(once, output="out", retry=Retry(attempts=2, delay=0, on=Local)), name="f")
    path, original = recorded(tmp_path, flow, {})
    replayed = await flow.replay_from(Recording.load(path))
    assert replayed.to_dict(comparable=True) == original.to_dict(comparable=True)
    line = Recording.load(path).workflow().steps()[1].outcome
    assert line is not None
    error = rebuilt_error(line.data)
    assert isinstance(error, ReplayedError)
    assert (error.error_type, str(error)) == ("Local", "code 7")


async def test_agent_steps_replay_their_failed_attempts_and_retries(tmp_path: Path) -> None:
    model = ScriptedModel([ServerError("upstream down"), "Notes."])
    researcher = Agent(model, name="researcher")
    flow = sequence(
        step(researcher, input=lambda s: s.topic, output="notes", retry=Retry(delay=0)),
        name="article",
        state=Article,
    )
    path, original = recorded(tmp_path, flow)
    assert [r.attempts for r in original.trace] == [1, 2]
    again = sequence(
        step(
            Agent("openai/gpt-4.1-mini", name="researcher"),
            input=lambda s: s.topic,
            output="notes",
            retry=Retry(),
        ),
        name="article",
        state=Article,
    )
    replayed = await again.replay_from(Recording.load(path))
    assert replayed.to_dict(comparable=True) == original.to_dict(comparable=True)


async def test_a_retried_sub_flow_replays_its_steps_once_per_attempt(tmp_path: Path) -> None:
    def first(state: dict[str, Any]) -> int:
        calls.append("first")
        return len(calls)

    def second(state: dict[str, Any]) -> int:
        calls.append("second")
        if calls.count("second") == 1:
            raise ConnectionError("dropped")
        return 2

    inner = sequence(step(first, output="a"), step(second, output="b"), name="inner")
    flow = sequence(step(inner, retry=Retry(attempts=2, delay=0)), name="outer")
    path, original = recorded(tmp_path, flow, {})
    assert original.state == {"a": 3, "b": 2}
    calls.clear()
    replayed = await flow.replay_from(Recording.load(path))
    assert replayed.to_dict(comparable=True) == original.to_dict(comparable=True)
    assert calls == []


async def test_a_fallback_replays(tmp_path: Path) -> None:
    def broken(state: dict[str, Any]) -> str:
        calls.append("broken")
        raise ValueError("no")

    flow = sequence(
        step(broken, output="out", fallback=step(lambda s: "spare", name="spare")), name="f"
    )
    path, original = recorded(tmp_path, flow, {})
    replayed = await flow.replay_from(Recording.load(path))
    assert replayed.to_dict(comparable=True) == original.to_dict(comparable=True)
    assert replayed.state == {"out": "spare"}
    assert calls == ["broken"]


async def test_a_parallel_replays_in_declared_order(tmp_path: Path) -> None:
    critic_a = Agent(ScriptedModel(["good"]), name="critic_a", instructions="Be brief.")
    critic_b = Agent(ScriptedModel(["fine"]), name="critic_b", instructions="Be brief.")
    flow = sequence(
        parallel(critic_a, critic_b, output="reviews"),
        step(lambda s: len(s["reviews"]), name="count", output="n"),
        name="reviews",
    )
    path, original = recorded(tmp_path, flow, {"topic": "tides"})
    again = sequence(
        parallel(offline_agent("critic_a"), offline_agent("critic_b"), output="reviews"),
        step(lambda s: len(s["reviews"]), name="count", output="n"),
        name="reviews",
    )
    replayed = await again.replay_from(Recording.load(path))
    assert replayed.to_dict(comparable=True) == original.to_dict(comparable=True)
    assert replayed.state["reviews"] == ["good", "fine"]


async def test_a_map_replays_each_item(tmp_path: Path) -> None:
    def shout(item: str) -> str:
        calls.append(item)
        return item.upper()

    flow = sequence(map_each(step(shout), over="items", output="loud"), name="m")
    path, original = recorded(tmp_path, flow, {"items": ["a", "b", "c"]})
    calls.clear()
    replayed = await flow.replay_from(Recording.load(path))
    assert replayed.to_dict(comparable=True) == original.to_dict(comparable=True)
    assert replayed.state["loud"] == ["A", "B", "C"]
    assert calls == []


async def test_a_loop_replays_each_iteration(tmp_path: Path) -> None:
    def grow(state: dict[str, Any]) -> int:
        calls.append("grow")
        return int(state["n"]) + 1

    flow = sequence(loop(step(grow, output="n"), until=lambda s: s["n"] >= 3), name="l")
    path, original = recorded(tmp_path, flow, {"n": 0})
    calls.clear()
    replayed = await flow.replay_from(Recording.load(path))
    assert replayed.to_dict(comparable=True) == original.to_dict(comparable=True)
    assert calls == []
