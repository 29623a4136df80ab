"""Matchers: on run results, events, errors and plain values; what a mismatch says."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import BaseModel

from llmkit import Agent, Response, tool
from llmkit.errors import MaxStepsExceeded, UsageError
from llmkit.run import RunResult
from llmkit.testing import (
    ScriptedModel,
    all_of,
    any_of,
    anything,
    approx,
    at_least,
    at_most,
    calls_tool,
    calls_tools,
    contains,
    event,
    has,
    instance_of,
    matches,
    not_,
    output_matches,
    raises,
    says,
    tool_call,
    tool_returned,
    usage,
)


@tool
def lookup_order(order_id: int, verbose: bool = False) -> dict:
    """Look up an order."""
    return {"order_id": order_id, "status": "delivered", "total": 19.99}


@tool
def refund(order_id: int, amount: float) -> str:
    """Refund an order."""
    return f"refunded {amount} on {order_id}"


def run(*turns: object, **agent_options: object) -> RunResult[object]:
    agent = Agent(ScriptedModel(list(turns)), tools=[lookup_order, refund], **agent_options)  # type: ignore[arg-type]
    return agent.run_sync("refund order 42")


@pytest.fixture(scope="module")
def result() -> RunResult[object]:
    return run(
        tool_call("lookup_order", order_id=42),
        tool_call("refund", order_id=42, amount=19.99),
        "Your refund of 19.99 EUR is on its way.",
    )


def test_calls_tool_matches_name_and_the_arguments_it_names(result: RunResult[object]) -> None:
    assert calls_tool("lookup_order")(result)
    assert calls_tool("lookup_order", order_id=42)(result)
    assert calls_tool("refund", amount=approx(19.99), order_id=anything())(result)
    assert calls_tool("lookup_order", order_id=42).once()(result)
    assert calls_tool("delete_account").never()(result)


def test_calls_tool_mismatch_says_what_differs(result: RunResult[object]) -> None:
    found = calls_tool("lookup_order", order_id=41)(result)
    assert not found
    assert repr(found) == (
        "<Mismatch calls_tool('lookup_order', order_id=41): "
        "lookup_order(order_id=42): order_id: expected 41, got 42>"
    )
    missing = calls_tool("cancel")(result)
    assert "cancel was not called; the calls were lookup_order(order_id=42), refund(" in repr(
        missing
    )
    assert "no tool was called" in repr(calls_tool("x")(run("hi")))
    assert calls_tool("refund").times(2)(result).reason == "it was called 1 time"


def test_calls_tool_exact_refuses_arguments_it_does_not_name() -> None:
    verbose = run(tool_call("lookup_order", order_id=1, verbose=True), "ok")
    assert calls_tool("lookup_order", order_id=1)(verbose)
    found = calls_tool("lookup_order", order_id=1).exact()(verbose)
    assert not found and "unexpected arguments 'verbose'" in found.reason
    assert repr(calls_tool("a", x=1).exact().once()) == "calls_tool('a', x=1).exact().once()"


def test_calls_tools_orders(result: RunResult[object]) -> None:
    assert calls_tools("lookup_order", "refund", order="exact")(result)
    assert calls_tools("refund", order="in_order")(result)
    assert calls_tools("refund", "lookup_order", order="any_order")(result)
    wrong_order = calls_tools("refund", "lookup_order", order="in_order")(result)
    assert not wrong_order
    assert "not found in that order: calls_tool(" in wrong_order.reason
    assert "the calls were lookup_order(order_id=42), refund(" in wrong_order.reason
    assert not calls_tools("lookup_order", order="exact")(result)
    assert calls_tools(calls_tool("refund", amount=approx(19.99)), order="any_order")(result)
    with pytest.raises(UsageError, match="order must be one of"):
        calls_tools("x", order="sorted")


def test_says(result: RunResult[object]) -> None:
    assert says(contains="refund")(result)
    assert says(contains=["refund", "19.99"], matches=r"\d+\.\d+ EUR")(result)
    assert says(equals="your refund of 19.99 eur is on its way.", ignore_case=True)(result)
    found = says(contains="sorry")(result)
    assert repr(found) == (
        "<Mismatch says(contains='sorry'): no 'sorry': the answer was "
        "'Your refund of 19.99 EUR is on its way.'>"
    )
    with pytest.raises(UsageError, match="says\\(\\) needs contains="):
        says()
    with pytest.raises(UsageError, match="not a regular expression"):
        says(matches="(")


class Invoice(BaseModel):
    total: float
    currency: str


@dataclass
class Point:
    x: int
    y: int


def test_output_matches_types_predicates_values_and_fields() -> None:
    invoice = Agent(ScriptedModel(['{"total": 12.5, "currency": "EUR"}']), output_type=Invoice)
    result = invoice.run_sync("bill")
    assert output_matches(Invoice)(result)
    assert output_matches(Invoice, total=approx(12.5), currency="EUR")(result)
    assert output_matches(lambda out: out.total > 10)(result)
    assert not output_matches(Point)(result)
    found = output_matches(Invoice, currency="USD")(result)
    assert (
        repr(found)
        == "<Mismatch output_matches(Invoice, currency='USD'): currency: expected 'USD', got 'EUR'>"
    )


def test_output_matches_reads_dict_output_as_a_type() -> None:
    result = RunResult({"total": 3, "currency": "EUR"})
    assert output_matches(Invoice)(result)
    assert output_matches(Invoice, total=3.0)(result)
    assert output_matches({"total": at_least(1), "currency": "EUR"})(result)
    bad = output_matches(Invoice)(RunResult({"total": "many"}))
    assert not bad and "is not a valid Invoice" in bad.reason
    assert output_matches(Point)(RunResult({"x": 1, "y": 2}))
    assert not output_matches(Point)(RunResult({"x": 1}))


def test_event_needs_events_and_matches_fields() -> None:
    agent = Agent(
        ScriptedModel([tool_call("lookup_order", order_id=7), "done"]), tools=[lookup_order]
    )
    events = list(agent.stream_sync("x"))
    assert event("tool.result", result=has(is_error=False))(events)
    assert event("tool.*").times(2)(events)  # tool.call and tool.result
    assert event("handoff").never()(events)
    assert event("tool.call", call=has(name="lookup_order", arguments={"order_id": 7}))(events)
    missing = event("handoff")(events)
    assert "no handoff event; topics seen:" in missing.reason and "run.end" in missing.reason
    result = events[-1].result  # type: ignore[union-attr]
    no_events = event("tool.call")(result)
    assert not no_events and "no events were recorded" in no_events.reason


def test_raises_reads_a_failed_run() -> None:
    agent = Agent(
        ScriptedModel([tool_call("lookup_order", order_id=1)]), tools=[lookup_order], max_steps=1
    )
    with pytest.raises(MaxStepsExceeded) as caught:
        agent.run_sync("loop")
    error = caught.value
    assert raises(MaxStepsExceeded)(error)
    assert raises(MaxStepsExceeded, match="max_steps=1")(error)
    assert calls_tool("lookup_order", order_id=1)(error)  # the conversation is kept
    assert not raises(ValueError)(error)
    ok = run("fine")
    assert repr(raises(MaxStepsExceeded)(ok)) == (
        "<Mismatch raises(MaxStepsExceeded): the run finished without an error>"
    )


def test_usage(result: RunResult[object]) -> None:
    assert usage(requests=3)(result)
    assert usage(total_tokens=at_most(10_000), input_tokens=at_least(1))(result)
    assert not usage(requests=1)(result)
    with pytest.raises(UsageError, match="usage\\(\\) takes fields of Usage"):
        usage(tokens=3)


def test_combinators_and_operators(result: RunResult[object]) -> None:
    assert all_of(calls_tool("refund"), says(contains="refund"))(result)
    assert (calls_tool("refund") & ~calls_tool("delete_account"))(result)
    assert (calls_tool("nope") | says(contains="way"))(result)
    assert any_of(1, 2)(2) and not any_of(1, 2)(3)
    assert not not_(calls_tool("refund"))(result)
    both = all_of(calls_tool("nope"), says(contains="nothing"))(result)
    assert "calls_tool('nope')" in both.reason and "says(contains='nothing')" in both.reason


def test_value_matchers() -> None:
    assert anything()(None)
    assert approx(0.3)(0.1 + 0.2) and not approx(0.3)("0.3") and not approx(1)(True)
    assert contains("ab", "c")("abc") and contains(1)([1, 2]) and contains("k")({"k": 1})
    assert contains(approx(2.0))([1, 2.0000001])
    assert not contains("z")("abc") and not contains(1)(5)
    assert matches(r"^\d+$")("123") and not matches(r"^\d+$")(123)
    assert instance_of(int, float)(1.5) and not instance_of(str)(1)
    assert has(name="x")({"name": "x"}) and not has(name="x")({"id": 1})
    assert at_least(2)(2) and not at_most(1)(2) and not at_least(1)("2")
    with pytest.raises(UsageError, match="not a valid regular expression"):
        matches("(")
    with pytest.raises(UsageError):
        contains()


def test_nested_values_compare_item_by_item() -> None:
    expected = {"id": anything(), "lines": [{"sku": "A", "qty": at_least(1)}]}
    assert any_of(expected)({"id": 9, "lines": [{"sku": "A", "qty": 2}]})
    found = any_of(expected)({"id": 9, "lines": [{"sku": "A", "qty": 0}]})
    assert "lines[0].qty: expected at_least(1), got 0" in found.reason
    assert "missing 'lines'" in any_of(expected)({"id": 9}).reason


def test_matchers_read_a_response_and_plain_text() -> None:
    response = Response.from_dict(
        {"message": {"role": "assistant", "parts": [{"type": "text", "text": "Paris."}]}}
    )
    assert says(equals="Paris.")(response)
    assert says(contains="Par")("Paris.")
    with pytest.raises(UsageError, match="Matchers read a RunResult"):
        says(contains="x")(42)


def test_tool_returned_reads_results_from_the_conversation(result: RunResult[object]) -> None:
    assert tool_returned("refund", contains="refunded 19.99")(result)
    assert tool_returned(contains=["delivered", "42"], error=False)(result)
    assert tool_returned("refund", equals="refunded 19.99 on 42")(result)
    wrong = tool_returned("refund", contains="declined")(result)
    assert repr(wrong) == (
        "<Mismatch tool_returned('refund', contains='declined'): "
        "refund returned no 'declined' in 'refunded 19.99 on 42'>"
    )
    assert tool_returned("cancel")(result).reason == "cancel returned nothing"
    assert tool_returned()(run("no tools")).reason == "no tool returned anything"
    failed = run(tool_call("lookup_order", order_id="x"), "sorry")
    assert tool_returned("lookup_order", error=True, contains="Invalid arguments")(failed)
    assert not tool_returned("lookup_order", error=False)(failed)


def test_the_pieces_evaluations_score_with_are_public() -> None:
    from llmkit.testing import matchers, scenario

    assert {"NO_OUTPUT", "ORDERS", "check_order", "format_call", "match_trajectory"} <= set(
        matchers.__all__
    )
    assert {"load_data", "load_object", "value_from_data"} <= set(scenario.__all__)
    for name in ("NO_OUTPUT", "check_order", "format_call", "match_trajectory"):
        assert (getattr(matchers, name).__doc__ or "").strip(), name
    for name in ("load_data", "load_object", "value_from_data"):
        assert (getattr(scenario, name).__doc__ or "").strip(), name
    assert matchers.ORDERS == ("exact", "in_order", "any_order")
    assert matchers.check_order("exact") == "exact"
    with pytest.raises(UsageError, match="order must be one of"):
        matchers.check_order("loose")
    assert matchers.format_call("refund", {"order_id": 42}) == "refund(order_id=42)"
    found = matchers.match_trajectory(["a", "b"], ["b", "x"], lambda e, a: e == a, "any_order")
    assert (found.ok, found.score, found.missing) == (False, 0.5, (0,))
    assert repr(matchers.NO_OUTPUT) == "<no output>"
