"""The fake provider server: real HTTP on 127.0.0.1, speaking the providers' wire protocols.

::

    import llmkit
    from llmkit.testing import FakeProviderServer, Fault, fake_model

    with FakeProviderServer([Fault.status(429, retry_after=0), "hello"]) as server:
        model = llmkit.model(
            "openai/gpt-4.1-mini", base_url=server.openai_base_url, api_key="test"
        )
        # or: model = fake_model(server, "anthropic")  (any of the four protocols)
        llmkit.Agent(model).run_sync("hi").output   # "hello", after a retry of the 429
        server.requests                             # what the client sent, headers and body

It is as strict as the real APIs (a request the real API rejects is rejected
here, with the same status and error body), answers from a script, and can
fail on cue (:class:`~llmkit.testing.Fault`). It runs uvicorn in a background
thread with its own event loop, so it serves sync and async clients alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib import import_module
from types import TracebackType
from typing import Any

from llmkit._uvicorn import UvicornServer
from llmkit.errors import UsageError
from llmkit.testing._fake import (
    PROTOCOLS,
    deps,  # noqa: F401  (a clear error when the extra is missing)
)
from llmkit.testing._fake.asgi import ConnectionAccess
from llmkit.testing._fake.ollama.limits import OllamaCapabilities, capabilities_for
from llmkit.testing._fake.openai.routes import not_found_handler
from llmkit.testing._fake.state import RecordedRequest, ServerState
from llmkit.testing._script import ScriptLike

__all__ = ["FakeProviderServer", "RecordedRequest"]


def build_app(state: ServerState) -> ConnectionAccess:
    """The ASGI app serving ``state``: every protocol's routes, unknown routes answered 404."""
    from starlette.applications import Starlette

    all_routes: list[Any] = []
    for module in PROTOCOLS:
        all_routes.extend(import_module(module).routes(state))
    not_found = not_found_handler(state)
    app = Starlette(routes=all_routes, exception_handlers={404: not_found, 405: not_found})
    return ConnectionAccess(app)


class FakeProviderServer:
    """A fake provider API on ``http://127.0.0.1:<free port>``, answering from a script.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.

    Options:

    - ``api_key``: None accepts any non-empty Bearer key; a string accepts only that key;
    - ``models``: None accepts any model name; a set answers 404 ``model_not_found`` for others;
    - ``embedding_dimensions``: length of the vectors ``/v1/embeddings`` returns;
    - ``chunk_size``: characters of text per streamed chunk;
    - ``record``: keep every request in :attr:`requests` (turn it off for long benchmark runs).
    """

    def __init__(
        self,
        script: ScriptLike | None = None,
        *,
        api_key: str | None = None,
        models: Iterable[str] | None = None,
        embedding_dimensions: int = 8,
        chunk_size: int = 4,
        record: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._state = ServerState(
            api_key=api_key,
            models=models,
            embedding_dimensions=embedding_dimensions,
            chunk_size=chunk_size,
            record=record,
        )
        self._state.load(script)
        self._host = host
        self._port = port
        self._url: str | None = None
        self._uvicorn: UvicornServer | None = None

    # ---------------------------------------------------------------- the script

    def script(self, script: ScriptLike | None) -> None:
        """Load a new script (a list of turns or a function); tool-call ids restart at ``call_1``."""
        self._state.load(script)

    def reset(self) -> None:
        """Clear the script, the recorded requests and the noticed errors."""
        self._state.reset()
        capabilities_for(self._state).clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received since the last :meth:`reset`, in arrival order."""
        return self._state.requests

    @property
    def errors(self) -> list[BaseException]:
        """Problems in the test's own setup the server answered 500 for.

        A list script that ran out (:class:`~llmkit.testing.ScriptExhaustedError`),
        or a script function that raised or returned something that is not a turn.
        """
        return self._state.errors

    # ------------------------------------------------------------------ addresses

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (only while running)."""
        if self._url is None:
            raise UsageError("The fake server is not running: use 'with server:' or start().")
        return self._url

    @property
    def openai_base_url(self) -> str:
        """The OpenAI base URL: :attr:`url` + ``/v1``."""
        return f"{self.url}/v1"

    @property
    def llamacpp_base_url(self) -> str:
        """A llama.cpp-flavoured OpenAI base URL: :attr:`url` + ``/llamacpp/v1``.

        It refuses what llama.cpp's server refuses (an assistant ``content`` of
        null, a ``json_schema`` response format: 500), ignores parameters it does
        not know (``max_completion_tokens``), cuts answers to ``max_tokens`` and
        sends no usage in streams.
        """
        return f"{self.url}/llamacpp/v1"

    @property
    def anthropic_base_url(self) -> str:
        """The Anthropic base URL: :attr:`url` (the model appends ``/v1/messages``).

        The Anthropic protocol takes the key as ``x-api-key`` (or ``Authorization:
        Bearer``) and needs an ``anthropic-version`` header. A scripted
        :class:`~llmkit.types.Response` with ``finish_reason="error"`` streams its
        content and then an ``error`` event (``overloaded_error``).
        """
        return self.url

    @property
    def gemini_base_url(self) -> str:
        """The Gemini base URL: :attr:`url` (the model appends the API version, ``/v1beta``)."""
        return self.url

    @property
    def ollama_base_url(self) -> str:
        """The Ollama address: :attr:`url` (the model appends ``/api/chat`` …)."""
        return self.url

    @property
    def ollama_capabilities(self) -> OllamaCapabilities:
        """What each model of the fake Ollama can do (tools, thinking …); tests may change it.

        ``server.ollama_capabilities.set("llama3.2", "completion")`` takes tools
        away from ``llama3.2``; :meth:`reset` restores the defaults.
        """
        return capabilities_for(self._state)

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._uvicorn is not None and self._uvicorn.running

    # ------------------------------------------------------------------ lifecycle

    def _server(self) -> UvicornServer:
        # A fresh app for each start, from the state the server keeps across restarts.
        return UvicornServer(
            build_app(self._state),
            host=self._host,
            port=self._port,
            name="llmkit-fake-server",
            log_config=None,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )

    def _listening(self, address: tuple[str, int]) -> None:
        self._url = f"http://{self._host}:{address[1]}"

    def start(self) -> FakeProviderServer:
        """Start serving in a background thread; returns once it accepts requests."""
        if self.running:
            return self
        server = self._uvicorn = self._server()
        self._listening(server.start())
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end (idempotent)."""
        if self._uvicorn is not None:
            self._uvicorn.stop()
        self._uvicorn = None
        self._url = None

    def run(self, *, ready: Callable[[str], Any] | None = None) -> None:
        """Serve in the foreground until interrupted (Ctrl-C / SIGTERM).

        ``ready(url)`` is called once the socket listens, e.g. to print the URL.
        """

        def listening(address: tuple[str, int]) -> None:
            self._listening(address)
            if ready is not None:
                ready(self.url)

        try:
            self._server().run(ready=listening)
        finally:
            self._url = None

    def __enter__(self) -> FakeProviderServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self._url or "not running"
        return f"<FakeProviderServer {where}>"
