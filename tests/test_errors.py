"""The error tree: classes by status, attributes, pickling."""

from __future__ import annotations

import pickle
import traceback
from dataclasses import dataclass
from typing import get_type_hints

import pytest
from pydantic import BaseModel

from llmkit import errors
from llmkit.errors import (
    AgentError,
    AuthenticationError,
    CircuitOpenError,
    ConflictError,
    HookError,
    LLMKitError,
    MissingAPIKeyError,
    NoBranchMatched,
    OverloadedError,
    PredicateError,
    ProviderError,
    RateLimitError,
    RecordingError,
    ReplayedError,
    ServerError,
    StateValidationError,
    StepTimeoutError,
    StreamInterruptedError,
    UsageError,
    UsageLimitExceeded,
    WorkflowDefinitionError,
    WorkflowError,
    error_for_status,
)
from llmkit.types import Message, Response, Usage


@pytest.mark.parametrize(
    ("status", "cls", "retryable"),
    [
        (400, errors.BadRequestError, False),
        (401, AuthenticationError, False),
        (403, errors.PermissionDeniedError, False),
        (404, errors.NotFoundError, False),
        (408, errors.ProviderTimeoutError, True),
        (409, ConflictError, True),
        (422, errors.BadRequestError, False),
        (429, RateLimitError, True),
        (500, ServerError, True),
        (502, ServerError, True),
        (503, OverloadedError, True),
        (529, OverloadedError, True),
        (418, ProviderError, False),
    ],
)
def test_status_maps_to_class_and_retryability(
    status: int, cls: type[ProviderError], retryable: bool
) -> None:
    assert error_for_status(status) is cls
    assert cls("x", status=status).retryable is retryable


def test_every_error_is_an_llmkit_error() -> None:
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type):
            assert issubclass(obj, LLMKitError), name


def test_the_tree_drawn_in_the_module_docstring_names_every_class() -> None:
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        if isinstance(getattr(errors, name), type):
            assert name in doc, name


def test_every_class_and_function_names_the_public_module() -> None:
    # Tracebacks, class reprs and the module:qualname a recording writes all read __module__.
    for name in errors.__all__:
        value = getattr(errors, name)
        assert value.__module__ == "llmkit.errors", name
        if isinstance(value, type):
            get_type_hints(value)  # the annotations resolve in the module the class names
    shown = traceback.format_exception_only(RateLimitError("slow down"))
    assert shown == ["llmkit.errors.RateLimitError: slow down\n"]
    assert repr(RateLimitError) == "<class 'llmkit.errors.RateLimitError'>"


@pytest.mark.parametrize(
    "err",
    [
        UsageError("bad"),
        RateLimitError("slow down", status=429),
        UsageLimitExceeded("too many tokens", messages=[Message.user("hi")]),
        CircuitOpenError("open", key="k", retry_in=1.0),
    ],
)
def test_a_pickle_names_only_the_public_module(err: LLMKitError) -> None:
    data = pickle.dumps(err)
    assert b"llmkit.errors" in data
    assert b"llmkit._errors" not in data
    assert type(pickle.loads(data)) is type(err)


def test_provider_error_str_has_request_id_and_pickles_with_attributes() -> None:
    err = RateLimitError(
        "slow down", status=429, provider="openai", request_id="req_1", retry_after=2.0, code="rate"
    )
    assert str(err) == "slow down (request id: req_1)"
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is RateLimitError
    assert (back.status, back.provider, back.retry_after, back.code, back.retryable) == (
        429,
        "openai",
        2.0,
        "rate",
        True,
    )
    assert "retryable=True" in repr(back)


def test_a_provider_error_carries_the_runs_conversation_across_pickling() -> None:
    fresh = ServerError("down", status=500)
    assert (fresh.messages, fresh.usage) == ([], None)
    assert fresh.messages is not ServerError("again").messages  # one list per error
    err = ServerError("down", status=500, request_id="req_2")
    err.messages = [Message.user("hi")]
    err.usage = Usage(input_tokens=3)
    back = pickle.loads(pickle.dumps(err))
    assert (back.messages, back.usage) == ([Message.user("hi")], Usage(input_tokens=3))
    assert (str(back), back.status) == ("down (request id: req_2)", 500)


def test_an_agent_error_names_the_hook_it_came_from_across_pickling() -> None:
    fresh = UsageLimitExceeded("too many tokens")
    assert (fresh.hook, fresh.point) == ("", "")
    err = UsageLimitExceeded("too many tokens", messages=[Message.user("hi")], usage=Usage())
    err.hook, err.point = "Budget", "before_model"
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is UsageLimitExceeded and str(back) == "too many tokens"
    assert (back.hook, back.point, back.message) == ("Budget", "before_model", "too many tokens")
    assert (back.messages, back.usage) == ([Message.user("hi")], Usage())
    hooked = pickle.loads(pickle.dumps(HookError("boom", hook="H", point="after_tool")))
    assert (hooked.hook, hooked.point) == ("H", "after_tool")


def test_a_recording_error_and_a_stream_break_keep_their_attributes_across_pickling() -> None:
    err = RecordingError("bad line", path="run.jsonl", line=3)
    back = pickle.loads(pickle.dumps(err))
    assert (type(back), str(back), back.path, back.line) == (
        RecordingError,
        "bad line",
        "run.jsonl",
        3,
    )
    assert StreamInterruptedError("broke").partial is None
    broke = StreamInterruptedError("broke")
    broke.partial = Response(Message.assistant("so far"))
    assert pickle.loads(pickle.dumps(broke)).partial == broke.partial


def test_missing_api_key_names_the_variable() -> None:
    err = MissingAPIKeyError("openai", "OPENAI_API_KEY")
    assert isinstance(err, UsageError)
    assert "OPENAI_API_KEY" in str(err)
    assert "api_key=" in str(err)
    assert pickle.loads(pickle.dumps(err)).env_var == "OPENAI_API_KEY"


def test_a_missing_extra_names_the_package_and_the_extra_to_install() -> None:
    import pickle

    from llmkit._optional import require
    from llmkit.errors import ConfigurationError, MissingExtraError

    with pytest.raises(MissingExtraError) as caught:
        require("llmkit_no_such_module", extra="lua", feature="Lua scripts", package="lupa")
    err = caught.value
    assert isinstance(err, ConfigurationError)
    assert str(err) == "Lua scripts needs lupa: pip install 'llmkit[lua]'."
    assert (err.extra, err.package) == ("lua", "lupa")
    assert str(pickle.loads(pickle.dumps(err))) == str(err)
    assert require("json", extra="x", feature="JSON").dumps([]) == "[]"


class _Article(BaseModel):
    topic: str
    notes: str = ""


@dataclass(frozen=True)
class _Record:
    path: str
    status: str


def test_a_workflow_error_keeps_what_was_computed_across_pickling() -> None:
    err = StepTimeoutError(
        "Step 'article/reviews' took longer than its timeout of 60 s",
        path="article/reviews",
        state=_Article(topic="tides", notes="found"),
        trace=(_Record("article", "failed"), _Record("article/researcher", "ok")),
        usage=Usage(input_tokens=12, output_tokens=3),
        run_id="w1",
        workflow="article",
    )
    assert isinstance(err, WorkflowError) and not isinstance(err, AgentError)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is StepTimeoutError
    assert str(back) == "Step 'article/reviews' took longer than its timeout of 60 s"
    assert (back.path, back.run_id, back.workflow) == ("article/reviews", "w1", "article")
    assert back.state == _Article(topic="tides", notes="found")
    assert back.trace == [_Record("article", "failed"), _Record("article/researcher", "ok")]
    assert back.usage == Usage(input_tokens=12, output_tokens=3)


def test_a_plain_workflow_error_has_empty_defaults() -> None:
    err = WorkflowError("failed")
    assert (err.path, err.state, err.trace, err.usage, err.run_id, err.workflow) == (
        "",
        None,
        [],
        None,
        "",
        "",
    )


@pytest.mark.parametrize(
    "cls",
    [
        StepTimeoutError,
        CircuitOpenError,
        NoBranchMatched,
        StateValidationError,
        PredicateError,
        errors.StepInputError,
    ],
)
def test_workflow_conditions_are_workflow_errors(cls: type[WorkflowError]) -> None:
    assert issubclass(cls, WorkflowError)
    err = cls("failed", path="flow/a", state={"x": 1})
    assert (err.path, err.state) == ("flow/a", {"x": 1})


def test_an_open_circuit_says_its_key_and_when_to_try_again_across_pickling() -> None:
    err = CircuitOpenError(
        "Circuit 'openai' is open after 5 failures in a row; the next try is in 12.3 s",
        key="openai",
        retry_in=12.3,
        path="flow/call",
        state={"a": 1},
    )
    back = pickle.loads(pickle.dumps(err))
    assert (type(back), back.key, back.retry_in, back.path, back.state) == (
        CircuitOpenError,
        "openai",
        12.3,
        "flow/call",
        {"a": 1},
    )


def test_a_definition_error_is_a_usage_error_with_its_file_and_line() -> None:
    err = WorkflowDefinitionError(
        "flows.yaml, line 4: workflow 'a' contains itself: a -> b -> a",
        file="flows.yaml",
        line=4,
    )
    assert isinstance(err, UsageError)
    assert (err.path, err.state) == ("", None)
    back = pickle.loads(pickle.dumps(err))
    assert (type(back), str(back), back.file, back.line, back.path, back.state) == (
        WorkflowDefinitionError,
        "flows.yaml, line 4: workflow 'a' contains itself: a -> b -> a",
        "flows.yaml",
        4,
        "",
        None,
    )


def test_a_replayed_error_names_the_class_it_stands_for() -> None:
    err = ReplayedError("no such file", error_type="MyAppError")
    assert not isinstance(err, WorkflowError)
    back = pickle.loads(pickle.dumps(err))
    assert (type(back), str(back), back.error_type) == (ReplayedError, "no such file", "MyAppError")
