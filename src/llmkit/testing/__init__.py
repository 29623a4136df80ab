"""The llmkit testing kit: scripted models, a fake provider server, scenarios, matchers, fixtures.

::

    from llmkit.testing import FakeProviderServer, Fault, Scenario, ScriptedModel, calls_tool, says

    model = ScriptedModel([tool_call("add", a=2, b=3), "The sum is 5."])
    with agent.override(model=TestModel()):   # no script: each tool once, then a valid answer
        agent.run_sync("hi")

    s = Scenario(agent)                       # the agent runs, its model plays a script
    s.user("What is 2+3?")
    s.model_calls_tool("add", a=2, b=3)
    s.model_says("The sum is 5.")
    s.expect(calls_tool("add", a=2), says(contains="5"))
    s.run()                                   # AssertionError with a side-by-side trajectory

    with FakeProviderServer([Fault.status(429, retry_after=0), "hello"]) as server:
        ...  # point a client at server.openai_base_url

    block_network()                           # any real model request now fails

The server needs the ``testing`` extra (``pip install 'llmkit[testing]'``);
names are imported lazily, so ``import llmkit.testing`` loads neither
starlette nor uvicorn until the server is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmkit._lazy import lazy_exports

if TYPE_CHECKING:
    from llmkit.errors import NetworkBlockedError
    from llmkit.testing._connect import fake_model
    from llmkit.testing._fault import Fault
    from llmkit.testing._match import (
        Match,
        Matcher,
        all_of,
        any_of,
        anything,
        approx,
        at_least,
        at_most,
        contains,
        has,
        instance_of,
        matches,
        not_,
    )
    from llmkit.testing._observed import Observation, observe
    from llmkit.testing._responder import default_responder
    from llmkit.testing._scenario.result import Exchange, ScenarioFailed, ScenarioResult
    from llmkit.testing._script import ScriptExhaustedError, tool_call
    from llmkit.testing._workflow import script_workflow
    from llmkit.testing.matchers import (
        calls_tool,
        calls_tools,
        event,
        failed_at,
        output_matches,
        raises,
        says,
        state_has,
        step_ran,
        steps_in_order,
        tool_returned,
        usage,
    )
    from llmkit.testing.models import FunctionModel, ScriptedModel, TestModel
    from llmkit.testing.network import allow_network, block_network
    from llmkit.testing.scenario import Scenario
    from llmkit.testing.server import FakeProviderServer, RecordedRequest

# Public name -> module that defines it. Resolved on first attribute access.
_LAZY: dict[str, str] = {
    "Exchange": "llmkit.testing._scenario.result",
    "FakeProviderServer": "llmkit.testing.server",
    "Fault": "llmkit.testing._fault",
    "FunctionModel": "llmkit.testing.models",
    "Match": "llmkit.testing._match",
    "Matcher": "llmkit.testing._match",
    "NetworkBlockedError": "llmkit.errors",
    "Observation": "llmkit.testing._observed",
    "RecordedRequest": "llmkit.testing.server",
    "Scenario": "llmkit.testing.scenario",
    "ScenarioFailed": "llmkit.testing._scenario.result",
    "ScenarioResult": "llmkit.testing._scenario.result",
    "ScriptExhaustedError": "llmkit.testing._script",
    "ScriptedModel": "llmkit.testing.models",
    "TestModel": "llmkit.testing.models",
    "all_of": "llmkit.testing._match",
    "allow_network": "llmkit.testing.network",
    "any_of": "llmkit.testing._match",
    "anything": "llmkit.testing._match",
    "approx": "llmkit.testing._match",
    "at_least": "llmkit.testing._match",
    "at_most": "llmkit.testing._match",
    "block_network": "llmkit.testing.network",
    "calls_tool": "llmkit.testing.matchers",
    "calls_tools": "llmkit.testing.matchers",
    "contains": "llmkit.testing._match",
    "default_responder": "llmkit.testing._responder",
    "event": "llmkit.testing.matchers",
    "failed_at": "llmkit.testing.matchers",
    "fake_model": "llmkit.testing._connect",
    "has": "llmkit.testing._match",
    "instance_of": "llmkit.testing._match",
    "matches": "llmkit.testing._match",
    "not_": "llmkit.testing._match",
    "observe": "llmkit.testing._observed",
    "output_matches": "llmkit.testing.matchers",
    "raises": "llmkit.testing.matchers",
    "says": "llmkit.testing.matchers",
    "script_workflow": "llmkit.testing._workflow",
    "state_has": "llmkit.testing.matchers",
    "step_ran": "llmkit.testing.matchers",
    "steps_in_order": "llmkit.testing.matchers",
    "tool_call": "llmkit.testing._script",
    "tool_returned": "llmkit.testing.matchers",
    "usage": "llmkit.testing.matchers",
}

__all__ = [
    "Exchange",
    "FakeProviderServer",
    "Fault",
    "FunctionModel",
    "Match",
    "Matcher",
    "NetworkBlockedError",
    "Observation",
    "RecordedRequest",
    "Scenario",
    "ScenarioFailed",
    "ScenarioResult",
    "ScriptExhaustedError",
    "ScriptedModel",
    "TestModel",
    "all_of",
    "allow_network",
    "any_of",
    "anything",
    "approx",
    "at_least",
    "at_most",
    "block_network",
    "calls_tool",
    "calls_tools",
    "contains",
    "default_responder",
    "event",
    "failed_at",
    "fake_model",
    "has",
    "instance_of",
    "matches",
    "not_",
    "observe",
    "output_matches",
    "raises",
    "says",
    "script_workflow",
    "state_has",
    "step_ran",
    "steps_in_order",
    "tool_call",
    "tool_returned",
    "usage",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
