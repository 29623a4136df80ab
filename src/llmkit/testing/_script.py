"""The script format shared by the in-process models and the fake provider server.

A script is a list of turns (one per model call, in order) or a function
``Request -> turn`` (sync or async) that answers any number of calls. A turn is:

- ``str``: a text reply (finish reason ``stop``);
- a :class:`~llmkit.types.ToolCall` or a list of them: a tool-call reply
  (finish reason ``tool_calls``). An empty ``id`` is filled with ``call_1``,
  ``call_2`` … counted per script; ``raw_arguments``, when set, is sent exactly
  (how a test expresses truncated or broken arguments);
- a :class:`~llmkit.types.Response`: returned as is;
- an exception instance or class: raised (in-process) or sent as the matching
  HTTP error (server);
- a :class:`~llmkit.testing.Fault`.
"""

from __future__ import annotations

import inspect
import math
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeAlias, TypeGuard

from llmkit._json import dumps
from llmkit.errors import UsageError
from llmkit.providers._assemble import make_tool_call
from llmkit.testing._fault import Fault, Turn
from llmkit.types import Message, Part, Request, Response, TextPart, ToolCall, ToolResult, Usage

__all__ = [
    "Script",
    "ScriptExhaustedError",
    "ScriptFunction",
    "ScriptLike",
    "Turn",
    "estimate_tokens",
    "estimate_usage",
    "response_for",
    "tool_call",
]

ScriptFunction: TypeAlias = Callable[[Request], Turn | Awaitable[Turn]]
"""A function that answers each request with a turn (it may be ``async``)."""

ScriptLike: TypeAlias = Sequence[Turn] | ScriptFunction
"""What a script may be: a list of turns or a :data:`ScriptFunction`."""


class ScriptExhaustedError(UsageError):
    """A list script was asked for more turns than it has.

    The test made more model calls than it scripted: add turns, or pass a
    function as the script to answer any number of calls.
    """

    def __init__(self, turns: int, call: int) -> None:
        self.turns = turns
        self.call = call
        self.messages: list[Message] = []
        """The conversation up to the call the script could not answer, when a
        :class:`~llmkit.testing.Scenario` ran it; empty otherwise."""
        plural = "turn" if turns == 1 else "turns"
        super().__init__(
            f"The script ran out: it had {turns} {plural} and this is call {call}. "
            "Add a turn for every model call the code under test makes, or pass a "
            "function (Request -> turn) as the script to answer any number of calls."
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.turns, self.call))


def tool_call(name: str, /, **arguments: Any) -> ToolCall:
    """A tool call for a script: ``tool_call("add", a=1, b=2)``.

    Its id is left empty; the script fills in ``call_1``, ``call_2`` … in order.
    """
    return ToolCall("", name, arguments)


def _is_turn(value: object) -> TypeGuard[Turn]:
    if isinstance(value, str | ToolCall | Response | BaseException | Fault):
        return True
    if isinstance(value, type) and issubclass(value, BaseException):
        return True
    return isinstance(value, list) and bool(value) and all(isinstance(v, ToolCall) for v in value)


def check_turn(value: object, where: str) -> Turn:
    """``value`` if it is a valid turn, else a :class:`UsageError` saying what is allowed."""
    if _is_turn(value):
        return value
    raise UsageError(
        f"{where} is a {type(value).__name__}, which is not a script turn. A turn is "
        "a str (text reply), a ToolCall or a non-empty list of them, a Response, an "
        "exception (instance or class), or a Fault."
    )


class Script:
    """A loaded script: hands out turns in order and numbers generated tool-call ids.

    Thread-safe: one script may serve requests from several event loops.
    """

    __slots__ = ("_calls", "_fn", "_ids", "_lock", "_turns")

    def __init__(self, script: ScriptLike | None) -> None:
        self._lock = threading.Lock()
        self._calls = 0
        self._ids = 0
        self._fn: ScriptFunction | None = None
        self._turns: list[Turn] = []
        if script is None:
            return
        if isinstance(script, str | bytes | Response | ToolCall | Fault | BaseException | type):
            raise UsageError(
                f"A script is a list of turns or a function, not a single "
                f"{type(script).__name__ if not isinstance(script, type) else 'class'}; "
                "wrap it in a list: [turn]."
            )
        if callable(script):
            self._fn = script
        elif isinstance(script, Sequence):
            self._turns = [
                check_turn(t, f"Turn {i + 1} of the script") for i, t in enumerate(script)
            ]
        else:
            raise UsageError(
                f"A script is a list of turns or a function, not a {type(script).__name__}."
            )

    @property
    def calls(self) -> int:
        """How many turns have been asked for so far."""
        return self._calls

    def next_id(self) -> str:
        """The next generated tool-call id (``call_1``, ``call_2`` …)."""
        with self._lock:
            self._ids += 1
            return f"call_{self._ids}"

    async def next_turn(self, request: Request) -> Turn:
        """The turn that answers ``request``; raises :class:`ScriptExhaustedError` past the end."""
        with self._lock:
            self._calls += 1
            call = self._calls
            fn = self._fn
            if fn is None:
                if call > len(self._turns):
                    raise ScriptExhaustedError(len(self._turns), call)
                return self._turns[call - 1]
        value = fn(request)
        if inspect.isawaitable(value):
            value = await value
        return check_turn(value, f"The script function's answer to call {call}")


# --------------------------------------------------------------------- responses


def estimate_tokens(chars: int) -> int:
    """A deterministic token estimate: about four characters per token, at least 1."""
    return max(1, math.ceil(chars / 4))


def _part_chars(part: Part) -> int:
    if isinstance(part, TextPart):
        return len(part.text)
    if isinstance(part, ToolCall):
        raw = part.raw_arguments
        return len(part.name) + len(raw if raw is not None else dumps(part.arguments))
    if isinstance(part, ToolResult):
        return len(part.text)
    return 0


def estimate_usage(request: Request | None, message: Message) -> Usage:
    """Usage for a generated answer: input from the request's text, output from ``message``."""
    chars_in = 0
    if request is not None:
        for m in request.messages:
            for p in m.parts:
                chars_in += _part_chars(p)
    chars_out = sum(_part_chars(p) for p in message.parts)
    return Usage(estimate_tokens(chars_in), estimate_tokens(chars_out), requests=1)


def _scripted_call(call: ToolCall, script: Script) -> ToolCall:
    raw = call.raw_arguments if call.raw_arguments is not None else dumps(call.arguments)
    return make_tool_call(call.id or script.next_id(), call.name, raw, call.provider_data)


def response_for(turn: Turn, request: Request | None, script: Script) -> Response:
    """The :class:`Response` a text, tool-call or response turn stands for.

    Tool calls carry their argument text in ``raw_arguments`` (and an
    ``arguments_error`` when it is broken), as a provider codec would decode them.
    """
    if isinstance(turn, Response):
        return turn
    if isinstance(turn, str):
        message = Message.assistant(turn)
        return Response(message, estimate_usage(request, message), "stop")
    calls = [turn] if isinstance(turn, ToolCall) else turn
    if isinstance(calls, list) and calls and all(isinstance(c, ToolCall) for c in calls):
        message = Message("assistant", [_scripted_call(c, script) for c in calls])
        return Response(message, estimate_usage(request, message), "tool_calls")
    raise UsageError(f"A {type(turn).__name__} turn has no response.")
