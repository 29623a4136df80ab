"""The methods of llmkit's JSON-RPC server, each one call of the run service.

=================  ===========================================  ============================
method             params (``?``: optional)                     result
=================  ===========================================  ============================
``agents``         none                                         ``{"agents": [names]}``
``run``            ``agent?``, ``input?``, ``session?``,        the run: ``id``, ``status``,
                   ``messages?``, ``wait?`` (true)              ``output``, ``usage`` …
``stream``         as ``run`` (no ``wait``)                     the run, once it is over or
                                                                paused; before it, one
                                                                ``run.event`` notification
                                                                per event
``events``         ``run``, ``after?`` (0)                      as ``stream``, for a run
                                                                already going
``get``            ``run``                                      the run
``approve``        ``run``, ``decisions``, ``wait?`` (true),    the run (resumed)
                   ``stream?`` (false)
``cancel``         ``run``                                      the run (cancelled)
``sessions.get``   ``session``                                  ``{"id", "messages"}``
``sessions.delete`` ``session``                                 ``{"id", "deleted": true}``
``sessions.list``  ``limit?`` (100)                             ``{"sessions": [{"id",
                                                                "messages", "updated"}]}``
``runs.list``      ``limit?`` (20), ``after?``                  ``{"runs": [run summaries,
                                                                newest first], "next"}``
=================  ===========================================  ============================

``agent`` may be left out when one agent or workflow is served. A
``run.event`` notification's params are ``{"request": <the request's id>,
"run": <run id>, "id": <event number, from 1>, "event": <the event as JSON>}``.
Every event of the run reaches the client once, in order, before the response.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from llmkit.errors import SerializationError
from llmkit.serve._rpc_protocol import INVALID_PARAMS, RequestId, RpcError
from llmkit.serve._run import ServedRun
from llmkit.serve._service import RunService
from llmkit.types import Message

__all__ = ["METHODS", "Call", "Method"]

Notify: TypeAlias = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class Call:
    """What a method runs with: the service, the caller's tenant, the request, a way to notify."""

    service: RunService
    tenant: str
    request_id: RequestId
    params: dict[str, Any]
    notify: Notify


@dataclass(frozen=True, slots=True)
class Param:
    """One named parameter: the JSON types it takes, and whether it must be given."""

    name: str
    types: tuple[type, ...]
    required: bool = False
    what: str = ""


@dataclass(frozen=True, slots=True)
class Method:
    """A method: its parameters (checked before it runs) and what it does."""

    params: tuple[Param, ...]
    run: Callable[[Call], Awaitable[Any]]

    def check(self, name: str, params: dict[str, Any]) -> None:
        """Raise -32602 for an unknown, missing or mistyped parameter of ``name``."""
        known = {p.name: p for p in self.params}
        for key in params:
            if key not in known:
                takes = ", ".join(known) or "no params"
                raise RpcError(INVALID_PARAMS, f"{name}: unknown param {key!r}; it takes {takes}.")
        for param in self.params:
            if param.name not in params:
                if param.required:
                    raise RpcError(INVALID_PARAMS, f"{name}: {param.name!r} is required.")
                continue
            value = params[param.name]
            wrong_bool = isinstance(value, bool) and bool not in param.types
            if param.types and (wrong_bool or not isinstance(value, param.types)):
                raise RpcError(
                    INVALID_PARAMS,
                    f"{name}: {param.name!r} is {param.what}, not {_json_type(value)}.",
                )


def _json_type(value: object) -> str:
    names = {str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    names.update({list: "an array", dict: "an object", type(None): "null"})
    return names.get(type(value), type(value).__name__)


_STR = (str,)
_AGENT = Param("agent", _STR, what="the name of a served agent or workflow (a string)")
_RUN = Param("run", _STR, required=True, what="a run id (a string)")
_SESSION = Param("session", _STR, what="a session id (a string)")
_INPUT = Param("input", ())
_MESSAGES = Param("messages", (list,), what="an array of messages (objects)")


def _target(call: Call) -> str:
    name = call.params.get("agent")
    if name is not None:
        return str(name)
    names = call.service.names
    if len(names) == 1:
        return names[0]
    raise RpcError(
        INVALID_PARAMS,
        f"Several agents and workflows are served; say which with 'agent': {', '.join(names)}.",
    )


def _history(call: Call) -> list[Message] | None:
    raw = call.params.get("messages")
    if raw is None:
        return None
    history = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise RpcError(INVALID_PARAMS, f"messages[{index}] is an object, not {item!r}.")
        if "parts" not in item and isinstance(item.get("content"), str):  # the short form
            item = {**item, "parts": [{"type": "text", "text": item["content"]}]}
            del item["content"]
        try:
            history.append(Message.from_dict(item))
        except SerializationError as exc:
            raise RpcError(
                INVALID_PARAMS,
                f"messages[{index}]: {exc} Give {{'role': 'user', 'content': 'text'}} or a "
                "message's JSON form.",
            ) from None
    return history


async def _start(call: Call, *, wait: bool) -> ServedRun:
    return await call.service.start(
        call.tenant,
        _target(call),
        call.params.get("input"),
        session=call.params.get("session"),
        message_history=_history(call),
        wait=wait,
    )


async def _agents(call: Call) -> Any:
    return {"agents": call.service.names}


async def _run(call: Call) -> Any:
    run = await _start(call, wait=call.params.get("wait", True))
    return run.to_dict()


async def _stream(call: Call) -> Any:
    run = await _start(call, wait=False)
    await _follow(call, run, after=0)
    return run.to_dict()


async def _events(call: Call) -> Any:
    run = call.service.get(call.tenant, call.params["run"])
    after = call.params.get("after", 0)
    if after < 0:
        raise RpcError(INVALID_PARAMS, f"events: 'after' is an event id of 0 or more, not {after}.")
    await _follow(call, run, after=after)
    return run.to_dict()


async def _get(call: Call) -> Any:
    return call.service.get(call.tenant, call.params["run"]).to_dict()


async def _approve(call: Call) -> Any:
    before = call.service.get(call.tenant, call.params["run"]).events.last_id
    stream = call.params.get("stream", False)
    wait = call.params.get("wait", True) and not stream
    run = await call.service.approve(
        call.tenant, call.params["run"], call.params["decisions"], wait=wait
    )
    if stream:
        await _follow(call, run, after=before)
    return run.to_dict()


async def _cancel(call: Call) -> Any:
    return (await call.service.cancel(call.tenant, call.params["run"])).to_dict()


async def _session_get(call: Call) -> Any:
    session = call.params["session"]
    messages = await call.service.session_messages(call.tenant, session)
    return {"id": session, "messages": [m.to_dict() for m in messages]}


async def _session_delete(call: Call) -> Any:
    session = call.params["session"]
    await call.service.delete_session(call.tenant, session)
    return {"id": session, "deleted": True}


async def _session_list(call: Call) -> Any:
    sessions = await call.service.list_sessions(call.tenant, limit=call.params.get("limit", 100))
    return {
        "sessions": [
            {"id": info.id, "messages": info.messages, "updated": info.updated} for info in sessions
        ]
    }


async def _runs_list(call: Call) -> Any:
    page = call.service.runs(
        call.tenant, limit=call.params.get("limit", 20), after=call.params.get("after")
    )
    return {"runs": [run.summary() for run in page.runs], "next": page.next}


async def _follow(call: Call, run: ServedRun, *, after: int) -> None:
    """Notify every event of ``run`` after ``after`` until the run is over or paused."""
    seen = after

    def send(event_id: int, data: dict[str, Any]) -> None:
        nonlocal seen
        params = {"request": call.request_id, "run": run.id, "id": event_id, "event": data}
        call.notify("run.event", params)
        seen = event_id

    async def pump() -> None:
        async for event_id, data in call.service.events(call.tenant, run.id, after=seen):
            send(event_id, data)

    pumping = asyncio.ensure_future(pump())
    settled = asyncio.ensure_future(run.settled())
    try:
        await asyncio.wait({pumping, settled}, return_when=asyncio.FIRST_COMPLETED)
        if not settled.done():  # the log closed: the run is over
            await settled
    finally:
        for task in (pumping, settled):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(pumping, settled, return_exceptions=True)
    for event_id, data in run.events.kept(after=seen):  # what came while the pump was stopping
        send(event_id, data)


_DECISIONS = Param(
    "decisions", (dict,), required=True, what="an object of call id -> true, false or arguments"
)
_BOOL = (bool,)

METHODS: dict[str, Method] = {
    "agents": Method((), _agents),
    "run": Method(
        (_AGENT, _INPUT, _SESSION, _MESSAGES, Param("wait", _BOOL, what="true or false")), _run
    ),
    "stream": Method((_AGENT, _INPUT, _SESSION, _MESSAGES), _stream),
    "events": Method((_RUN, Param("after", (int,), what="an event id (an integer)")), _events),
    "get": Method((_RUN,), _get),
    "approve": Method(
        (
            _RUN,
            _DECISIONS,
            Param("wait", _BOOL, what="true or false"),
            Param("stream", _BOOL, what="true or false"),
        ),
        _approve,
    ),
    "cancel": Method((_RUN,), _cancel),
    "sessions.get": Method(
        (Param("session", _STR, required=True, what="a session id"),), _session_get
    ),
    "sessions.delete": Method(
        (Param("session", _STR, required=True, what="a session id"),), _session_delete
    ),
    "sessions.list": Method((Param("limit", (int,), what="a number of sessions"),), _session_list),
    "runs.list": Method(
        (
            Param("limit", (int,), what="a number of runs"),
            Param("after", _STR, what="the 'next' cursor of the page before"),
        ),
        _runs_list,
    ),
}
"""Every method the server answers, by name."""
