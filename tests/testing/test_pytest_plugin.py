"""The ``llmkit_fake_server`` fixture, run in an inner pytest session."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

# The inner sessions switch the network guard on and off: the outer one stays out of their way.
pytestmark = pytest.mark.llmkit_allow_network

INNER = """
import httpx2

URLS = []

def post(server):
    return httpx2.post(
        server.openai_base_url + "/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
        headers={"authorization": "Bearer k"},
    )

def test_first(llmkit_fake_server):
    URLS.append(llmkit_fake_server.url)
    llmkit_fake_server.script(["one"])
    assert post(llmkit_fake_server).status_code == 200
    post(llmkit_fake_server)  # runs past the script
    assert llmkit_fake_server.errors

def test_second_starts_clean_on_the_same_server(llmkit_fake_server):
    assert llmkit_fake_server.url == URLS[0]
    assert llmkit_fake_server.requests == []
    assert llmkit_fake_server.errors == []
    assert post(llmkit_fake_server).status_code == 500  # no script left over
"""


def test_fixture_is_session_wide_and_reset_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=2)


MODELS = """
import pytest
from llmkit import Message, Request

@pytest.mark.parametrize("protocol", ["openai", "anthropic", "gemini", "ollama"])
def test_each_protocol(llmkit_fake_server, llmkit_model, protocol):
    llmkit_fake_server.script(["hello from " + protocol])
    model = llmkit_model(protocol)
    answer = model.generate_sync(Request(messages=[Message.user("hi")]))
    assert answer.text == "hello from " + protocol
    assert len(llmkit_fake_server.requests) == 1

def test_unknown_protocol(llmkit_model):
    from llmkit.errors import UsageError
    with pytest.raises(UsageError, match="there is no 'grpc' protocol"):
        llmkit_model("grpc")
"""


def test_llmkit_model_speaks_every_protocol(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_models=MODELS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=5)


SCRIPTED = """
from llmkit import Agent

def test_all_turns_used(llmkit_scripted_model):
    model = llmkit_scripted_model(["one", "two"])
    agent = Agent(model)
    agent.run_sync("a"); agent.run_sync("b")

def test_a_turn_left_over(llmkit_scripted_model):
    Agent(llmkit_scripted_model(["one", "never asked for"])).run_sync("a")

def test_not_strict(llmkit_scripted_model):
    Agent(llmkit_scripted_model(["one", "spare"], strict=False)).run_sync("a")
"""


def test_scripted_model_fixture_flags_unused_turns(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_scripted=SCRIPTED)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*1 of 2 scripted turns were never used*"])


GUARDED = """
import pytest
import llmkit
from llmkit import Message, Request
from llmkit.testing import NetworkBlockedError, block_network

def remote():
    return llmkit.model("openai/gpt-4.1-mini", base_url="http://192.0.2.1/v1", api_key="sk-x")

def ask():
    return remote().generate_sync(Request(messages=[Message.user("hi")]))

@pytest.mark.llmkit_block_network
def test_marked():
    ask()

@pytest.mark.llmkit_block_network
def test_swallowed_error_still_fails():
    try:
        ask()
    except Exception:
        pass

def test_fixture(llmkit_block_network):
    ask()

@pytest.mark.llmkit_block_network
def test_checking_the_guard_itself_uses_an_inner_block():
    with block_network() as inner, pytest.raises(NetworkBlockedError):
        ask()
    assert len(inner.blocked) == 1

def test_unmarked_is_open():
    from llmkit.testing.network import network_blocked
    assert not network_blocked()
"""


def test_block_network_marker_and_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_guarded=GUARDED)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "--strict-markers")
    result.assert_outcomes(passed=2, failed=3)
    failed = {r.nodeid.rpartition("::")[2] for r in result.reprec.getfailures()}  # type: ignore[attr-defined]
    assert failed == {"test_marked", "test_swallowed_error_still_fails", "test_fixture"}
    result.stdout.fnmatch_lines(
        [
            "*NetworkBlockedError: openai: a model request to http://192.0.2.1/v1/chat/completions*",
            "The test sent model requests the network guard blocked "
            "(openai http://192.0.2.1/v1/chat/completions) and carried on*",
        ]
    )


SUITE = """
import pytest
from llmkit.testing.network import network_blocked

def test_blocked_by_the_ini_option():
    assert network_blocked()

@pytest.mark.llmkit_allow_network
def test_exempt():
    assert not network_blocked()
"""


def test_ini_option_blocks_the_whole_suite(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nllmkit_block_network = true\nllmkit_allowed_hosts = proxy.internal\n"
    )
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "--strict-markers")
    result.assert_outcomes(passed=2)
