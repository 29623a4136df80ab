"""Answering one validated request from a script turn: what every protocol shares.

Each protocol's exchange class encodes answers in its own wire format; the
way a turn is turned into an answer (waiting out slow faults, dropping the
connection, breaking the JSON, answering an error) is the same for all and
lives here once.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from llmkit.errors import (
    InvalidResponseError,
    ProviderConnectionError,
    StreamInterruptedError,
    UsageError,
)
from llmkit.testing._fake.asgi import (
    DropResponse,
    EventStreamResponse,
    html_response,
    wait_unless_gone,
)
from llmkit.testing._fault import Fault, instantiate
from llmkit.testing._script import Script, Turn, check_turn

if TYPE_CHECKING:
    from starlette.responses import Response as HTTPResponse
    from starlette.types import Receive

    from llmkit.testing._fake.route import Incoming
    from llmkit.testing._fake.state import RecordedRequest, ServerState
    from llmkit.types import Request

__all__ = ["Exchange"]


class Exchange(abc.ABC):
    """One request being answered; subclasses set ``headers`` and ``stream`` and encode answers."""

    state: ServerState
    """The server's state (its chunk size, its ids)."""
    script: Script
    """The script that gave the turn: it numbers the turn's tool calls, even if a test
    loads another script meanwhile."""
    entry: RecordedRequest | None
    """Where the recorded request keeps the status it got (None when not recording)."""
    receive: Receive
    """The ASGI receive channel, to notice a client that left during a slow fault."""
    headers: dict[str, str]
    """Headers of every answer (the request id, where the protocol sends one)."""
    stream: bool
    """Whether the client asked for a streamed answer."""
    interrupted_text = ""
    """The partial answer a ``StreamInterruptedError`` turn delivers before the drop."""
    stream_type: type[EventStreamResponse] = EventStreamResponse
    """How a streamed answer is sent: server-sent events, or NDJSON lines (Ollama)."""

    def __init__(self, state: ServerState, script: Script, incoming: Incoming) -> None:
        self.state = state
        self.script = script
        self.entry = incoming.entry
        self.receive = incoming.receive

    def _done(self, status: int | None) -> None:
        if self.entry is not None:
            self.entry.status = status

    async def serve(self, turn: Turn, request: Request) -> HTTPResponse:
        """The answer to ``request`` that ``turn`` asks for."""
        while isinstance(turn, Fault) and turn.kind == "slow":
            if await wait_unless_gone(turn.seconds, self.receive):
                self._done(None)
                return DropResponse()
            turn = check_turn(turn.then, "Fault.slow(then=...)")
        if isinstance(turn, Fault):
            return self._fault(turn, request)
        if isinstance(turn, type):
            turn = instantiate(turn)
        if isinstance(turn, StreamInterruptedError):
            return self._drop(self.interrupted_text, request, 1, False)
        if isinstance(turn, ProviderConnectionError):
            self._done(None)
            return DropResponse()
        if isinstance(turn, InvalidResponseError):
            return self._malformed(request)
        if isinstance(turn, BaseException):
            return self._exception_answer(turn, request)
        return self._answer(turn, request)

    def _fault(self, fault: Fault, request: Request) -> HTTPResponse:
        kind = fault.kind
        if kind == "drop":
            partial = check_turn(fault.then, "Fault.drop(turn=...)")
            return self._drop(partial, request, fault.after_events, fault.mid_event)
        if kind == "end_early":
            partial = check_turn(fault.then, "Fault.end_early(turn=...)")
            return self._end_early(partial, request, fault.after_events)
        if kind == "malformed_json":
            return self._malformed(request)
        if kind == "html":
            self._done(fault.http_status)
            return html_response(fault.http_status, self.headers)
        return self._fault_answer(fault)

    @abc.abstractmethod
    def _answer(self, turn: Turn, request: Request) -> HTTPResponse:
        """The protocol's answer for a reply turn (text, tool calls, a Response)."""

    @abc.abstractmethod
    def _exception_answer(self, exc: BaseException, request: Request) -> HTTPResponse:
        """The protocol's error answer for an exception turn."""

    @abc.abstractmethod
    def _fault_answer(self, fault: Fault) -> HTTPResponse:
        """The protocol's error answer for a ``Fault.status`` (or context-length) fault."""

    @abc.abstractmethod
    def _events(self, turn: Turn, request: Request) -> list[bytes]:
        """Every event (or line) of the streamed answer to ``turn``, in order."""

    def _drop(self, turn: Turn, request: Request, after: int, mid_event: bool) -> HTTPResponse:
        """Start answering ``turn`` and drop the connection after ``after`` stream events."""
        self._done(None)
        if not self.stream:
            return DropResponse()
        events = self._events(turn, request)
        return self.stream_type(events, self.headers, drop_after=after, mid_event=mid_event)

    def _end_early(self, turn: Turn, request: Request, after: int) -> HTTPResponse:
        """Answer ``turn`` as a stream that ends with its end marker after ``after`` events."""
        raise UsageError(
            "Fault.end_early() is served by the OpenAI protocol only (its [DONE] marker); "
            "use Fault.drop() for the others."
        )

    @abc.abstractmethod
    def _malformed(self, request: Request) -> HTTPResponse:
        """An answer (or stream chunk) that is not valid JSON."""
