"""WorkflowResult, StepRecord and StepFailure: their JSON form and what ok means."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from llmkit.errors import SerializationError
from llmkit.types import Usage
from llmkit.workflow import StepFailure, StepRecord, WorkflowResult


class Article(BaseModel):
    topic: str
    score: float = 0.0


UNSERIALISABLE = object()


def _result(*, errors: list[StepFailure] | None = None) -> WorkflowResult[Article]:
    failure = StepFailure.of("article/critic", ValueError("bad review"), 2)
    return WorkflowResult(
        state=Article(topic="tides", score=0.5),
        output={"text": "done", "when": UNSERIALISABLE},
        usage=Usage(input_tokens=10, output_tokens=5, requests=2, cost=0.01),
        trace=[
            StepRecord(
                path="article",
                kind="sequence",
                status="ok",
                attempts=1,
                started=0.0,
                duration=1.5,
                usage=Usage(input_tokens=10, output_tokens=5, requests=2),
            ),
            StepRecord(
                path="article/critic",
                kind="agent",
                status="failed",
                attempts=2,
                started=0.1,
                duration=1.2,
                usage=Usage(input_tokens=10, output_tokens=5, requests=2),
                error=failure,
                run_ids=("r1", "r2"),
                reason="fallback",
            ),
        ],
        errors=[failure] if errors is None else errors,
        run_id="run-1",
        name="article",
    )


def test_the_json_form_round_trips_with_its_version() -> None:
    result = _result()
    data = json.loads(json.dumps(result.to_dict()))
    assert data["version"] == 1
    assert data["state"] == {"topic": "tides", "score": 0.5}
    assert data["output"]["when"].startswith("<object object")  # unserialisable: its repr
    back = WorkflowResult.from_dict(data, state_type=Article)
    assert back.state == result.state
    assert back.trace == result.trace
    assert back.errors == result.errors
    assert back.usage == result.usage
    assert (back.run_id, back.name) == ("run-1", "article")
    assert back.to_dict() == data
    assert WorkflowResult.from_dict(data).state == {"topic": "tides", "score": 0.5}


def test_the_exception_stays_out_of_the_json_form() -> None:
    failure = StepFailure.of("a/b", KeyError("k"), 1)
    assert failure.exception is not None
    assert failure.to_dict() == {
        "path": "a/b",
        "error_type": "KeyError",
        "message": "'k'",
        "attempt": 1,
    }
    assert StepFailure.from_dict(failure.to_dict()) == failure  # the exception is not compared


def test_comparable_leaves_out_timings_and_run_ids() -> None:
    one = _result()
    other = _result()
    other.run_id = "run-2"
    other.trace = [
        StepRecord(
            path=r.path,
            kind=r.kind,
            status=r.status,
            attempts=r.attempts,
            started=r.started + 3,
            duration=r.duration * 2,
            usage=r.usage,
            error=r.error,
            run_ids=("x", "y"),
            reason=r.reason,
        )
        for r in one.trace
    ]
    assert one.to_dict() != other.to_dict()
    assert one.to_dict(comparable=True) == other.to_dict(comparable=True)
    record = one.to_dict(comparable=True)["trace"][1]
    assert "started" not in record and "duration" not in record and "run_ids" not in record
    assert record["reason"] == "fallback"


def test_ok_is_false_when_a_failure_was_kept() -> None:
    assert not _result().ok
    assert _result(errors=[]).ok


def test_a_newer_version_is_refused() -> None:
    data = _result().to_dict()
    data["version"] = 2
    with pytest.raises(SerializationError, match="newer llmkit .*upgrade"):
        WorkflowResult.from_dict(data)


def test_a_malformed_result_is_a_serialization_error() -> None:
    with pytest.raises(SerializationError, match="Not a valid workflow result"):
        WorkflowResult.from_dict({"version": 1, "trace": [{"path": "a"}]})
    data = _result().to_dict()
    data["trace"][0]["status"] = "done"
    with pytest.raises(SerializationError, match="Unknown step status 'done'"):
        WorkflowResult.from_dict(data)
    data = _result().to_dict()
    data["state"] = {"score": "high"}
    with pytest.raises(SerializationError, match="does not fit Article"):
        WorkflowResult.from_dict(data, state_type=Article)
