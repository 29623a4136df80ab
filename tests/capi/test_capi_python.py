"""The Python side of the C ABI: handles, statuses, strict JSON, the runtime, the build."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from llmkit.capi import ABI_VERSION, HEADER, Status, _exports, compiler
from llmkit.capi._abi import C_ONLY, EXPORTS, twin
from llmkit.capi._build import api_block, build, cffi_declarations
from llmkit.capi._errors import CallError, for_c, status_for
from llmkit.capi._handles import Handles
from llmkit.capi._jsontext import NotJSON, dump, loads, lone_surrogate, read, utf8
from llmkit.capi._runtime import Runtime, in_callback, marked_callback
from llmkit.cli import main
from llmkit.errors import MaxStepsExceeded, RunTimeoutError, ToolExecutionError, UsageError

pytestmark = pytest.mark.capi


def test_a_handle_finds_its_object_until_it_is_freed() -> None:
    table: Handles[str] = Handles()
    first = table.add("first")
    assert table.get(first) == "first"
    assert table.pop(first) == "first"
    assert table.get(first) is None
    assert table.pop(first) is None  # freed twice: caught


def test_a_reused_slot_gets_a_new_generation_so_the_old_handle_stays_dead() -> None:
    table: Handles[str] = Handles()
    old = table.add("old")
    table.pop(old)
    new = table.add("new")
    assert new != old
    assert table.get(old) is None
    assert table.get(new) == "new"
    assert table.handles() == [new]


@pytest.mark.parametrize("foreign", [0, 1, 0x7FFC_1234_5678, 0x55D4_0000_2A00, 2**64 - 1])
def test_a_number_that_never_was_a_handle_finds_nothing(foreign: int) -> None:
    table: Handles[str] = Handles()
    table.add("something")
    assert table.get(foreign) is None
    assert table.pop(foreign) is None


def test_statuses_match_the_header() -> None:
    header = HEADER.read_text()
    for status in Status:
        assert f"LLMKIT_{status.name} = {status.value}," in header or (
            f"LLMKIT_{status.name} = {status.value} " in header
        )
    assert f"#define LLMKIT_ABI_VERSION {ABI_VERSION}\n" in header


def test_the_status_of_a_failure_comes_from_the_c_error_inside_it() -> None:
    outer = ToolExecutionError("Tool 'square' failed")
    outer.__cause__ = CallError(Status.ERR_TOOL, "tool 'square' returned NULL")
    assert status_for(outer) == (Status.ERR_TOOL, "tool 'square' returned NULL")


def test_other_failures_get_the_status_of_their_kind() -> None:
    assert status_for(RunTimeoutError("the run took longer than 5 s"))[0] is Status.ERR_TIMEOUT
    assert status_for(UsageError("max_steps must be positive"))[0] is Status.ERR_ARGUMENT
    status, message = status_for(KeyError("oops"))
    assert status is Status.ERR_INTERNAL
    assert message == "internal error, please report it: KeyError: 'oops'"


def test_each_python_function_of_the_header_gets_a_twin_and_the_c_ones_none() -> None:
    declarations = cffi_declarations(api_block(HEADER.read_text()))
    for name in EXPORTS:
        assert 'extern "Python" ' in declarations.split(f" {twin(name)}(")[0].splitlines()[-1]
    assert "llmkit_run(" not in declarations
    for name in C_ONLY:
        assert name not in declarations


def test_a_header_out_of_step_with_the_exports_fails_the_build() -> None:
    header = HEADER.read_text().replace(
        "void llmkit_free(void *p);", "void llmkit_free(void *p);\nint llmkit_extra(void);"
    )
    with pytest.raises(UsageError, match="llmkit_extra"):
        api_block(header)


def test_a_missing_compiler_is_named_with_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CC", "no-such-cc")
    with pytest.raises(UsageError, match="apt-get install gcc"):
        build(tmp_path)
    assert not (tmp_path / "libllmkit.so").exists()


def test_the_compiler_is_cc_or_the_command_cc_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CC", "sh -c true")  # a command with its own arguments, as make passes it
    assert compiler() == ["sh", "-c", "true"]
    monkeypatch.setenv("CC", "")
    monkeypatch.setenv("PATH", "")
    with pytest.raises(UsageError, match="No C compiler 'cc' on PATH"):
        compiler()


def test_llmkit_capi_build_reports_a_missing_compiler_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CC", "no-such-cc")
    assert main(["capi", "build", "--out", str(tmp_path)]) == 2
    assert "no-such-cc" in capsys.readouterr().err


def test_llmkit_capi_build_writes_the_library_and_the_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["capi", "build", "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.splitlines() == [
        str(tmp_path / "out" / "libllmkit.so"),
        str(tmp_path / "out" / "llmkit.h"),
    ]
    assert (tmp_path / "out" / "llmkit.h").read_text() == HEADER.read_text()


def test_a_thread_stays_in_a_callback_until_the_outermost_one_ends() -> None:
    with marked_callback():
        with marked_callback():
            assert in_callback()
        assert in_callback()  # the inner callback ended, the outer one still runs
    assert not in_callback()


def test_a_call_started_on_a_stopped_runtime_ends_with_a_status() -> None:
    runtime = Runtime(tool_threads=1)
    call = runtime.call()  # started just before the loop stops
    runtime.stop()

    async def work() -> int:
        return 1

    with pytest.raises(CallError) as caught:
        runtime.wait(call, work())
    assert caught.value.status is Status.ERR_STATE
    assert "llmkit_shutdown" in str(caught.value)


def test_no_final_answer_within_max_steps_gives_advice_a_c_caller_can_follow() -> None:
    status, message = status_for(
        MaxStepsExceeded(
            "no final answer after max_steps=3 model calls (raise max_steps, or continue the "
            "run with message_history=err.messages)"
        )
    )
    assert status is Status.ERR_RUN
    assert "after 3 model calls" in message
    assert 'raise "max_steps"' in message
    assert "message_history" not in message


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("NaN", "NaN is not a JSON number"),
        ("[1, -Infinity]", "-Infinity is not a JSON number"),
        ('{"t": 1e400}', "too large for a double"),
        ("[" * 501 + "]" * 501, "nesting limit"),
    ],
)
def test_strict_json_refuses_what_python_alone_reads(text: str, why: str) -> None:
    with pytest.raises(NotJSON, match=why):
        loads(text)


@pytest.mark.parametrize(
    ("raw", "status", "why"),
    [
        (b'{"a": "\xff"}', Status.ERR_UTF8, "request_json is not UTF-8 (byte 7 of it): pass UTF-8"),
        (b'{"a": NaN}', Status.ERR_JSON, "request_json is not JSON (NaN is not a JSON number"),
        (b"[" * 501 + b"]" * 501, Status.ERR_JSON, "nesting limit"),
        (b'{"a": "\\ud800"}', Status.ERR_UTF8, "request_json holds a lone surrogate (\\ud800)"),
    ],
)
def test_json_text_from_c_is_refused_with_the_status_of_what_is_wrong(
    raw: bytes, status: Status, why: str
) -> None:
    with pytest.raises(CallError) as caught:
        read(raw, "request_json", expect="a JSON object")
    assert caught.value.status is status
    assert why in str(caught.value)
    # A callback's answer: one status for every refusal, and what to return instead.
    with pytest.raises(CallError) as caught:
        read(raw, "the answer of tool 't'", expect="JSON", verb="return", status=Status.ERR_TOOL)
    assert caught.value.status is Status.ERR_TOOL
    assert "the answer of tool 't'" in str(caught.value)


def test_json_text_may_let_lone_surrogates_through_to_be_refused_when_written() -> None:
    assert read(b'["\\ud800", 1]', "json", expect="JSON", surrogates=False) == ["\ud800", 1]


def test_values_for_c_are_written_as_json_that_c_can_read() -> None:
    # NaN and infinities are no JSON: null, as orjson writes them (json would write NaN).
    assert dump({"a": float("nan"), "b": [float("inf")], "t": "caf\u00e9"}, "the result") == (
        '{"a":null,"b":[null],"t":"caf\u00e9"}'.encode()
    )
    # What orjson refuses goes to the standard library: an integer beyond 64 bits is written,
    # a lone surrogate is refused with ERR_UTF8, naming it.
    assert dump([2**70], "the result") == b"[1180591620717411303424]"
    with pytest.raises(CallError) as caught:
        dump({"k": "x\udc00"}, "the result")
    assert caught.value.status is Status.ERR_UTF8
    assert "the result holds a lone surrogate (\\udc00)" in str(caught.value)


def test_a_call_cancelled_while_it_runs_ends_with_the_reason_and_the_waiter_wakes() -> None:
    runtime = Runtime(tool_threads=1)
    call = runtime.call()
    started = threading.Event()
    woken: list[str] = []

    async def work() -> int:
        started.set()
        await asyncio.sleep(3600)
        return 1

    outcome = runtime.submit(call, work(), then=lambda: woken.append("then"))
    started.wait()
    call.cancel("cancelled")
    with pytest.raises(CallError) as caught:
        runtime.finish(call, outcome)
    assert caught.value.status is Status.ERR_CANCELLED
    assert woken == ["then"]
    runtime.stop()


def test_python_keywords_in_a_message_are_named_as_the_json_keys_of_c_callers() -> None:
    message = (
        "timeout= takes a positive number of seconds (or None), not -1; for example timeout=30."
    )
    assert for_c(message) == (
        '"timeout" takes a positive number of seconds (or null), not -1; for example "timeout": 30.'
    )
    assert for_c(message, {"timeout": "run_timeout"}).startswith('"run_timeout" takes')
    assert (
        for_c("Unknown model_settings: x", {"model_settings": "settings"}) == "Unknown settings: x"
    )
    assert for_c("see http://h/?a=1 and a == b") == "see http://h/?a=1 and a == b"
    assert status_for(UsageError("timeout= takes a number"))[1] == '"timeout" takes a number'


def test_a_lone_surrogate_is_found_in_keys_and_values_but_a_pair_is_a_character() -> None:
    assert lone_surrogate(loads('{"a": ["\\ud800"]}')) == "\ud800"
    assert lone_surrogate(loads('{"\\udfff": 1}')) == "\udfff"
    assert lone_surrogate(loads('["\\ud83d\\ude00"]')) is None
    with pytest.raises(CallError) as caught:
        utf8("x\udc00", "input")
    assert caught.value.status is Status.ERR_UTF8
    assert "\\udc00" in str(caught.value)


class _Lib:
    """What the exports call in the library's C, for tests of the exports without a build."""

    def __init__(self) -> None:
        self.running: list[int] = []

    def llmkit_set_running(self, running: int) -> None:
        self.running.append(running)


def test_a_client_made_while_shutdown_runs_is_not_freed_by_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cffi = pytest.importorskip("cffi")
    ffi = cffi.FFI()
    ffi.cdef("typedef struct llmkit_client llmkit_client;")
    lib = _Lib()
    made: list[object] = []
    options = ffi.new("char[]", b'{"model": "openai/m", "base_url": "http://127.0.0.1:1/v1"}')

    class Racing(Handles[object]):
        """Another thread makes a client at the moment shutdown lists the clients."""

        def handles(self) -> list[int]:
            if not made:
                racer = threading.Thread(
                    target=lambda: made.append(exports.llmkit_client_new(options))
                )
                made.append(racer)
                racer.start()
                # Long enough for the client to be made unless shutdown holds it back
                # (then it is made after, in any case: the outcome does not depend on it).
                racer.join(timeout=1)
            return super().handles()

    monkeypatch.setattr(_exports, "Handles", Racing)
    exports = _exports.Exports(ffi, lib)
    old = exports.llmkit_client_new(options)
    assert exports.llmkit_shutdown() == Status.OK
    racer = made[0]
    assert isinstance(racer, threading.Thread)
    racer.join()
    assert exports.llmkit_cancel(old) == Status.ERR_HANDLE  # freed by the shutdown
    assert exports.llmkit_cancel(made[1]) == Status.OK  # made during it: alive, on a new runtime
    assert exports.llmkit_shutdown() == Status.OK
    assert lib.running[-1] == 0
