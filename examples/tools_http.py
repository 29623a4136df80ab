"""The HTTP tools: allowed hosts only, no private addresses, redirects checked, limits on size and time.

Runs against a small server this example starts on 127.0.0.1 (allowed explicitly).

    python examples/tools_http.py
"""

from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from llmkit.tools.builtin import Refused, http

ROUTES = {
    "/": (
        200,
        {"content-type": "text/html"},
        b"<html><head><title>Shop</title><script>x()</script>"
        b"</head><body><h1>Open today</h1><p>From 9 to 17.</p></body></html>",
    ),
    "/api": (200, {"content-type": "application/json"}, b'{"open": true}'),
    "/out": (302, {"location": "http://evil.example/steal"}, b""),
    "/huge": (200, {"content-type": "text/plain"}, b"z" * 100_000),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, headers, body = ROUTES.get(self.path, (404, {}, b"not found"))
        self.send_response(status)
        for key, value in {**headers, "content-length": str(len(body))}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


async def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        tools = {
            t.name: t
            for t in http(
                allow_hosts=["127.0.0.1"], allow_networks=["127.0.0.1/32"], max_bytes=50_000
            )
        }
        print(await tools["fetch_text"].function(f"{base}/"))
        print("API:", (await tools["http_request"].function(f"{base}/api"))["body"])
        strict = http(allow_hosts=["127.0.0.1"])[1]  # the same host, loopback not allowed
        for call in (
            tools["fetch_text"].function(f"{base}/out"),
            tools["fetch_text"].function(f"{base}/huge"),
            tools["http_request"].function(f"{base}/api", method="DELETE"),
            tools["fetch_text"].function("http://127.0.0.1.example.com/"),
            strict.function(f"{base}/"),
        ):
            try:
                await call
            except Refused as exc:
                print(f"[{exc.rule}] {exc}")
    finally:
        server.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
