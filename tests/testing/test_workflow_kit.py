"""The testing kit for workflows: scripting every agent of a flow, and the trace matchers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit import Agent
from llmkit.errors import LLMKitError, StepTimeoutError, UsageError, WorkflowError
from llmkit.events import event_from_dict, event_to_dict
from llmkit.testing import (
    FunctionModel,
    ScriptedModel,
    TestModel,
    approx,
    at_least,
    failed_at,
    matchers,
    script_workflow,
    state_has,
    step_ran,
    steps_in_order,
    tool_call,
)
from llmkit.types import Request, Usage
from llmkit.workflow import Retry, StepFailure, StepRecord, WorkflowResult, sequence, step

pytestmark = pytest.mark.llmkit_block_network


class Article(BaseModel):
    topic: str
    notes: str = ""
    draft: str = ""
    score: float = 0.0


def last_user_text(request: Request) -> str:
    return request.messages[-1].text


def article_flow() -> Any:
    researcher = Agent("openai/gpt-4.1-mini", name="researcher")
    writer = Agent("openai/gpt-4.1-mini", name="writer")
    return sequence(
        step(researcher, input="topic", output="notes"),
        step(writer, input="notes", output="draft"),
        step(lambda s: len(s.draft) / 10, name="score", output="score"),
        name="article",
    )


# ------------------------------------------------------------------ script_workflow


def test_list_scripts_answer_each_agent_by_name() -> None:
    flow = article_flow()
    scripts = {"researcher": ["Tides follow the moon."], "writer": ["A tidy draft."]}
    with script_workflow(flow, scripts) as models:
        result = flow.run_sync(Article(topic="tides"))
    assert result.state.notes == "Tides follow the moon."
    assert result.state.draft == "A tidy draft."
    assert set(models) == {"researcher", "writer"}
    assert all(isinstance(m, ScriptedModel) for m in models.values())
    researcher_model = models["researcher"]
    writer_model = models["writer"]
    assert isinstance(researcher_model, ScriptedModel) and isinstance(writer_model, ScriptedModel)
    assert [last_user_text(r) for r in researcher_model.requests] == ["tides"]
    assert [last_user_text(r) for r in writer_model.requests] == ["Tides follow the moon."]


def test_a_function_script_answers_from_the_request() -> None:
    flow = article_flow()
    scripts = {
        "researcher": lambda request: f"notes on {last_user_text(request)}",
        "writer": lambda request: last_user_text(request).upper(),
    }
    with script_workflow(flow, scripts):
        first = flow.run_sync(Article(topic="tides"))
        second = flow.run_sync(Article(topic="waves"))
    assert first.state.draft == "NOTES ON TIDES"
    assert second.state.draft == "NOTES ON WAVES"


def test_ready_models_are_used_and_given_back_as_they_are() -> None:
    flow = article_flow()
    scripted = ScriptedModel(["scripted notes"])
    function = FunctionModel(lambda request: "from a function")
    with script_workflow(flow, {"researcher": scripted, "writer": function}) as models:
        result = flow.run_sync(Article(topic="tides"))
    assert models["researcher"] is scripted and models["writer"] is function
    assert (result.state.notes, result.state.draft) == ("scripted notes", "from a function")
    assert len(scripted.requests) == 1 and len(function.requests) == 1


def test_a_test_model_needs_no_script() -> None:
    flow = article_flow()
    with script_workflow(flow, {"researcher": TestModel(), "writer": TestModel()}):
        result = flow.run_sync(Article(topic="tides"))
    assert isinstance(result.state.draft, str) and result.state.draft


def test_an_unknown_name_is_refused_and_lists_the_agents() -> None:
    flow = article_flow()
    with (
        pytest.raises(UsageError) as caught,
        script_workflow(flow, {"researcher": ["n"], "writer": ["d"], "editor": ["e"]}),
    ):
        pytest.fail("the block must not run")
    assert str(caught.value) == (
        "script_workflow(): 'editor' is no agent of 'article'; "
        "its agents are 'researcher', 'writer'."
    )


def test_a_missing_script_is_refused_unless_not_strict() -> None:
    own = ScriptedModel(["the writer's own answer"])
    researcher = Agent("openai/gpt-4.1-mini", name="researcher")
    writer = Agent(own, name="writer")
    flow = sequence(
        step(researcher, input="topic", output="notes"),
        step(writer, input="notes", output="draft"),
        name="article",
    )
    with pytest.raises(UsageError) as caught, script_workflow(flow, {"researcher": ["n"]}):
        pytest.fail("the block must not run")
    assert str(caught.value) == (
        "script_workflow(): no script for 'writer' of 'article'; give each agent a script, "
        "or pass strict=False to let the others use their own model."
    )
    assert own.requests == []
    with script_workflow(flow, {"researcher": ["n"]}, strict=False) as models:
        result = flow.run_sync(Article(topic="tides"))
    assert list(models) == ["researcher"]
    assert result.state.draft == "the writer's own answer"
    assert len(own.requests) == 1


def test_handoff_targets_are_scripted_too() -> None:
    billing = Agent("openai/gpt-4.1-mini", name="billing")
    triage = Agent("openai/gpt-4.1-mini", name="triage", handoffs=[billing])
    flow = sequence(step(triage, input="question", output="answer"), name="support")
    assert list(flow.agents()) == ["triage", "billing"]
    with (
        pytest.raises(UsageError, match="no script for 'billing'"),
        script_workflow(flow, {"triage": ["hi"]}),
    ):
        pytest.fail("the block must not run")
    scripts = {
        "triage": [tool_call("transfer_to_billing")],
        "billing": ["Your refund is on its way."],
    }
    with script_workflow(flow, scripts) as models:
        result = flow.run_sync({"question": "Where is my refund?"})
    assert result.state["answer"] == "Your refund is on its way."
    billing_model = models["billing"]
    assert isinstance(billing_model, ScriptedModel) and len(billing_model.requests) == 1


def test_agents_of_nested_flows_and_fallbacks_are_scripted() -> None:
    inner = sequence(
        step(Agent("openai/gpt-4.1-mini", name="deep"), input="topic", output="notes"),
        name="inner",
    )
    backup = Agent("openai/gpt-4.1-mini", name="backup")

    def broken(state: Any) -> Any:
        raise ValueError("broken")

    flow = sequence(
        step(inner),
        step(broken, output="summary", fallback=step(backup, input="topic")),
        name="outer",
    )
    with script_workflow(flow, {"deep": ["deep notes"], "backup": ["a summary"]}):
        result = flow.run_sync({"topic": "tides"})
    assert result.state == {"topic": "tides", "notes": "deep notes", "summary": "a summary"}
    assert step_ran("outer/broken", reason="fallback")(result)


def test_leaving_the_block_restores_every_agent_even_on_error() -> None:
    flow = article_flow()
    with (
        pytest.raises(RuntimeError, match="inside"),
        script_workflow(flow, {"researcher": ["n"], "writer": ["d"]}),
    ):
        raise RuntimeError("inside")
    with pytest.raises(WorkflowError) as caught:
        flow.run_sync(Article(topic="tides"))
    # Outside the block the agents are back on their own (blocked) network model.
    assert failed_at("article/researcher")(caught.value)
    assert caught.value.state.notes == ""


@pytest.mark.parametrize(
    ("flow", "scripts", "message"),
    [
        (
            Agent(TestModel(), name="solo"),
            {},
            "script_workflow() takes a workflow (built with step(), sequence(), parallel() …), "
            "not Agent; for one agent use agent.override(model=ScriptedModel(...)).",
        ),
        (
            sequence(step(Agent(TestModel(), name="solo")), name="one"),
            [["hi"]],
            "script_workflow() takes the scripts as a dict {agent name: script}, not a list; "
            "the agents of 'one' are 'solo'.",
        ),
        (
            sequence(step(Agent(TestModel(), name="solo")), name="one"),
            {"solo": "hi"},
            "The script for agent 'solo': A script is a list of turns or a function, "
            "not a single str; wrap it in a list: [turn].",
        ),
        (
            sequence(step(lambda s: 1, name="f"), name="plain"),
            {"solo": ["hi"]},
            "script_workflow(): 'solo' is no agent of 'plain'; "
            "its agents are none (it has no agent steps).",
        ),
    ],
)
def test_bad_arguments_name_what_to_pass(flow: Any, scripts: Any, message: str) -> None:
    with pytest.raises(UsageError) as caught, script_workflow(flow, scripts):
        pytest.fail("the block must not run")
    assert str(caught.value) == message


# ------------------------------------------------------------------- subjects


def record(path: str, status: Any = "ok", attempts: int = 1, **more: Any) -> StepRecord:
    kind = more.pop("kind", "function")
    return StepRecord(path, kind, status, attempts, 0.0, 0.0, Usage(), **more)


def made_result(*trace: StepRecord, state: Any = None) -> WorkflowResult[Any]:
    return WorkflowResult(state or {}, None, Usage(), list(trace), [], "r1", "flow")


def failing_flow() -> Any:
    def boom(state: Any) -> Any:
        raise ValueError("boom")

    return sequence(
        step(lambda s: 1, name="first", output="x"),
        step(boom, name="second", output="y"),
        step(lambda s: 3, name="third", output="z"),
        name="flow",
    )


def failed_run() -> WorkflowError:
    with pytest.raises(WorkflowError) as caught:
        failing_flow().run_sync({})
    return caught.value


def failed_events() -> list[Any]:
    events: list[Any] = []
    with pytest.raises(WorkflowError):
        for event in failing_flow().stream_sync({}):
            events.append(event)
    return events


def good_flow() -> Any:
    attempts = {"n": 0}

    def flaky(state: Any) -> int:
        attempts["n"] += 1
        if attempts["n"] < 3:
            raise ValueError("not yet")
        return 2

    return sequence(
        step(lambda s: 1, name="first", output="x"),
        step(flaky, name="second", output="y", retry=Retry(attempts=3, on=ValueError, delay=0.0)),
        name="flow",
    )


# -------------------------------------------------------------------- step_ran


def test_step_ran_reads_results_errors_and_events() -> None:
    result = good_flow().run_sync({})
    events = list(good_flow().stream_sync({}))
    for subject in (result, events):
        assert step_ran("flow/second", attempts=3)(subject)
        assert step_ran("flow/*", times=2)(subject)
        assert step_ran("flow/s*", attempts=at_least(2))(subject)
    for subject in (failed_run(), failed_events()):
        assert step_ran("flow/first")(subject)
        assert step_ran("flow/second", status="failed")(subject)
        assert not step_ran("flow/third", status=None)(subject)


def test_step_ran_mismatch_lists_the_trace() -> None:
    result = good_flow().run_sync({})
    found = step_ran("flow/second", attempts=1)(result)
    assert not found
    assert repr(found) == (
        "<Mismatch step_ran('flow/second', attempts=1): flow/second: "
        "attempts: expected 1, got 3\n"
        "trace (path  status  attempts  error):\n"
        "  flow         ok  1\n"
        "  flow/first   ok  1\n"
        "  flow/second  ok  3   <- attempts: expected 1, got 3>"
    )


def test_step_ran_names_a_missing_step_and_a_wrong_count() -> None:
    result = made_result(
        record("flow", kind="loop"), record("flow[0]/edit"), record("flow[1]/edit")
    )
    missing = step_ran("flow/review")(result)
    assert repr(missing) == (
        "<Mismatch step_ran('flow/review'): no step at 'flow/review'\n"
        "trace (path  status  attempts  error):\n"
        "  flow          ok  1\n"
        "  flow[0]/edit  ok  1\n"
        "  flow[1]/edit  ok  1\n"
        "                        <- step_ran('flow/review')>"
    )
    counted = step_ran("flow[*]/edit", times=3)(result)
    assert repr(counted).startswith(
        "<Mismatch step_ran('flow[*]/edit', times=3): 2 matching steps, not 3\n"
    )
    assert step_ran("flow[*]/edit", times=2)(result)
    assert step_ran("flow/review", times=0)(result)


def test_brackets_in_a_path_are_literal() -> None:
    result = made_result(record("flow/reviews[1]/critic"), record("flow/reviews1/critic"))
    assert step_ran("flow/reviews[1]/critic", times=1)(result)
    assert step_ran("flow/reviews[?]/critic", times=1)(result)
    assert step_ran("flow/reviews*/critic", times=2)(result)
    assert not step_ran("flow/reviews[0]/critic")(result)


def test_step_ran_checks_the_reason() -> None:
    result = made_result(
        record("flow", kind="loop", reason="max_iterations"),
        record("flow/fetch", "failed", 2, reason="fallback"),
    )
    assert step_ran("flow", reason="max_iterations")(result)
    assert step_ran("flow/fetch", status="failed", reason="fallback", attempts=2)(result)
    found = step_ran("flow", reason="until")(result)
    assert "<- reason: expected 'until', got 'max_iterations'" in repr(found)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: step_ran(""), "step_ran() takes a step path or a glob such as 'flow/*/writer'"),
        (lambda: step_ran(3), "step_ran() takes a step path or a glob"),
        (lambda: step_ran("f", status="done"), "is one of 'ok', 'failed', 'skipped' or None"),
        (lambda: step_ran("f", times=-1), "step_ran(times=...) is a count of 0 or more"),
        (lambda: steps_in_order(), "steps_in_order() needs at least one step path"),
        (lambda: steps_in_order("a", None), "steps_in_order() takes a step path or a glob"),
        (lambda: state_has(), "state_has() needs at least one field"),
        (lambda: failed_at("a", "ValueError"), "takes an exception class as its error type"),
        (lambda: failed_at("a", int), "takes an exception class as its error type"),
    ],
)
def test_matcher_arguments_are_checked(make: Any, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        make()


def test_a_subject_that_is_not_a_workflow_run() -> None:
    found = step_ran("flow")("some text")
    assert repr(found) == (
        "<Mismatch step_ran('flow'): 'some text' is not a workflow run: pass a "
        "WorkflowResult, a WorkflowError or the list of events of flow.stream()>"
    )
    assert "the events hold no workflow.start" in repr(steps_in_order("flow")([]))


# ----------------------------------------------------------------- steps_in_order


def test_steps_in_order_skips_steps_between_and_those_that_never_ran() -> None:
    result = made_result(
        record("flow", kind="sequence"),
        record("flow/a"),
        record("flow/pick", kind="branch"),
        record("flow/pick/cheap", "skipped", 0),
        record("flow/pick/dear"),
        record("flow/b"),
    )
    assert steps_in_order("flow/a", "flow/b")(result)
    assert steps_in_order("flow/a", "flow/pick/*", "flow/b")(result)
    found = steps_in_order("flow/pick/cheap")(result)
    assert not found
    assert "<- 1. 'flow/pick/cheap' not found in this order" in repr(found)


def test_steps_in_order_mismatch_shows_what_was_found_where() -> None:
    subject = failed_run()
    assert steps_in_order("flow/first", "flow/second")(subject)
    found = steps_in_order("flow/second", "flow/first", "flow/third")(subject)
    assert repr(found) == (
        "<Mismatch steps_in_order('flow/second', 'flow/first', 'flow/third'): "
        "not found in this order: 'flow/second', 'flow/third'\n"
        "trace (path  status  attempts  error):\n"
        "  flow         failed  1  ValueError\n"
        "  flow/first   ok      1               <- 2. 'flow/first'\n"
        "  flow/second  failed  1  ValueError\n"
        "                                       <- 1. 'flow/second' not found in this order\n"
        "                                       <- 3. 'flow/third' not found in this order>"
    )


# -------------------------------------------------------------------- state_has


def test_state_has_reads_dicts_models_errors_and_complete_events() -> None:
    assert state_has(x=1, y=2)(good_flow().run_sync({}))
    assert state_has(y=2)(list(good_flow().stream_sync({})))
    assert state_has(x=1)(failed_run())
    flow = sequence(step(lambda s: 0.91, name="score", output="score"), name="rate")
    assert state_has(topic="tides", score=approx(0.91))(flow.run_sync(Article(topic="tides")))


def test_state_has_mismatches() -> None:
    result = good_flow().run_sync({})
    assert repr(state_has(y=3)(result)) == (
        "<Mismatch state_has(y=3): y: expected 3, got 2; the state is {'x': 1, 'y': 2}>"
    )
    assert repr(state_has(z=approx(1.0))(result)) == (
        "<Mismatch state_has(z=approx(1.0)): the state has no 'z': {'x': 1, 'y': 2}>"
    )
    assert repr(state_has(x=1)(failed_events())) == (
        "<Mismatch state_has(x=1): the events of a failed run carry no state: "
        "match the WorkflowError the stream raised (its .state)>"
    )


def test_events_read_back_from_json_carry_the_result() -> None:
    lines = [json.dumps(event_to_dict(e)) for e in good_flow().stream_sync({})]
    events = [event_from_dict(json.loads(line)) for line in lines]
    assert isinstance(events[-1].result, dict)
    assert state_has(x=1, y=2)(events)
    assert step_ran("flow/second", attempts=3)(events)


# -------------------------------------------------------------------- failed_at


def test_failed_at_matches_the_error_and_its_cause() -> None:
    for subject in (failed_run(), failed_events()):
        assert failed_at("flow/second")(subject)
        assert failed_at("flow/*", ValueError)(subject)
        assert failed_at("flow/second", error_type=WorkflowError)(subject)
        assert not failed_at("flow/second", KeyError)(subject)
        assert not failed_at("flow/second", StepTimeoutError)(subject)
        assert not failed_at("flow/first")(subject)
        assert failed_at("flow/second", Exception)(subject)
        assert failed_at("flow/second", LLMKitError)(subject)
    assert failed_at("flow/second").expects_error()


def test_failed_at_on_events_knows_the_classes_of_builtin_errors() -> None:
    def lookup(state: Any) -> Any:
        return {}["missing"]

    flow = sequence(step(lookup, output="x"), name="flow")
    events: list[Any] = []
    with pytest.raises(WorkflowError):
        for event in flow.stream_sync({}):
            events.append(event)
    assert failed_at("flow/lookup", LookupError)(events)
    assert not failed_at("flow/lookup", ArithmeticError)(events)


def test_failed_at_mismatch_reprs() -> None:
    error = failed_run()
    assert repr(failed_at("flow/first", ValueError)(error)) == (
        "<Mismatch failed_at('flow/first', ValueError): it stopped at 'flow/second', "
        "not 'flow/first'\n"
        "trace (path  status  attempts  error):\n"
        "  flow         failed  1  ValueError\n"
        "  flow/first   ok      1\n"
        "  flow/second  failed  1  ValueError   <- stopped here: WorkflowError <- ValueError: boom\n"
        "                                       <- failed_at('flow/first', ValueError)>"
    )
    assert repr(failed_at("flow/second", KeyError)(failed_events())).startswith(
        "<Mismatch failed_at('flow/second', KeyError): "
        "it stopped with WorkflowError <- ValueError\n"
    )
    done = failed_at("flow/second")(good_flow().run_sync({}))
    assert repr(done).startswith("<Mismatch failed_at('flow/second'): the run did not fail\n")


def test_failed_at_names_the_failures_a_run_went_on_after() -> None:
    failure = StepFailure("flow/a", "ValueError", "boom", 1)
    result = made_result(record("flow/a", "failed"))
    result.errors.append(failure)
    assert repr(failed_at("flow/a")(result)).startswith(
        "<Mismatch failed_at('flow/a'): the run did not fail "
        "(failures it went on after: flow/a ValueError)\n"
    )


def test_the_matchers_are_in_the_matchers_module() -> None:
    for name in ("failed_at", "state_has", "step_ran", "steps_in_order"):
        assert name in matchers.__all__
        assert getattr(matchers, name).__doc__


def test_importing_the_kit_loads_no_workflow_module() -> None:
    code = (
        "import sys\n"
        "from llmkit.testing import failed_at, script_workflow, state_has, step_ran\n"
        "step_ran('flow'), state_has(x=1), failed_at('flow')\n"
        "print(sorted(m for m in sys.modules if m.startswith('llmkit.workflow')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
