"""MCP test servers: our own small one, and the reference servers that make mcp-servers installs.

Our server (server.py) runs over stdio (per toolset) and over streamable HTTP. The reference
servers (pinned in servers.txt) are found under .cache/mcp-servers (or $LLMKIT_MCP_SERVERS); a
test that needs one fails with a message naming the make target when it is missing.

Process checks read /proc: a server started with ``env={MARK: mark}`` can be found by that
variable, and a child of this process that exited but was not reaped shows state Z.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SERVER = HERE / "server.py"
ROOT = HERE.parents[2]
SERVERS = Path(os.environ.get("LLMKIT_MCP_SERVERS", ROOT / ".cache" / "mcp-servers"))
MARK = "LLMKIT_TEST_SERVER_MARK"
"""The environment variable that tags the server processes of one test."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    """Until something listens on ``port`` (or ``proc`` exits, or 20 s pass)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.05)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def http_server_url() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), "--http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc, "the MCP test server")
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        stop(proc)


# ------------------------------------------------------------------ reference servers


def reference(name: str) -> Path:
    """The installed command of reference server ``name``; the test fails if it is missing."""
    command = {
        "everything": SERVERS / "npm" / "node_modules" / ".bin" / "mcp-server-everything",
        "filesystem": SERVERS / "npm" / "node_modules" / ".bin" / "mcp-server-filesystem",
        "time": SERVERS / "venv" / "bin" / "mcp-server-time",
    }[name]
    if not command.exists():
        pytest.fail(
            f"The reference MCP server {name!r} is not installed ({command} is missing). "
            "Run `make mcp-servers` (make test does it), which installs the servers pinned "
            "in tests/tools/mcp/servers.txt.",
            pytrace=False,
        )
    return command


@pytest.fixture
def mark() -> str:
    """A tag for the environment of the servers one test starts (see :func:`marked`)."""
    return uuid.uuid4().hex


def marked(mark: str) -> list[int]:
    """The pids of live processes whose environment holds ``MARK=mark``."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def zombie_children() -> list[int]:
    """Children of this process that have exited but were not reaped."""
    me = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if ppid == me and state == "Z":
            found.append(int(entry.name))
    return found


@pytest.fixture
def no_leaks(mark: str) -> Iterator[Callable[[], None]]:
    """``no_leaks()`` asserts that no server of this test runs and no child is a zombie.

    Also checked when the test ends.
    """

    def check() -> None:
        assert marked(mark) == [], "a server process of this test is still running"
        assert zombie_children() == [], "a server process exited but was not reaped"

    yield check
    check()


@pytest.fixture
def everything_http() -> Iterator[Callable[[], str]]:
    """``start()`` runs the reference server over HTTP (again: on the same port) and gives its URL."""
    command = reference("everything")
    port = free_port()
    running: list[subprocess.Popen[bytes]] = []

    def start() -> str:
        for proc in running:
            stop(proc)
        running.clear()
        proc = subprocess.Popen(
            [str(command), "streamableHttp"],
            env={**os.environ, "PORT": str(port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        running.append(proc)
        wait_for_port(port, proc, "the reference MCP server over HTTP")
        return f"http://127.0.0.1:{port}/mcp"

    try:
        yield start
    finally:
        for proc in running:
            stop(proc)
