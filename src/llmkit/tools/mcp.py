"""MCP servers as tool sources: :class:`MCPToolset`.

::

    from llmkit.tools.mcp import MCPToolset

    files = MCPToolset.stdio("uvx", ["mcp-server-fetch"])
    remote = MCPToolset.http("https://mcp.example.com/mcp", headers={"Authorization": "Bearer …"})
    agent = Agent(model, tools=[*await files.tools(), *await remote.tools()])
    ...
    await files.aclose()

Needs the ``mcp`` package (``pip install 'llmkit[mcp]'``, the v2 SDK),
imported the first time a toolset connects.

One session per toolset, owned by a background task on the event loop that
opened it, so a run that is cancelled, or several runs at once, never tear
it down: calls from any task (or from another event loop, such as the one
behind ``run_sync``) share it. Every call has a time limit; a server that
dies mid-call gives a tool error that says why, and the next call opens a
new session. A server that fails to start is stopped and reaped before the
error is raised; an HTTP server that forgot the session gets a new one.
Running tools report progress as ``tool.progress`` events
(:class:`~llmkit.events.ToolProgress`); with ``sampling_model=`` the server
may ask that model for completions (:class:`SamplingRequest`).
"""

from __future__ import annotations

from llmkit.tools._mcp.progress import OnProgress
from llmkit.tools._mcp.sampling import AGENT_MODEL, ApproveSampling, SamplingRequest
from llmkit.tools._mcp.toolset import MCPToolset

__all__ = ["AGENT_MODEL", "ApproveSampling", "MCPToolset", "OnProgress", "SamplingRequest"]
