"""Glue for the web UI's tests: a headless Chromium, the UI served on 127.0.0.1, a cuttable proxy.

The browser is Debian's ``chromium`` driven through its ``chromium-driver`` by
Selenium (``make chromium`` installs both). A test that fails leaves a
screenshot of the page under ``.cache/ui-screenshots/`` and prints its path.
Every wait is an explicit wait on a condition (``wait_for``), never a sleep.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, NoReturn

import pytest

import llmkit
from llmkit import Agent, Request, tool
from llmkit.eval import CaseResult, EvalReport
from llmkit.events import ToolCallDelta
from llmkit.serve import Server
from llmkit.testing import FunctionModel, ScriptedModel, tool_call
from llmkit.ui import ui_app
from llmkit.workflow import Retry, sequence, step

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / ".cache" / "ui-screenshots"
TOKEN = "ui-test-token-1"
WAIT = 120.0  # seconds an explicit wait may take on a loaded machine before the test fails

_CHROMIUM = ("chromium", "chromium-browser")
_DRIVER = ("chromedriver", "chromium-driver")


def _find(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def _missing(why: str) -> NoReturn:
    """Skip the browser tests on a developer's machine; fail them where ``CI`` is set."""
    if os.environ.get("CI"):
        pytest.fail(f"The browser tests cannot run in CI: {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session (each test opens its own page in it)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is a dev dependency: run 'make install-dev'")
    chromium, driver = _find(_CHROMIUM), _find(_DRIVER)
    if chromium is None or driver is None:
        _missing("Debian's chromium and chromium-driver are not installed: run 'make chromium'")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,900",
        "--no-first-run",
        "--disable-extensions",
    ):
        options.add_argument(argument)
    chrome = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    try:
        yield chrome
    finally:
        chrome.quit()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The browser, on a blank page; a screenshot is kept when the test fails."""
    browser.get("about:blank")
    yield browser
    if request.node.stash.get(_FAILED, False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{request.node.name}.png"
        browser.save_screenshot(str(path))
        print(f"\nScreenshot of the page when {request.node.name} failed: {path}")


def wait_for(driver: Any, condition: Callable[[Any], Any], what: str) -> Any:
    """Wait until ``condition(driver)`` is truthy; fail saying ``what`` was awaited."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, WAIT, poll_frequency=0.05).until(condition)
    except TimeoutException:
        pytest.fail(f"waited {WAIT:g} s for {what}")


def text_of(driver: Any, selector: str) -> str:
    """The visible text of every element matching the CSS ``selector``, joined."""
    from selenium.webdriver.common.by import By

    return "\n".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, selector))


@contextmanager
def served(*targets: Any, recordings: Path | None = None, **options: Any) -> Iterator[Server]:
    """The UI over ``targets`` (and ``recordings``) on 127.0.0.1 at a free port."""
    with Server(ui_app(*targets, tokens=[TOKEN], recordings=recordings, **options)) as server:
        yield server


def open_ui(driver: Any, url: str, fragment: str = "") -> None:
    """Open the page at ``url`` with the test token, and wait until it has started."""
    driver.get(f"{url}/ui/#token={TOKEN}{'&' + fragment if fragment else ''}")
    wait_for(
        driver,
        lambda d: d.find_element("tag name", "body").get_attribute("data-ready"),
        "the page to start",
    )


class Proxy:
    """A TCP relay on a fixed 127.0.0.1 port to ``target``; :meth:`cut` drops it, :meth:`resume` brings it back.

    From the browser's side, a cut is the server going away: open connections
    are closed and new ones refused until :meth:`resume`.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.resume()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def resume(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            _close(listener)
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """The UI tests talk to 127.0.0.1 only; no key of the machine's environment is used."""
    for name in list(os.environ):
        if name.endswith("_API_KEY"):
            monkeypatch.delenv(name)


# ---------------------------------------------------------------- the agents the tests chat with

ORDERS = {42: "left the warehouse", 7: "waits for payment"}


@tool
def lookup(order: int) -> str:
    """Where an order is."""
    return f"Order {order} {ORDERS.get(order, 'is unknown')}."


@tool(requires_approval=True)
def refund(order: int, amount: float) -> str:
    """Refund an order (a person approves it first)."""
    return f"Refunded {amount:.2f} EUR on order {order}."


class Gate:
    """A point the model's answer waits at until the test opens it."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.opened = threading.Event()

    async def wait(self) -> None:
        self.reached.set()
        await asyncio.to_thread(self.opened.wait, 60)


def support_agent(gate: Gate | None = None, *, name: str = "support") -> Agent[Any]:
    """Looks an order up, answers in markdown in two pieces (held at ``gate`` between them).

    Streamed (a new run) or not (a run resumed after approvals), the answer is the same.
    """

    def call(request: Request) -> ToolCallDelta | None:
        last = request.messages[-1]
        if last.role != "user":
            return None
        if "refund" in last.text:
            return ToolCallDelta(
                0, id="call_r", name="refund", arguments='{"order": 7, "amount": 19.5}'
            )
        return ToolCallDelta(0, id="call_1", name="lookup", arguments='{"order": 42}')

    def pieces(request: Request) -> list[str]:
        words = request.messages[-1].tool_results[-1].text.split(" ", 2)
        return ["Found it: **", f"{words[0]} {words[1]}", "** ", words[2]]

    async def stream(request: Request) -> AsyncIterator[Any]:
        delta = call(request)
        if delta is not None:
            yield delta
            return
        *head, tail = pieces(request)
        for piece in head:
            yield piece
        if gate is not None:
            await gate.wait()
        yield tail

    def whole(request: Request) -> Any:
        delta = call(request)
        if delta is not None:
            return tool_call(delta.name or "", **json.loads(delta.arguments))
        return "".join(pieces(request))

    model = FunctionModel(whole, stream_fn=stream)
    return Agent(model, name=name, instructions="Answer about orders.", tools=[lookup, refund])


def echo_agent(text: str, *, name: str = "echo") -> Agent[Any]:
    """Answers every message with ``text`` (streamed as it is)."""

    async def stream(request: Request) -> AsyncIterator[Any]:
        yield text

    return Agent(FunctionModel(lambda r: text, stream_fn=stream), name=name)


# ---------------------------------------------------------------- recordings, reports, workflows


def record(path: Path, answer: str) -> None:
    model = ScriptedModel([tool_call("lookup", order=42), answer])
    with llmkit.record(path):
        Agent(model, name="support", tools=[lookup]).run_sync("Where is order 42?")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two recordings that differ, a truncated one, one from a newer llmkit, an evaluation report."""
    record(tmp_path / "monday.jsonl", "Order 42 left the warehouse.")
    record(tmp_path / "tuesday.jsonl", "Order 42 is on its way.")
    lines = (tmp_path / "monday.jsonl").read_text().splitlines(keepends=True)
    (tmp_path / "truncated.jsonl").write_text(
        "".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2]
    )
    header = json.loads(lines[0]) | {"llmkit_recording": 99, "llmkit": "9.0.0"}
    (tmp_path / "newer.jsonl").write_text(json.dumps(header) + "\n" + "".join(lines[1:]))
    report = EvalReport(
        name="orders",
        model="openai/gpt-4.1-mini",
        thresholds={"trajectory": 1.0},
        cases=[
            CaseResult(
                "where-42", "Where is order 42?", "It left.", ["lookup"], {"trajectory": 1.0}
            ),
            CaseResult(
                "refund-7",
                "Refund order 7",
                "Done.",
                ["lookup"],
                {"trajectory": 0.5},
                {"trajectory": "missing refund(order=7) after lookup"},
            ),
        ],
    )
    report.write_json(tmp_path / "orders-report.json")
    (tmp_path / "null-case.json").write_text('{"cases": [null], "metrics": {"m": null}}')
    return tmp_path


def article_flow() -> Any:
    writer = Agent(ScriptedModel(["Tides rise twice a day."]), name="writer")
    tries: list[int] = []

    @step(output="words", retry=Retry(attempts=2, delay=0, jitter=False))
    def count_words(state: dict[str, Any]) -> int:
        tries.append(1)
        if len(tries) == 1:
            raise ConnectionError("the counter was busy")
        return len(state["notes"].split())

    return sequence(
        step(writer, input=lambda s: s["topic"], output="notes"), count_words, name="article"
    )


class UI:
    """What a UI test works with: the page, and helpers to serve agents and wait on the page."""

    Gate = Gate
    Proxy = Proxy
    TOKEN = TOKEN

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    served = staticmethod(served)
    support_agent = staticmethod(support_agent)
    echo_agent = staticmethod(echo_agent)
    article_flow = staticmethod(article_flow)

    def open(self, url: str, fragment: str = "") -> None:
        open_ui(self.driver, url, fragment)

    def wait_for(self, condition: Callable[[Any], Any], what: str) -> Any:
        return wait_for(self.driver, condition, what)

    def text(self, selector: str) -> str:
        return text_of(self.driver, selector)

    def body(self, attribute: str) -> str | None:
        value: str | None = self.driver.find_element("tag name", "body").get_attribute(attribute)
        return value

    def send(self, text: str) -> None:
        box = self.driver.find_element("id", "input")
        box.clear()
        box.send_keys(text)
        self.driver.find_element("id", "send").click()

    def run_status(self, status: str) -> None:
        self.wait_for(lambda d: self.body("data-run-status") == status, f"the run to be {status}")


@pytest.fixture
def ui(page: Any) -> UI:
    """The page and the helpers of a UI test."""
    return UI(page)
