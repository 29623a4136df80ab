"""Glue for the built-in tool tests: a small HTTP server on 127.0.0.1 (no other network), a
clock that ticks on every read (for time limits), and the process tool with its root.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from llmkit.tools.builtin import process

PY = Path(sys.executable).name


def run_tool(root: Path, **options: Any) -> Any:
    """``run_command`` in ``root``; by default echo, ls, pwd, env, sh and this Python may run."""
    options.setdefault("commands", ["echo", "ls", "pwd", "env", "sh", PY])
    options.setdefault("env", {"PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin"})
    [tool] = process(root=root, **options)
    return tool


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """``tmp_path/root`` with ``a.txt`` and ``sub/``; beside it, outside, ``canary`` says "alive"."""
    (tmp_path / "root" / "sub").mkdir(parents=True)
    (tmp_path / "root" / "a.txt").write_text("a")
    (tmp_path / "canary").write_text("alive")
    return tmp_path / "root"


PAGE = b"""<!doctype html><html><head><title>Test  page</title><style>p{}</style>
<script>alert('x')</script></head><body><h1>Hello</h1><p>First   paragraph
with <a href="/x">a link</a>.</p><ul><li>one</li><li>two</li></ul></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0]
        routes = self.server.routes  # type: ignore[attr-defined]
        route = routes.get(path) or routes.get("*")
        if route is None:
            status, headers, content = 404, {"content-type": "text/plain"}, b"not found"
        else:
            status, headers, content = route(self, body)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if isinstance(content, bytes):
            self.send_header("content-length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)
            return
        self.end_headers()  # a generator: streamed without a length, until closed
        try:
            for chunk in content:
                self.wfile.write(chunk)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _answer


def echo(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict[str, str], bytes]:
    seen = {
        "method": handler.command,
        "path": handler.path,
        "headers": {k.lower(): v for k, v in handler.headers.items()},
        "body": body.decode(),
    }
    return 200, {"content-type": "application/json"}, json.dumps(seen).encode()


def _endless(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict[str, str], Any]:
    # Never ends: a client that reads it all never returns (until its own time limit).
    def chunks() -> Iterator[bytes]:
        while True:
            yield b"x" * 65536

    return 200, {"content-type": "text/plain", "connection": "close"}, chunks()


def _slow(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict[str, str], bytes]:
    # Answers only once the test let it (LocalServer.release), or after a minute: a client
    # that gave up meanwhile did so by its own time limit, however slow the machine.
    handler.server.release.wait(60)  # type: ignore[attr-defined]
    return 200, {"content-type": "text/plain"}, b"late"


class LocalServer:
    """Routes: path -> function(handler, body) -> (status, headers, bytes or chunk iterator)."""

    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.routes = {  # type: ignore[attr-defined]
            "/page": lambda h, b: (200, {"content-type": "text/html; charset=utf-8"}, PAGE),
            "/json": lambda h, b: (200, {"content-type": "application/json"}, b'{"a": [1, 2]}'),
            "/echo": echo,
            "/big": lambda h, b: (200, {"content-type": "text/plain"}, b"y" * 200_000),
            "/endless": _endless,
            "/slow": _slow,
            "/image": lambda h, b: (200, {"content-type": "image/png"}, b"\x89PNG\r\n\x1a\n0000"),
            "/missing-page": lambda h, b: (404, {"content-type": "text/plain"}, b"gone"),
            "/to-page": lambda h, b: (302, {"location": "/page"}, b""),
            "/to-evil": lambda h, b: (302, {"location": "http://evil.example/steal"}, b""),
            "/to-metadata": lambda h, b: (
                302,
                {"location": "http://169.254.169.254/latest/meta-data/"},
                b"",
            ),
            "/loop": lambda h, b: (302, {"location": "/loop"}, b""),
            "/post-to-echo": lambda h, b: (303, {"location": "/echo"}, b""),
        }
        self.routes: dict[str, Any] = self.httpd.routes  # type: ignore[attr-defined]
        self.release = threading.Event()
        """Set to let ``/slow`` answer."""
        self.httpd.release = self.release  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def start(self) -> LocalServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class TickingClock:
    """A clock that moves one second each time it is read: a limit of n seconds passes after n checks."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    server = LocalServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def other_server() -> Iterator[LocalServer]:
    """A second server on another port: another origin than ``local_server``."""
    server = LocalServer().start()
    try:
        yield server
    finally:
        server.stop()
