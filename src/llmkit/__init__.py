"""llmkit: a lightweight, fast LLM agent framework.

One API over cloud and local models::

    import llmkit
    from llmkit import Message, Request

    model = llmkit.model("openai/gpt-4.1-mini")
    response = await model.generate(Request(messages=[Message.user("hi")]))
    print(response.text)

Names are imported lazily on first use, so ``import llmkit`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmkit._lazy import lazy_exports
from llmkit._version import __version__

if TYPE_CHECKING:
    from llmkit import workflow
    from llmkit.agent import Agent, handoff
    from llmkit.bus import bus
    from llmkit.context import RunContext
    from llmkit.errors import (
        AgentError,
        LLMKitError,
        ProviderError,
        ToolError,
        UsageError,
    )
    from llmkit.events import (
        ModelResponse,
        ReasoningDelta,
        TextDelta,
        ToolCallDelta,
    )
    from llmkit.hooks import Hook, with_hooks
    from llmkit.providers import Model, model
    from llmkit.providers.routing import consensus, fallback, race
    from llmkit.recording import record, replay
    from llmkit.run import RunResult, UsageLimits
    from llmkit.tools import Tool, Toolbox, tool
    from llmkit.types import (
        AudioPart,
        DocumentPart,
        Embeddings,
        ImagePart,
        Message,
        OutputSchema,
        Reasoning,
        ReasoningPart,
        Request,
        Response,
        TextPart,
        ToolCall,
        ToolResult,
        ToolSpec,
        Usage,
    )
    from llmkit.workflow._batch import BatchResult, batch, batch_sync
    from llmkit.workflow._executor import InProcessExecutor
    from llmkit.workflow._ray import RayExecutor

# Public name -> module that defines it. Resolved on first attribute access.
# (Add a name here, under TYPE_CHECKING above, and in __all__ below.)
_LAZY: dict[str, str] = {
    "Agent": "llmkit.agent",
    "AgentError": "llmkit.errors",
    "AudioPart": "llmkit.types",
    "BatchResult": "llmkit.workflow._batch",
    "DocumentPart": "llmkit.types",
    "Embeddings": "llmkit.types",
    "Hook": "llmkit.hooks",
    "ImagePart": "llmkit.types",
    "InProcessExecutor": "llmkit.workflow._executor",
    "LLMKitError": "llmkit.errors",
    "Message": "llmkit.types",
    "Model": "llmkit.providers",
    "ModelResponse": "llmkit.events",
    "OutputSchema": "llmkit.types",
    "ProviderError": "llmkit.errors",
    "RayExecutor": "llmkit.workflow._ray",
    "Reasoning": "llmkit.types",
    "ReasoningDelta": "llmkit.events",
    "ReasoningPart": "llmkit.types",
    "Request": "llmkit.types",
    "Response": "llmkit.types",
    "RunContext": "llmkit.context",
    "RunResult": "llmkit.run",
    "TextDelta": "llmkit.events",
    "TextPart": "llmkit.types",
    "ToolCall": "llmkit.types",
    "ToolCallDelta": "llmkit.events",
    "Tool": "llmkit.tools",
    "ToolError": "llmkit.errors",
    "ToolResult": "llmkit.types",
    "ToolSpec": "llmkit.types",
    "Toolbox": "llmkit.tools",
    "Usage": "llmkit.types",
    "UsageError": "llmkit.errors",
    "UsageLimits": "llmkit.run",
    "batch": "llmkit.workflow._batch",
    "batch_sync": "llmkit.workflow._batch",
    "bus": "llmkit.bus",
    "consensus": "llmkit.providers.routing",
    "fallback": "llmkit.providers.routing",
    "handoff": "llmkit.agent",
    "model": "llmkit.providers",
    "race": "llmkit.providers.routing",
    "record": "llmkit.recording",
    "replay": "llmkit.recording",
    "tool": "llmkit.tools",
    "with_hooks": "llmkit.hooks",
    "workflow": "llmkit.workflow",
}

__all__ = [
    "Agent",
    "AgentError",
    "AudioPart",
    "BatchResult",
    "DocumentPart",
    "Embeddings",
    "Hook",
    "ImagePart",
    "InProcessExecutor",
    "LLMKitError",
    "Message",
    "Model",
    "ModelResponse",
    "OutputSchema",
    "ProviderError",
    "RayExecutor",
    "Reasoning",
    "ReasoningDelta",
    "ReasoningPart",
    "Request",
    "Response",
    "RunContext",
    "RunResult",
    "TextDelta",
    "TextPart",
    "Tool",
    "ToolCall",
    "ToolCallDelta",
    "ToolError",
    "ToolResult",
    "ToolSpec",
    "Toolbox",
    "Usage",
    "UsageError",
    "UsageLimits",
    "__version__",
    "batch",
    "batch_sync",
    "bus",
    "consensus",
    "fallback",
    "handoff",
    "model",
    "race",
    "record",
    "replay",
    "tool",
    "with_hooks",
    "workflow",
]


# ``bus`` names the submodule llmkit.bus, which is callable: the module itself is exported.
__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
