"""The ``llmkit_fake_server`` fixture, run in an inner pytest session."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

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
