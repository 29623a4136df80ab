"""``llmkit rpc`` driven as a subprocess over its stdin and stdout, one JSON message per line."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

APP = '''
import asyncio

from llmkit import Agent, Request, tool
from llmkit.testing import FunctionModel, tool_call

print("importing the app")  # must not reach the protocol on stdout


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    print("a stray print inside a tool")  # nor this
    return a + b


@tool
def explode() -> str:
    """Crash."""
    raise RuntimeError("the tool broke")


@tool(requires_approval=True)
def refund(order: int) -> str:
    """Refund an order."""
    return f"order {order} refunded"


@tool
async def wait_forever() -> str:
    """Never answer."""
    await asyncio.Event().wait()
    return "never"


def answer(request: Request) -> object:
    text = request.messages[-1].text if request.messages[-1].role == "user" else ""
    results = [r for m in request.messages for r in m.tool_results]
    if text.startswith("add") and not results:
        return tool_call("add", a=2, b=3)
    if text.startswith("explode") and not results:
        return tool_call("explode")
    if text.startswith("refund") and not results:
        return tool_call("refund", order=42)
    if text.startswith("wait") and not results:
        return tool_call("wait_forever")
    if text.startswith("fail"):
        raise RuntimeError("the model is down")
    if results:
        return f"done: {results[-1].text}"
    turns = sum(1 for m in request.messages if m.role == "user")
    return f"turn {turns}: {text}"


calc = Agent(FunctionModel(answer), name="calc",
             tools=[add, explode, refund, wait_forever])
other = Agent(FunctionModel(lambda request: "other"), name="other")
both = [calc, other]
'''


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rpc") / "app.py"
    path.write_text(APP, encoding="utf-8")
    return path


class Client:
    """The test's end of the pipes: send lines, read messages (a thread reads stdout)."""

    def __init__(self, app: Path, target: str, *options: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llmkit", "rpc", f"{app}:{target}", *options],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # Block-buffered stdout, as a program that starts the server usually leaves it.
            env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
        )
        self.lines: queue.Queue[bytes] = queue.Queue()
        self.errors: queue.Queue[bytes] = queue.Queue()
        self._next_id = 0
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        threading.Thread(
            target=self._read, args=(self.proc.stdout, self.lines), daemon=True
        ).start()
        threading.Thread(
            target=self._read, args=(self.proc.stderr, self.errors), daemon=True
        ).start()

    @staticmethod
    def _read(stream: IO[bytes], lines: queue.Queue[bytes]) -> None:
        for line in stream:
            lines.put(line)
        lines.put(b"")

    def stderr_line(self, text: str) -> None:
        """Wait until the server writes a line holding ``text`` on stderr."""
        while True:
            line = self.errors.get(timeout=60)
            assert line, f"stderr ended without {text!r}"
            if text.encode() in line:
                return

    def write(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: Any) -> None:
        self.write(json.dumps(message).encode() + b"\n")

    def receive(self) -> Any:
        line = self.lines.get(timeout=60)
        assert line, "the server closed stdout"
        assert line.endswith(b"\n")
        return json.loads(line)

    def call(self, method: str, params: dict[str, Any] | None = None) -> tuple[list[Any], Any]:
        """Send one request; the notifications before its response, and the response."""
        self._next_id += 1
        request: dict[str, Any] = {"jsonrpc": "2.0", "id": self._next_id, "method": method}
        if params is not None:
            request["params"] = params
        self.send(request)
        notes = []
        while True:
            message = self.receive()
            if message.get("id") == self._next_id and "method" not in message:
                return notes, message
            notes.append(message)

    def result(self, method: str, params: dict[str, Any] | None = None) -> Any:
        _, response = self.call(method, params)
        assert "result" in response, response
        return response["result"]

    def error(self, method: str, params: dict[str, Any] | None = None) -> Any:
        _, response = self.call(method, params)
        assert "error" in response, response
        return response["error"]

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=60)


@pytest.fixture
def client(app: Path) -> Iterator[Client]:
    c = Client(app, "calc")
    try:
        yield c
    finally:
        if c.proc.poll() is None:
            c.proc.kill()
            c.proc.wait(timeout=20)


def test_run_answers_with_the_run_and_stdout_holds_only_protocol(client: Client) -> None:
    run = client.result("run", {"input": "add 2 and 3"})
    assert run["status"] == "complete"
    assert run["output"] == "done: 5"
    assert run["usage"]["requests"] == 2
    assert client.result("get", {"run": run["id"]})["output"] == "done: 5"
    client.stderr_line("importing the app")
    client.stderr_line("a stray print inside a tool")  # while it serves, not at its exit
    assert client.close() == 0


def test_stream_sends_every_event_as_a_notification_before_the_response(client: Client) -> None:
    notes, response = client.call("stream", {"input": "add 2 and 3"})
    run = response["result"]
    assert {n["method"] for n in notes} == {"run.event"}
    assert [n["params"]["id"] for n in notes] == list(range(1, len(notes) + 1))
    assert {n["params"]["run"] for n in notes} == {run["id"]}
    assert {n["params"]["request"] for n in notes} == {response["id"]}
    topics = [n["params"]["event"]["topic"] for n in notes]
    assert topics[0] == "run.start"
    assert topics[-1] == "run.end"
    assert "tool.result" in topics
    assert run["last_event_id"] == len(notes)
    # The same events, read again after the run: events replays the kept ones.
    again, _ = client.call("events", {"run": run["id"], "after": 3})
    assert [n["params"]["id"] for n in again] == list(range(4, len(notes) + 1))


def test_a_crash_inside_a_tool_is_a_tool_error_and_the_run_completes(client: Client) -> None:
    run = client.result("run", {"input": "explode"})
    assert run["status"] == "complete"
    assert run["output"] == "done: Tool explode raised RuntimeError: the tool broke."


def test_a_failed_run_is_a_result_with_its_error_not_an_rpc_error(client: Client) -> None:
    run = client.result("run", {"input": "fail now"})
    assert run["status"] == "failed"
    assert run["error"]["type"] == "RuntimeError"
    assert "Traceback" not in json.dumps(run)


def test_a_paused_run_is_approved_and_resumes(client: Client) -> None:
    run = client.result("run", {"input": "refund order 42"})
    assert run["status"] == "paused"
    [pending] = run["pending"]
    notes, response = client.call(
        "approve", {"run": run["id"], "decisions": {pending["id"]: True}, "stream": True}
    )
    resumed = response["result"]
    assert resumed["status"] == "complete"
    assert resumed["output"] == "done: order 42 refunded"
    assert notes
    assert notes[-1]["params"]["event"]["topic"] == "run.end"
    assert notes[0]["params"]["id"] > run["last_event_id"]
    again = client.error("approve", {"run": run["id"], "decisions": {pending["id"]: True}})
    assert (again["code"], again["data"]["type"]) == (-32004, "run_state")


def test_cancel_reaches_a_run_another_request_waits_for(client: Client) -> None:
    started = client.result("run", {"input": "wait for me", "wait": False})
    assert started["status"] in ("queued", "running")
    client.send(
        {"jsonrpc": "2.0", "id": "waiting", "method": "events", "params": {"run": started["id"]}}
    )
    cancelled = client.result("cancel", {"run": started["id"]})
    assert cancelled["status"] == "cancelled"
    messages = []
    while not messages or messages[-1].get("id") != "waiting":
        messages.append(client.receive())
    assert messages[-1]["result"]["status"] == "cancelled"


def test_sessions_keep_a_conversation_and_can_be_listed_and_deleted(client: Client) -> None:
    assert client.result("run", {"input": "hello", "session": "ada"})["output"] == "turn 1: hello"
    assert client.result("run", {"input": "again", "session": "ada"})["output"] == "turn 2: again"
    stored = client.result("sessions.get", {"session": "ada"})
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant"] * 2
    listed = client.result("sessions.list")["sessions"]
    assert [(s["id"], s["messages"]) for s in listed] == [("ada", 4)]
    assert client.result("sessions.delete", {"session": "ada"}) == {"id": "ada", "deleted": True}
    gone = client.error("sessions.get", {"session": "ada"})
    assert (gone["code"], gone["data"]["type"]) == (-32003, "session_not_found")


def test_runs_are_listed_newest_first_with_a_cursor(client: Client) -> None:
    first = client.result("run", {"input": "hello"})
    second = client.result("run", {"input": "again"})
    page = client.result("runs.list", {"limit": 1})
    assert [run["id"] for run in page["runs"]] == [second["id"]]
    assert page["runs"][0]["status"] == "complete" and "trace" not in page["runs"][0]
    rest = client.result("runs.list", {"limit": 1, "after": page["next"]})
    assert ([run["id"] for run in rest["runs"]], rest["next"]) == ([first["id"]], None)
    bad = client.error("runs.list", {"after": "run_x"})
    assert (bad["code"], bad["data"]["type"]) == (-32602, "invalid_params")
    notes, _ = client.call("stream", {"input": "timed"})
    assert all(isinstance(n["params"]["event"]["time"], float) for n in notes)


def test_a_message_history_can_be_given_in_the_short_form(client: Client) -> None:
    history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    run = client.result("run", {"input": "and now", "messages": history})
    assert run["output"] == "turn 2: and now"
    bad = client.error("run", {"input": "x", "messages": [{"role": "user"}]})
    assert bad["code"] == -32602
    assert bad["message"].startswith("messages[0]:")


@pytest.mark.parametrize(
    ("line", "code", "kind"),
    [
        (b"this is not json", -32700, "parse_error"),
        (b'{"jsonrpc": "2.0", "id": 1, "method"', -32700, "parse_error"),
        (b"\xff\xfe not utf-8", -32700, "parse_error"),
        (b'"a string"', -32600, "invalid_request"),
        (b'{"id": 1, "method": "get"}', -32600, "invalid_request"),
        (b'{"jsonrpc": "2.0", "id": 1, "method": 5}', -32600, "invalid_request"),
        (b'{"jsonrpc": "2.0", "id": true, "method": "get"}', -32600, "invalid_request"),
        (b"[]", -32600, "invalid_request"),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "runn"}', -32601, "method_not_found"),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "get", "params": ["r"]}',
            -32602,
            "invalid_params",
        ),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "get", "params": {}}', -32602, "invalid_params"),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "get", "params": {"run": 7}}',
            -32602,
            "invalid_params",
        ),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "run", "params": {"inptu": "x"}}',
            -32602,
            "invalid_params",
        ),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "run", "params": {"agent": "nobody"}}',
            -32001,
            "model_not_found",
        ),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "get", "params": {"run": "run_x"}}',
            -32002,
            "run_not_found",
        ),
    ],
)
def test_bad_input_gets_its_error_code_and_the_server_goes_on(
    client: Client, line: bytes, code: int, kind: str
) -> None:
    client.write(line + b"\n")
    response = client.receive()
    assert response["jsonrpc"] == "2.0"
    assert (response["error"]["code"], response["error"]["data"]["type"]) == (code, kind)
    assert "Traceback" not in response["error"]["message"]
    assert "POST" not in response["error"]["message"]  # no HTTP wording over JSON-RPC
    assert client.result("agents") == {"agents": ["calc"]}


def test_a_message_cut_into_pieces_is_read_whole(client: Client) -> None:
    message = json.dumps(
        {"jsonrpc": "2.0", "id": 9, "method": "run", "params": {"input": "héllo 🌊"}},
        ensure_ascii=False,
    ).encode()
    cut = message.index("🌊".encode()) + 1
    client.write(message[:10])
    client.write(message[10:cut])
    client.write(message[cut:] + b"\n")
    response = client.receive()
    assert response["id"] == 9
    assert response["result"]["output"] == "turn 1: héllo 🌊"


def test_a_batch_gets_an_array_and_notifications_get_nothing(client: Client) -> None:
    client.send(
        [
            {"jsonrpc": "2.0", "id": 1, "method": "agents"},
            {"jsonrpc": "2.0", "method": "agents"},
            {"jsonrpc": "2.0", "id": 2, "method": "nope"},
        ]
    )
    responses = client.receive()
    assert sorted(r["id"] for r in responses) == [1, 2]
    client.send({"jsonrpc": "2.0", "method": "nope"})  # a notification: not even an error
    assert client.result("agents") == {"agents": ["calc"]}


def test_requests_written_before_stdin_closes_are_answered(app: Path) -> None:
    lines = [
        {"jsonrpc": "2.0", "id": 1, "method": "run", "params": {"input": "add"}},
        {"jsonrpc": "2.0", "id": 2, "method": "agents"},
    ]
    done = subprocess.run(
        [sys.executable, "-m", "llmkit", "rpc", f"{app}:calc"],
        input=b"".join(json.dumps(m).encode() + b"\n" for m in lines),
        capture_output=True,
        timeout=60,
        check=True,
    )
    answers = {m["id"]: m["result"] for m in map(json.loads, done.stdout.splitlines())}
    assert answers[1]["output"] == "done: 5"
    assert answers[2] == {"agents": ["calc"]}


def test_several_targets_are_named_by_agent(app: Path) -> None:
    c = Client(app, "both")
    try:
        assert c.result("agents") == {"agents": ["calc", "other"]}
        assert c.result("run", {"agent": "other", "input": "hi"})["output"] == "other"
        error = c.error("run", {"input": "hi"})
        assert error["code"] == -32602
        assert "say which with 'agent': calc, other" in error["message"]
    finally:
        c.close()


def test_a_message_over_the_size_limit_is_refused_and_the_next_one_read(app: Path) -> None:
    c = Client(app, "calc", "--max-bytes", "200")
    try:
        c.send({"jsonrpc": "2.0", "id": 1, "method": "run", "params": {"input": "x" * 1000}})
        refused = c.receive()
        assert refused["id"] is None
        assert (refused["error"]["code"], refused["error"]["message"]) == (
            -32600,
            "A message is at most 200 bytes.",
        )
        assert c.result("agents") == {"agents": ["calc"]}
    finally:
        c.close()


def test_over_max_runs_a_new_run_is_refused_with_when_to_try_again(app: Path) -> None:
    c = Client(app, "calc", "--max-runs", "1")
    try:
        first = c.result("run", {"input": "wait for me", "wait": False})
        refused = c.error("run", {"input": "hello"})
        assert (refused["code"], refused["data"]["type"]) == (-32005, "too_many_runs")
        assert refused["data"]["retry_after"] > 0
        assert c.result("cancel", {"run": first["id"]})["status"] == "cancelled"
        assert c.result("run", {"input": "hello"})["output"] == "turn 1: hello"
    finally:
        c.close()


def test_runs_still_going_when_stdin_ends_are_cancelled_and_the_server_exits(app: Path) -> None:
    c = Client(app, "calc")
    started = c.result("run", {"input": "wait for me", "wait": False})
    assert started["status"] in ("queued", "running")
    assert c.close() == 0
