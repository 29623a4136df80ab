"""The llmkit testing kit: scripted models, a fake provider server and pytest fixtures.

::

    from llmkit.testing import Fault, FakeProviderServer, ScriptedModel, tool_call

    model = ScriptedModel([tool_call("add", a=2, b=3), "The sum is 5."])

    with FakeProviderServer([Fault.status(429, retry_after=0), "hello"]) as server:
        ...  # point a client at server.openai_base_url

The server needs the ``testing`` extra (``pip install 'llmkit[testing]'``);
names are imported lazily, so ``import llmkit.testing`` loads neither
starlette nor uvicorn until the server is used.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmkit.testing._fault import Fault
    from llmkit.testing._responder import default_responder
    from llmkit.testing._script import ScriptExhaustedError, tool_call
    from llmkit.testing.models import FunctionModel, ScriptedModel
    from llmkit.testing.server import FakeProviderServer, RecordedRequest

# Public name -> module that defines it. Resolved on first attribute access.
_LAZY: dict[str, str] = {
    "FakeProviderServer": "llmkit.testing.server",
    "Fault": "llmkit.testing._fault",
    "FunctionModel": "llmkit.testing.models",
    "RecordedRequest": "llmkit.testing.server",
    "ScriptExhaustedError": "llmkit.testing._script",
    "ScriptedModel": "llmkit.testing.models",
    "default_responder": "llmkit.testing._responder",
    "tool_call": "llmkit.testing._script",
}

__all__ = [
    "FakeProviderServer",
    "Fault",
    "FunctionModel",
    "RecordedRequest",
    "ScriptExhaustedError",
    "ScriptedModel",
    "default_responder",
    "tool_call",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'llmkit.testing' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
