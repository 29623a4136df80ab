"""The error tree: classes by status, attributes, pickling."""

from __future__ import annotations

import pickle

import pytest

from llmkit import errors
from llmkit.errors import (
    AuthenticationError,
    ConflictError,
    HookError,
    LLMKitError,
    MissingAPIKeyError,
    OverloadedError,
    ProviderError,
    RateLimitError,
    RecordingError,
    ServerError,
    StreamInterruptedError,
    UsageError,
    UsageLimitExceeded,
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
