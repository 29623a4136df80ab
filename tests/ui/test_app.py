"""The UI's server side without a browser: its routes, tokens, files, recordings API and command."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from llmkit import Agent
from llmkit.errors import UsageError
from llmkit.serve import RateLimit, Server
from llmkit.testing import ScriptedModel
from llmkit.ui import ui_app
from llmkit.ui._recordings import Folder, UnreadableFile

TOKEN = "tok-ui-1"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "broken.jsonl").write_text('{"llmkit_recording": 1}\n{"topic": ')
    (tmp_path / "runs" / "notes.json").write_text('{"hello": 1}')
    (tmp_path / "secret.jsonl").write_text("outside the folder")
    app = ui_app(
        Agent(ScriptedModel(["hi"]), name="greeter"), tokens=[TOKEN], recordings=tmp_path / "runs"
    )
    with Server(app) as running:
        yield running


def test_the_page_needs_no_token_and_carries_the_security_headers(server: Server) -> None:
    page = httpx.get(f"{server.url}/ui/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert (
        httpx.get(f"{server.url}/ui/app.js").headers["content-type"].startswith("text/javascript")
    )
    assert httpx.get(f"{server.url}/").headers["location"] == "/ui/"


@pytest.mark.parametrize(
    "path", ["/ui/nothing.js", "/ui/../pyproject.toml", "/ui/%2e%2e/_mount.py", "/ui/_mount.py"]
)
def test_only_the_shipped_files_are_served(server: Server, path: str) -> None:
    answer = httpx.get(f"{server.url}{path}")
    # 404, or 401 where the client resolved the ".." and the serve app's guard answered.
    assert answer.status_code in (401, 404)
    assert "[project]" not in answer.text and "import" not in answer.text


def test_the_ui_api_and_the_serve_api_need_a_token(server: Server) -> None:
    for path in ("/ui/api/info", "/ui/api/recordings", "/v1/models"):
        refused = httpx.get(f"{server.url}{path}")
        assert refused.status_code == 401, path
        assert refused.json()["error"]["code"] == "invalid_api_key"
        assert (
            httpx.get(f"{server.url}{path}", headers={"Authorization": "Bearer wrong"}).status_code
            == 401
        )
    info = httpx.get(f"{server.url}/ui/api/info", headers=AUTH).json()
    assert info["targets"] == [{"name": "greeter", "kind": "agent", "description": ""}]
    assert info["recordings"] is True
    assert httpx.post(f"{server.url}/ui/api/info", headers=AUTH).status_code == 405


def test_the_recordings_api_reads_only_the_folder_and_says_what_is_wrong(server: Server) -> None:
    listing = httpx.get(f"{server.url}/ui/api/recordings", headers=AUTH).json()
    assert [f["name"] for f in listing["files"]] == ["broken.jsonl", "notes.json"]
    broken = httpx.get(f"{server.url}/ui/api/recordings/broken.jsonl", headers=AUTH)
    assert broken.status_code == 422
    message = broken.json()["error"]["message"]
    assert message.startswith("broken.jsonl, line 2") and "/runs" not in message
    notes = httpx.get(f"{server.url}/ui/api/recordings/notes.json", headers=AUTH)
    assert (
        notes.status_code == 422 and "not an evaluation report" in notes.json()["error"]["message"]
    )
    for name in ("../secret.jsonl", "%2e%2e/secret.jsonl", "missing.jsonl"):
        assert httpx.get(f"{server.url}/ui/api/recordings/{name}", headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    ("report", "says"),
    [
        ('{"cases": [null]}', "case 1 is not an object"),
        ('{"cases": ["a"], "passed": true}', "case 1 is not an object"),
        ('{"cases": [], "metrics": {"m": null}}', "metric 'm' is not an object"),
        ('{"cases": [], "metrics": {"m": {"mean": "high"}}}', "mean that is not a number"),
        ('{"cases": [{"id": 1, "scores": {"m": "x"}}]}', "'scores' that are not"),
        ('{"cases": [{"id": 1, "tool_calls": "lookup"}]}', "'tool_calls' that are not"),
        ('{"cases": [{"id": 1, "notes": []}]}', "'notes' that are not"),
        ('{"cases": [{"id": 1, "error": {"x": 1}}]}', "'error' that is not a text"),
    ],
)
def test_a_report_of_the_wrong_shape_is_refused_with_what_is_wrong(
    tmp_path: Path, report: str, says: str
) -> None:
    (tmp_path / "r.json").write_text(report)
    with pytest.raises(UnreadableFile, match="r.json is not an evaluation report") as caught:
        Folder(tmp_path).open("r.json")
    assert says in str(caught.value)


def test_hidden_and_linked_folders_are_not_walked(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    (root / ".git" / "objects").mkdir(parents=True)
    (root / ".git" / "objects" / "x.json").write_text("{}")
    (root / "kept").mkdir()
    (root / "kept" / "a.jsonl").write_text("{}")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "b.jsonl").write_text("{}")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "inside.jsonl").symlink_to(root / "kept" / "a.jsonl")
    (root / "out.jsonl").symlink_to(outside / "b.jsonl")
    folder = Folder(root)
    assert list(folder.files()) == ["inside.jsonl", "kept/a.jsonl"]
    assert folder.find("linked/b.jsonl") is None and folder.find("kept/a.jsonl") is not None


def test_other_routes_answer_while_a_big_recording_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmkit.recording import Recording

    (tmp_path / "big.jsonl").write_text("{}")
    started, release = threading.Event(), threading.Event()
    real = Recording.load

    def slow_load(path: Any, *args: Any, **kwargs: Any) -> Any:
        started.set()
        release.wait(30)  # a bound so a regression ends the test instead of hanging it
        return real(path, *args, **kwargs)

    monkeypatch.setattr(Recording, "load", staticmethod(slow_load))
    app = ui_app(Agent(ScriptedModel(["hi"]), name="greeter"), tokens=[TOKEN], recordings=tmp_path)
    with Server(app) as server:
        answers: list[int] = []
        opening = threading.Thread(
            target=lambda: answers.append(
                httpx.get(
                    f"{server.url}/ui/api/recordings/big.jsonl", headers=AUTH, timeout=60
                ).status_code
            )
        )
        opening.start()
        try:
            assert started.wait(30)
            # The load is held in its worker thread; the server still answers.
            info = httpx.get(f"{server.url}/ui/api/info", headers=AUTH, timeout=10)
            assert info.status_code == 200 and answers == []
        finally:
            release.set()
            opening.join()
        assert answers == [422]  # "{}" is no recording: the load ran and said so


def test_the_ui_api_shares_the_serve_api_rate_limit(tmp_path: Path) -> None:
    now = [0.0]
    limit = RateLimit(3, per=60, clock=lambda: now[0])
    agent = Agent(ScriptedModel(["hi"]), name="greeter")
    app = ui_app(agent, tokens=[TOKEN, "tok-other"], recordings=tmp_path, rate_limit=limit)
    with Server(app) as server:
        for _ in range(2):
            assert httpx.get(f"{server.url}/ui/api/info", headers=AUTH).status_code == 200
        assert httpx.get(f"{server.url}/v1/models", headers=AUTH).status_code == 200
        # The three requests of the period are spent, on either API.
        refused = httpx.get(f"{server.url}/ui/api/recordings", headers=AUTH)
        assert refused.status_code == 429 and refused.headers["retry-after"] == "20"
        assert refused.json()["error"]["code"] == "rate_limit_exceeded"
        assert httpx.get(f"{server.url}/v1/models", headers=AUTH).status_code == 429
        other = {"Authorization": "Bearer tok-other"}
        assert httpx.get(f"{server.url}/ui/api/info", headers=other).status_code == 200
        now[0] = 20.0  # one request's worth of time later
        assert httpx.get(f"{server.url}/ui/api/info", headers=AUTH).status_code == 200


def test_ui_app_says_what_to_pass() -> None:
    with pytest.raises(UsageError, match="something to show"):
        ui_app(tokens=[TOKEN])
    with pytest.raises(UsageError, match="not a folder"):
        ui_app(tokens=[TOKEN], recordings="no/such/folder")
    with pytest.raises(UsageError, match="at least one bearer token"):
        ui_app(Agent(ScriptedModel(["hi"]), name="a"), tokens=[])


APP = """
from llmkit import Agent
from llmkit.testing import ScriptedModel

agent = Agent(ScriptedModel(["Hello."]), name="greeter")
"""


def run_ui(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    (tmp_path / "app.py").write_text(APP)
    return subprocess.Popen(
        [sys.executable, "-m", "llmkit", "ui", *args, "--port", "0", "--no-open"],
        cwd=tmp_path,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_llmkit_ui_makes_a_token_and_prints_the_page(tmp_path: Path) -> None:
    process = run_ui(tmp_path, "app.py:agent", env={"LLMKIT_SERVE_TOKENS": ""})
    try:
        line = process.stdout.readline()
        assert line.startswith("The UI is at http://127.0.0.1:"), line
        page = line.split()[4]
        url, _, token = page.partition("/ui/#token=")
        assert len(token) >= 24
        info = httpx.get(f"{url}/ui/api/info", headers={"Authorization": f"Bearer {token}"}).json()
        assert info["targets"][0]["name"] == "greeter"
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_llmkit_ui_never_prints_a_token_it_was_given(tmp_path: Path) -> None:
    process = run_ui(tmp_path, "app.py:agent", env={"LLMKIT_SERVE_TOKENS": "tok-given-secret"})
    try:
        line = process.stdout.readline()
        assert "sign in with a token of LLMKIT_SERVE_TOKENS" in line
        url = line.split()[4].removesuffix("/ui/")
        assert (
            httpx.get(
                f"{url}/ui/api/info", headers={"Authorization": "Bearer tok-given-secret"}
            ).status_code
            == 200
        )
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert "tok-given-secret" not in line + out + err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "Name what to serve"),
        (("--recordings", "no-such-folder"), "not a folder"),
        (("--recordings", ".", "--store", "s.db"), "drop --store"),
    ],
)
def test_llmkit_ui_refuses_bad_input_with_a_usage_error(
    tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    process = run_ui(tmp_path, *args, env={})
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2, err
    assert says in err


def test_the_browser_opens_without_a_token_of_yours_in_the_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import argparse
    import webbrowser

    from llmkit._cli import ui as command

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", opened.append)
    monkeypatch.setattr(Server, "run", lambda self, *, ready: ready("http://127.0.0.1:1"))
    args = argparse.Namespace(
        targets=[],
        recordings=str(tmp_path),
        host="127.0.0.1",
        port=0,
        token_env="UI_TEST_TOKENS",
        token_file=None,
        store=None,
        no_open=False,
    )
    monkeypatch.setenv("UI_TEST_TOKENS", "tok-given-secret")
    command._ui(args)
    monkeypatch.delenv("UI_TEST_TOKENS")
    command._ui(args)
    assert opened[0] == "http://127.0.0.1:1/ui/"
    assert opened[1].startswith("http://127.0.0.1:1/ui/#token=")  # a token made for this run


def test_the_favicon_needs_no_token(server: Server) -> None:
    icon = httpx.get(f"{server.url}/favicon.ico")
    assert icon.status_code == 204 and icon.content == b""


def test_the_browser_tests_fail_in_ci_when_the_browser_is_missing(tmp_path: Path) -> None:
    test = Path(__file__).parent / "test_approvals.py"
    env = {**os.environ, "CI": "1", "PATH": str(tmp_path)}  # no chromium on this PATH
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", str(test)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout
    assert "The browser tests cannot run in CI" in done.stdout
    env.pop("CI")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", str(test)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and "skipped" in done.stdout, done.stdout
