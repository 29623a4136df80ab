"""The script a scenario plays: the model turns of one exchange at a time.

Turns are resolved when the model is asked, so a structured-output turn can
answer the way the agent asked for it: a call to the final-result tool when
the request offers that tool, JSON text otherwise.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from llmkit.output import FINAL_RESULT_TOOL
from llmkit.testing._fault import Fault
from llmkit.testing._observed import format_call
from llmkit.testing._script import ScriptExhaustedError, Turn, check_turn
from llmkit.types import Request, Response, ToolCall

__all__ = ["OutputTurn", "ScenarioScript", "describe_turn", "output_turn"]


@dataclass(frozen=True, slots=True)
class OutputTurn:
    """A structured answer: ``data`` is the value in its JSON form."""

    data: Any

    def resolve(self, request: Request) -> Turn:
        """A final-result tool call when the request offers that tool, else the JSON text."""
        tool = next((t for t in request.tools if t.name == FINAL_RESULT_TOOL), None)
        if tool is None:
            return json.dumps(self.data, ensure_ascii=False)
        arguments = self.data
        properties = tool.parameters.get("properties") or {}
        already = isinstance(arguments, dict) and set(arguments) == {"result"}
        if set(properties) == {"result"} and not already:
            arguments = {"result": arguments}
        if not isinstance(arguments, dict):
            arguments = {"result": arguments}
        return ToolCall("", FINAL_RESULT_TOOL, arguments)


def output_turn(value: Any) -> OutputTurn:
    """A structured-output turn for ``value`` (a pydantic model, dataclass, dict, list …)."""
    from pydantic_core import to_jsonable_python

    return OutputTurn(to_jsonable_python(value))


ScenarioTurn = Turn | OutputTurn


def describe_turn(turn: ScenarioTurn) -> str:
    """A scripted turn in a few words, for failure messages."""
    if isinstance(turn, str):
        return repr(turn if len(turn) <= 60 else turn[:59] + "…")
    if isinstance(turn, ToolCall):
        return format_call(turn.name, turn.arguments)
    if isinstance(turn, list):
        return " + ".join(format_call(c.name, c.arguments) for c in turn)
    if isinstance(turn, OutputTurn):
        return f"output {json.dumps(turn.data, ensure_ascii=False)[:60]}"
    if isinstance(turn, Fault):
        return f"Fault.{turn.kind}"
    if isinstance(turn, Response):
        return f"Response({turn.text[:40]!r})"
    if isinstance(turn, type):
        return turn.__name__
    return type(turn).__name__


class ScenarioScript:
    """A script function (``Request -> turn``) serving one exchange's turns at a time.

    Past the end it raises :class:`ScriptExhaustedError` in-process; over HTTP
    it answers a 400 naming the problem (a 500 would be retried, slowly) and
    keeps the error, which the scenario reports instead of the HTTP one.
    """

    def __init__(self, *, over_http: bool) -> None:
        self._lock = threading.Lock()
        self._over_http = over_http
        self._turns: list[ScenarioTurn] = []
        self._used = 0
        self._number = 0
        self.exhausted: ScriptExhaustedError | None = None
        self.last_request: Request | None = None
        """The latest request the model was sent (the conversation up to that call)."""

    def begin(self, turns: list[ScenarioTurn], number: int) -> None:
        """Serve ``turns``, the model turns of user turn ``number``, from now on."""
        with self._lock:
            self._turns = list(turns)
            self._used = 0
            self._number = number
            self.exhausted = None
            self.last_request = None

    @property
    def used(self) -> int:
        """How many of the current turns have been served."""
        return self._used

    @property
    def unused(self) -> list[ScenarioTurn]:
        """The current turns not served (yet)."""
        return self._turns[self._used :]

    def __call__(self, request: Request) -> Turn:
        with self._lock:
            self.last_request = request
            if self._used >= len(self._turns):
                error = self._exhausted()
                self.exhausted = error
                if not self._over_http:
                    raise error
                return Fault.status(400, str(error), error_type="invalid_request_error")
            turn = self._turns[self._used]
            self._used += 1
        if isinstance(turn, OutputTurn):
            return turn.resolve(request)
        return check_turn(turn, "A scenario turn")

    def _exhausted(self) -> ScriptExhaustedError:
        scripted = len(self._turns)
        error = ScriptExhaustedError(scripted, self._used + 1)
        plural = "turn" if scripted == 1 else "turns"
        # A scenario's words for it: the general message speaks of scripts and functions.
        error.args = (
            f"The agent asked its model for answer {self._used + 1} in user turn "
            f"{self._number}, which scripts {scripted} model {plural}. Add a model turn "
            "for every call the agent makes, or expect this error.",
        )
        return error
