"""Wrappers: a callable, a command template, an HTTP endpoint and OpenAPI operations as tools.

The endpoint and the OpenAPI document are served from 127.0.0.1 (allowed explicitly).

    python examples/tools_wrap.py
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from llmkit.tools.builtin import Refused, from_callable, from_command, from_endpoint, from_openapi

PETS = {"1": {"id": "1", "name": "Rex"}, "2": {"id": "2", "name": "Tom"}}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if path == "/pets":
            body: Any = list(PETS.values())[: int(query.partition("=")[2] or 10)]
        else:
            body = PETS.get(path.rsplit("/", 1)[-1], {"error": "no such pet"})
        data = json.dumps(body).encode()
        self.send_response(200 if "error" not in body else 404)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def openapi(base: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Pets", "version": "1"},
        "servers": [{"url": base}],
        "paths": {
            "/pets": {
                "get": {
                    "operationId": "listPets",
                    "summary": "List pets.",
                    "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                }
            },
            "/pets/{petId}": {
                "get": {
                    "operationId": "getPet",
                    "summary": "One pet by id.",
                    "parameters": [
                        {
                            "name": "petId",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                }
            },
        },
    }


def legacy_lookup(**kwargs: Any) -> str:
    """Look a code up in the old system."""
    return f"code {kwargs['code']} is valid"


async def main() -> None:
    lookup = from_callable(
        legacy_lookup,
        parameters={
            "type": "object",
            "properties": {"code": {"type": "string"}},
            "required": ["code"],
        },
    )
    print(lookup.name, json.dumps(lookup.spec.parameters), "->", lookup(code="A1"))
    with tempfile.TemporaryDirectory() as root:
        greet = from_command("greet", ["echo", "Hello,", "{name}"], root=root)
        print(greet.name, "->", (await greet.function(name="Ada; rm -rf *"))["stdout"].strip())
        with open(f"{root}/names.txt", "w") as names:
            names.write("Tom\nAda\n")
        sort_names = from_command("sort_names", ["sort", "{order}", "names.txt"], root=root)
        try:  # '-o' would make the template's names.txt sort's output file, emptying it
            await sort_names.function(order="-o")
        except Refused as exc:
            print(f"[{exc.rule}] {exc}")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    local = {"allow_networks": ["127.0.0.1/32"]}
    try:
        get_pet = from_endpoint("get_pet", f"{base}/pets/{{pet_id}}", **local)
        print("get_pet ->", await get_pet.function(pet_id="1"))
        try:
            await get_pet.function(pet_id="../admin")
        except Exception as exc:
            print("get_pet('../admin') ->", exc)
        tools = {t.name: t for t in from_openapi(openapi(base), **local)}
        print(
            "OpenAPI tools:",
            ", ".join(f"{n}{list(t.spec.parameters['properties'])}" for n, t in tools.items()),
        )
        print("listPets(limit=1) ->", await tools["listPets"].function(limit=1))
        unsafe = from_endpoint("outside", "http://169.254.169.254/latest/meta-data/")
        try:
            await unsafe.function()
        except Refused as exc:
            print(f"[{exc.rule}] {exc}")
    finally:
        server.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
