"""A served run's events are redacted with the environment's secrets read once for the run."""

from __future__ import annotations

import pytest

import llmkit._redact
from llmkit.events import TextDelta
from llmkit.serve import _eventlog, _run
from llmkit.serve._run import ServedRun


def test_a_run_reads_the_environment_s_secrets_once_for_all_its_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MYAPP_API_KEY", "plain-env-value-4242")
    reads: list[int] = []

    def counted() -> tuple[str, ...]:
        reads.append(1)
        return llmkit._redact.environment_secrets()

    monkeypatch.setattr(_run, "environment_secrets", counted)
    monkeypatch.setattr(_eventlog, "environment_secrets", counted)
    run = ServedRun(
        run_id="run_1",
        tenant="t",
        target="support",
        kind="agent",
        session=None,
        created=0.0,
        event_limit=100,
    )
    for _ in range(20):
        run.record(TextDelta("the key is plain-env-value-4242"))
    assert len(reads) == 1
    texts = [data["text"] for _, data in run.events.kept()]
    assert texts == ["the key is [redacted]"] * 20


def test_an_event_alone_is_redacted_with_the_environment_read_then(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MYAPP_API_KEY", "plain-env-value-4242")
    assert _eventlog.event_json(TextDelta("plain-env-value-4242"))["text"] == "[redacted]"
    assert _eventlog.event_json(TextDelta("plain-env-value-4242"), ())["text"] == (
        "plain-env-value-4242"
    )
