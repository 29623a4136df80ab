"""A client of the C ABI: its model, its C tools, its sessions, its running calls.

Guarantees:

- Clients are apart: each has its own model (and options), tools, store of
  sessions (in memory for its lifetime, or a SQLite file it names) and calls.
- Options and requests are checked before anything runs: an unknown key, a
  value of the wrong type, an unknown tool name or provider fails with the
  status that says so and a message naming what to pass.
- A run is ``Agent.run`` / ``Agent.stream`` with the client's model and the
  tools the request names; a ``"session"`` is the store's
  :class:`~llmkit.durable.Session` of that id, continued and appended to as in
  Python (only when the run finishes).
- Freeing the client cancels its running calls (they fail with ``ERR_STATE``)
  and refuses new ones.
- Its C callbacks (tools' and events', of every call) run one at a time
  (:class:`~llmkit.capi._runtime.Gate`).
"""

from __future__ import annotations

import os
import re
import threading
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from llmkit.agent import Agent
from llmkit.capi._abi import Status
from llmkit.capi._errors import CallError, for_c
from llmkit.capi._runtime import Call, Gate, Reason, Runtime
from llmkit.errors import UsageError
from llmkit.events import Event
from llmkit.run import RunResult
from llmkit.tools import Tool

__all__ = ["CLIENT_OPTIONS", "REQUEST_KEYS", "Client", "Plan"]

_MODEL_OPTIONS = ("base_url", "api_key", "timeout", "max_retries", "headers")
_AGENT_OPTIONS = {
    "instructions": "instructions",
    "name": "name",
    "max_steps": "max_steps",
    "settings": "model_settings",
    "run_timeout": "timeout",
}
CLIENT_OPTIONS = ("model", *_MODEL_OPTIONS, *_AGENT_OPTIONS, "tool_timeout", "store")
"""The keys of ``llmkit_client_new``'s options."""
_RUN_OPTIONS = ("max_steps", "timeout")
REQUEST_KEYS = ("input", "session", "tools", *_RUN_OPTIONS)
"""The keys of a run's request."""

_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SESSION_MAX = 200
_ERRORS_KEPT = 16


def check_keys(given: Mapping[str, Any], known: tuple[str, ...], what: str) -> None:
    """:class:`CallError` ``ERR_ARGUMENT`` for a key of ``given`` not in ``known``."""
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise CallError(
            Status.ERR_ARGUMENT,
            f"{what}: unknown key {', '.join(map(repr, unknown))}; the keys are: {', '.join(known)}",
        )


def _seconds(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise CallError(
            Status.ERR_ARGUMENT, f"{what} is a number of seconds above 0, not {value!r}"
        )
    return float(value)


@dataclass(frozen=True, slots=True)
class Plan:
    """A checked request: the agent to run, its input, and the run's options."""

    agent: Agent[Any]
    input: str
    options: dict[str, Any]


class Client:
    """One ``llmkit_client``; see the module's guarantees."""

    def __init__(self, options: Mapping[str, Any], *, runtime: Runtime) -> None:
        from llmkit.durable import MemoryStore, SQLiteStore, Store
        from llmkit.providers import known_providers, model

        check_keys(options, CLIENT_OPTIONS, "client options")
        spec = options.get("model")
        if not isinstance(spec, str) or "/" not in spec:
            raise CallError(
                Status.ERR_ARGUMENT,
                'client options need "model": a "provider/model" string such as '
                f'"openai/gpt-4.1-mini", not {spec!r}',
            )
        provider = spec.split("/", 1)[0]
        if provider not in known_providers():
            raise CallError(
                Status.ERR_NOT_FOUND,
                f"no provider {provider!r}; known: {', '.join(known_providers())}",
            )
        self.runtime = runtime
        self.model = model(spec, **{k: options[k] for k in _MODEL_OPTIONS if k in options})
        self.tool_timeout = _seconds(options.get("tool_timeout", 60), "tool_timeout")
        path = options.get("store")
        if path is not None and (not isinstance(path, str) or not path):
            raise CallError(
                Status.ERR_ARGUMENT, f"store is the path of a SQLite file, not {path!r}"
            )
        if path is not None and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise CallError(
                Status.ERR_ARGUMENT,
                f"store {path!r} is in a folder that does not exist: make the folder first, "
                "or name a file in an existing one",
            )
        self.store: Store = MemoryStore() if path is None else SQLiteStore(path)
        self._agent_options = {
            keyword: options[key] for key, keyword in _AGENT_OPTIONS.items() if key in options
        }
        self._tools: dict[str, Tool[..., Any]] = {}
        self._agents: dict[tuple[str, ...], Agent[Any]] = {}
        self._lock = threading.Lock()
        self._calls: set[Call] = set()
        self.gate = Gate()
        """Runs the client's C callbacks one at a time."""
        self.closed = False
        self.errors: deque[Any] = deque(maxlen=_ERRORS_KEPT)
        """The C text of the last failed calls on this client (the exports layer keeps them)."""
        try:
            self._agent(())  # the agent's options are checked now, not at the first run
        except UsageError as exc:
            keys = {keyword: key for key, keyword in _AGENT_OPTIONS.items()}
            raise CallError(
                Status.ERR_ARGUMENT, f"client options: {for_c(str(exc), keys)}"
            ) from None

    # -------------------------------------------------------------------- tools

    def add_tool(self, name: str, tool: Tool[..., Any]) -> None:
        """Register ``tool`` under ``name`` (:class:`CallError` if the name is bad or taken)."""
        with self._lock:
            if name in self._tools:
                raise CallError(
                    Status.ERR_STATE, f"a tool {name!r} is registered on this client already"
                )
            self._tools[name] = tool
            self._agents.clear()

    @staticmethod
    def check_tool_name(name: str) -> None:
        """:class:`CallError` ``ERR_ARGUMENT`` unless ``name`` is a valid tool name."""
        if not _TOOL_NAME.fullmatch(name):
            raise CallError(
                Status.ERR_ARGUMENT,
                f"a tool name is 1 to 64 letters, digits, '_' or '-', not {name!r}",
            )

    def _agent(self, names: tuple[str, ...]) -> Agent[Any]:
        with self._lock:
            agent = self._agents.get(names)
            if agent is None:
                tools = [self._tools[n] for n in names]
                agent = Agent(self.model, tools=tools, tool_errors="raise", **self._agent_options)
                self._agents[names] = agent
            return agent

    # --------------------------------------------------------------------- runs

    def plan(self, request: Mapping[str, Any]) -> Plan:
        """The run ``request`` asks for, checked (see ``llmkit_run`` in llmkit.h)."""
        check_keys(request, REQUEST_KEYS, "request_json")
        text = request.get("input")
        if not isinstance(text, str):
            raise CallError(
                Status.ERR_ARGUMENT,
                f'request_json needs "input": the user\'s message as a string, not {text!r}',
            )
        names = request.get("tools")
        with self._lock:
            registered = list(self._tools)
        if names is None:
            chosen = tuple(registered)
        elif isinstance(names, list) and all(isinstance(n, str) for n in names):
            missing = [n for n in names if n not in registered]
            if missing:
                raise CallError(
                    Status.ERR_NOT_FOUND,
                    f"no tool {missing[0]!r} is registered on this client; registered: "
                    f"{', '.join(registered) or 'none'} (llmkit_tool_register)",
                )
            chosen = tuple(dict.fromkeys(names))
        else:
            raise CallError(
                Status.ERR_ARGUMENT, f'"tools" is an array of tool names, not {names!r}'
            )
        # max_steps and timeout go to the agent as they are: it checks them when the run
        # starts (UsageError: ERR_ARGUMENT) and null means the client's own.
        options: dict[str, Any] = {k: request[k] for k in _RUN_OPTIONS if k in request}
        session = request.get("session")
        if session is not None:
            if not isinstance(session, str) or not 0 < len(session) <= _SESSION_MAX:
                raise CallError(
                    Status.ERR_ARGUMENT,
                    f'"session" is a conversation id (1 to {_SESSION_MAX} characters), not {session!r}',
                )
            options["session"] = self.store.session(session)
        return Plan(self._agent(chosen), text, options)

    async def run(self, plan: Plan) -> RunResult[Any]:
        """Run ``plan`` to its result."""
        return await plan.agent.run(plan.input, **plan.options)

    def stream(self, plan: Plan) -> AsyncIterator[Event]:
        """The events of a run of ``plan``."""
        return plan.agent.stream(plan.input, **plan.options)

    # -------------------------------------------------------------------- calls

    def begin(self) -> Call:
        """A new call on this client (:class:`CallError` ``ERR_STATE`` once it is freed)."""
        with self._lock:
            if self.closed:
                raise CallError(Status.ERR_STATE, "the client was freed while this call started")
            call = self.runtime.call(gate=self.gate)
            self._calls.add(call)
        return call

    def end(self, call: Call) -> None:
        """Forget ``call`` (it is over)."""
        with self._lock:
            self._calls.discard(call)

    def cancel(self, reason: Reason) -> int:
        """Cancel the calls running now; how many there were."""
        with self._lock:
            calls = list(self._calls)
        for call in calls:
            call.cancel(reason)
        return len(calls)

    def close(self, reason: Reason = "freed") -> None:
        """Refuse new calls, cancel the running ones (for ``reason``), release the store."""
        with self._lock:
            self.closed = True
        self.cancel(reason)
        self.runtime.release(self.store.close)
