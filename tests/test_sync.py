"""Sync twins: they run on llmkit's background loop, in the caller's context."""

from __future__ import annotations

import contextvars

import pytest

from llmkit import Message, Request
from llmkit.events import ModelResponse
from llmkit.testing import FunctionModel

TENANT: contextvars.ContextVar[str] = contextvars.ContextVar("tenant", default="none")


def answer_with_tenant(request: Request) -> str:
    return f"tenant={TENANT.get()}"


def ask() -> Request:
    return Request(messages=[Message.user("who am I?")])


def test_generate_sync_sees_the_callers_context_variables() -> None:
    model = FunctionModel(answer_with_tenant)
    token = TENANT.set("acme")
    try:
        assert model.generate_sync(ask()).text == "tenant=acme"
    finally:
        TENANT.reset(token)
    assert model.generate_sync(ask()).text == "tenant=none"


def test_stream_sync_sees_the_callers_context_variables() -> None:
    model = FunctionModel(answer_with_tenant)
    token = TENANT.set("globex")
    try:
        events = list(model.stream_sync(ask()))
    finally:
        TENANT.reset(token)
    assert isinstance(events[-1], ModelResponse)
    assert events[-1].response.text == "tenant=globex"


@pytest.mark.anyio
async def test_changes_inside_the_call_do_not_leak_back() -> None:
    def sets_and_answers(request: Request) -> str:
        TENANT.set("changed inside")
        return "ok"

    FunctionModel(sets_and_answers).generate_sync(ask())
    assert TENANT.get() == "none"
