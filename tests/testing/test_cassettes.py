"""Cassettes in an inner pytest session: recorded against the fake server, then replayed offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmkit import Agent
from llmkit.errors import UsageError
from llmkit.testing.cassettes import Cassette, CassetteMissingError, cassette_path

pytest_plugins = ["pytester"]

# The inner sessions record with the guard lifted and replay with it on: the outer one steps aside.
pytestmark = pytest.mark.llmkit_allow_network

SECRET = "sk-cassette-secret-0123456789abcdef"

INNER = f'''
import pytest
import llmkit
from llmkit import Agent, tool
from llmkit.testing import tool_call
from llmkit.testing.network import network_blocked

SECRET = {SECRET!r}
QUESTION = "Where is order 42?"


@tool
def lookup_order(order_id: int) -> dict:
    """Look up an order."""
    return {{"order_id": order_id, "status": "delivered"}}


def model(server):
    return llmkit.model("openai/gpt-4.1-mini", base_url=server.openai_base_url, api_key=SECRET)


@pytest.mark.llmkit_cassette("refund")
def test_two_runs(llmkit_cassette, llmkit_fake_server):
    llmkit_fake_server.script([tool_call("lookup_order", order_id=42), "Delivered.", "Welcome."])
    agent = Agent(model(llmkit_fake_server), name="support", tools=[lookup_order])
    with llmkit_cassette.use(agent):
        assert network_blocked() is not llmkit_cassette.recording
        first = agent.run_sync(QUESTION)
        second = agent.run_sync("thanks", message_history=first.messages)
    assert (first.output, second.output) == ("Delivered.", "Welcome.")
    assert first.messages[2].tool_results[0].text == '{{"order_id":42,"status":"delivered"}}'
    assert len(llmkit_fake_server.requests) == (3 if llmkit_cassette.recording else 0)


def test_handoff(llmkit_cassette, llmkit_fake_server):
    llmkit_fake_server.script([tool_call("transfer_to_billing"), "Billing here."])
    billing = Agent(model(llmkit_fake_server), name="billing")
    triage = Agent(model(llmkit_fake_server), name="triage", handoffs=[billing])
    with llmkit_cassette.use(triage):
        result = triage.run_sync("refund please")
    assert result.agent == "billing" and result.output == "Billing here."
'''

ONE_RUN = INNER.replace(
    '        second = agent.run_sync("thanks", message_history=first.messages)\n', ""
).replace('(first.output, second.output) == ("Delivered.", "Welcome.")', "True")


def run_inner(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_inner=source)
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "--strict-markers", *args)


def test_record_then_replay_offline(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nllmkit_block_network = true\n")
    missing = run_inner(pytester, INNER)
    missing.assert_outcomes(failed=2)
    missing.stdout.fnmatch_lines(
        ["*CassetteMissingError: No cassette at *refund.jsonl*--llmkit-record*"]
    )

    recorded = run_inner(pytester, INNER, "--llmkit-record")
    recorded.assert_outcomes(passed=2)
    folder = pytester.path / "cassettes"
    assert sorted(p.name for p in folder.iterdir()) == ["refund.jsonl", "test_handoff.jsonl"]
    text = (folder / "refund.jsonl").read_text()
    assert SECRET not in text and "Where is order 42?" in text

    replayed = run_inner(pytester, INNER)  # the fake server gets no request: see the test
    replayed.assert_outcomes(passed=2)


def test_a_changed_test_diverges_and_extra_calls_are_reported(pytester: pytest.Pytester) -> None:
    run_inner(pytester, INNER, "--llmkit-record").assert_outcomes(passed=2)
    changed = run_inner(pytester, INNER.replace('"Where is order 42?"', '"Where is order 43?"'))
    changed.assert_outcomes(failed=1, passed=1)
    changed.stdout.fnmatch_lines(["*ReplayDivergence: Replay of *refund.jsonl diverged at line*"])
    fewer = run_inner(pytester, ONE_RUN)
    fewer.assert_outcomes(failed=1, passed=1)
    fewer.stdout.fnmatch_lines(["*holds 1 model call the test did not make*"])


def test_cassette_paths_and_misuse(tmp_path: Path) -> None:
    assert cassette_path(tmp_path / "test_x.py", "test_y[openai-1]") == (
        tmp_path / "cassettes" / "test_y-openai-1.jsonl"
    )
    cassette = Cassette(tmp_path / "c.jsonl")
    agent = Agent("openai/gpt-4.1-mini")
    with pytest.raises(UsageError, match="use\\(\\) takes the agents"):
        cassette.use().__enter__()
    with pytest.raises(CassetteMissingError, match="No cassette at"), cassette.use(agent):
        pass
    with pytest.raises(UsageError, match="used once per test"), cassette.use(agent):
        pass
    empty = tmp_path / "empty.jsonl"
    from llmkit.recording import record

    with record(empty):
        pass
    with pytest.raises(CassetteMissingError, match="holds no run"), Cassette(empty).use(agent):
        pass
    assert "replaying" in repr(Cassette(empty)) and "recording" in repr(
        Cassette(empty, record=True)
    )
