"""The feed tools: RSS, Atom and JSON Feed, merged newest first, fetched under the HTTP rules.

Serves two feeds from 127.0.0.1 (allowed explicitly). RSS needs feedparser
(pip install 'llmkit[feed]'); without it the example says so and reads the JSON Feed alone.

    python examples/tools_feed.py
"""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from llmkit.errors import UsageError
from llmkit.tools.builtin import feeds

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Release log</title>
<item><title>Version 2.0 is out</title><link>https://example.org/2.0</link><guid>v2</guid>
<pubDate>Wed, 01 Oct 2025 10:00:00 GMT</pubDate><description>Faster and smaller.</description></item>
</channel></rss>"""
JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Team blog",
        "items": [
            {
                "id": "b1",
                "url": "https://example.org/blog/1",
                "title": "How we test",
                "content_text": "Fakes over mocks.",
                "date_published": "2025-10-03T08:00:00Z",
            },
            {
                "id": "b0",
                "url": "https://example.org/blog/0",
                "title": "Hello",
                "content_text": "First post.",
                "date_published": "2025-09-01T08:00:00Z",
            },
        ],
    }
).encode()
ROUTES = {"/rss": ("application/rss+xml", RSS), "/feed.json": ("application/feed+json", JSON_FEED)}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        kind, body = ROUTES[self.path]
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
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
        read_feed, merge_feeds = feeds(allow_hosts=["127.0.0.1"], allow_networks=["127.0.0.1/32"])
        for entry in await read_feed.function(f"{base}/feed.json", limit=5):
            print(f"{entry['published'][:10]} {entry['feed']}: {entry['title']}")
        try:
            merged = await merge_feeds.function(
                [f"{base}/rss", f"{base}/feed.json"], since="2025-09-15"
            )
        except UsageError as exc:
            print(exc)
            return
        print("Merged since 2025-09-15:")
        for entry in merged:
            print(f"  {entry['published'][:10]} {entry['title']} ({entry['feed']})")
    finally:
        server.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
