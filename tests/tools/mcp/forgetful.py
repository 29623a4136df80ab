"""An HTTP MCP server that forgets every session at once: it answers each request that carries a
session id with 404 (what the MCP specification says for an unknown session)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def mcp(request: Request) -> Response:
    if request.method == "GET":
        return Response(status_code=405)
    if request.method == "DELETE":
        return Response(status_code=200)
    message: dict[str, Any] = await request.json()
    if "id" not in message:
        return Response(status_code=202)  # a notification
    if request.headers.get("mcp-session-id"):
        error = {"code": -32600, "message": "Session not found"}
        return JSONResponse({"jsonrpc": "2.0", "id": None, "error": error}, status_code=404)
    if message["method"] != "initialize":
        error = {"code": -32601, "message": "Method not found"}
        return JSONResponse({"jsonrpc": "2.0", "id": message["id"], "error": error})
    result = {
        "protocolVersion": message["params"]["protocolVersion"],
        "capabilities": {"tools": {}},
        "serverInfo": {"name": "forgetful", "version": "1"},
    }
    return JSONResponse(
        {"jsonrpc": "2.0", "id": message["id"], "result": result},
        headers={"mcp-session-id": uuid.uuid4().hex},
    )


@contextmanager
def forgetful_server(port: int) -> Iterator[str]:
    """Serve on 127.0.0.1:``port`` in a thread while the block runs; gives the URL."""
    import uvicorn

    app = Starlette(routes=[Route("/mcp", mcp, methods=["GET", "POST", "DELETE"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the forgetful MCP server did not start")
            threading.Event().wait(0.02)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.should_exit = True
        thread.join(10)
