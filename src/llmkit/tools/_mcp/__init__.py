"""The MCP client behind :mod:`llmkit.tools.mcp`: transports, the session, sampling, the toolset."""
