"""The feed family: RSS, Atom and JSON Feed from a local server, merged and filtered, same rules as HTTP."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from llmkit.errors import ToolError, UsageError
from llmkit.tools import Tool
from llmkit.tools._deadline import call_limit
from llmkit.tools.builtin import Refused, feeds, parse_feed
from llmkit.tools.builtin._feed import merge_entries

from .conftest import LocalServer, TickingClock

pytestmark = pytest.mark.anyio

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Py News</title>
<item><title>Python 3.14 released</title><link>https://py.example/314</link><guid>py-314</guid>
<pubDate>Tue, 07 Oct 2025 12:00:00 GMT</pubDate><description>&lt;p&gt;Big &lt;b&gt;release&lt;/b&gt;&lt;/p&gt;</description></item>
<item><title>Old news</title><link>https://py.example/old</link><guid>py-old</guid>
<pubDate>Mon, 01 Jan 2024 08:00:00 GMT</pubDate><description>ancient</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Atom Log</title><entry><title>Release notes</title><id>urn:a1</id>
<link href="https://atom.example/a1"/><updated>2025-10-08T09:30:00Z</updated>
<summary>What is new in the release</summary></entry></feed>"""

JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "JSON Journal",
    "items": [
        {
            "id": "j1",
            "url": "https://j.example/1",
            "title": "Hello JSON",
            "content_html": "<p>First <em>post</em></p>",
            "date_published": "2025-10-09T10:00:00+02:00",
        },
        {
            "id": "py-314",
            "url": "https://py.example/314",
            "title": "Python 3.14 released (mirror)",
            "content_text": "duplicate",
            "date_published": "2025-10-07T12:00:00Z",
        },
    ],
}


@pytest.fixture
def feed_server(local_server: LocalServer) -> LocalServer:
    local_server.routes["/rss"] = lambda h, b: (200, {"content-type": "application/rss+xml"}, RSS)
    local_server.routes["/atom"] = lambda h, b: (
        200,
        {"content-type": "application/atom+xml"},
        ATOM,
    )
    local_server.routes["/json-feed"] = lambda h, b: (
        200,
        {"content-type": "application/feed+json"},
        json.dumps(JSON_FEED).encode(),
    )
    local_server.routes["/to-evil-feed"] = lambda h, b: (
        302,
        {"location": "http://evil.example/rss"},
        b"",
    )
    return local_server


def tools(**options: Any) -> dict[str, Tool[..., Any]]:
    options.setdefault("allow_hosts", ["127.0.0.1"])
    options.setdefault("allow_networks", ["127.0.0.1/32"])
    return {t.name: t for t in feeds(**options)}


def test_parse_each_format() -> None:
    title, entries = parse_feed(RSS)
    assert title == "Py News"
    assert entries[0].to_dict() == {
        "title": "Python 3.14 released",
        "link": "https://py.example/314",
        "published": "2025-10-07T12:00:00+00:00",
        "summary": "Big release",
        "feed": "Py News",
    }
    title, entries = parse_feed(ATOM)
    assert (title, entries[0].id, entries[0].link) == (
        "Atom Log",
        "urn:a1",
        "https://atom.example/a1",
    )
    title, entries = parse_feed(
        json.dumps(JSON_FEED).encode(), content_type="application/feed+json"
    )
    assert title == "JSON Journal"
    assert entries[0].summary == "First post"
    assert (
        entries[0].published is not None
        and entries[0].published.isoformat() == "2025-10-09T10:00:00+02:00"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"a": 1}', "not a JSON Feed"),
        (b"<html><p>hi", "not an RSS"),
        (b'{"items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nests more than 500 levels"),
    ],
)
def test_not_a_feed(content: bytes, message: str) -> None:
    with pytest.raises(ToolError, match=message):
        parse_feed(content)


def test_a_missing_feedparser_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "feedparser", None)
    with pytest.raises(UsageError, match=r"pip install 'llmkit\[feed\]'"):
        parse_feed(RSS)
    assert (
        parse_feed(json.dumps(JSON_FEED).encode())[0] == "JSON Journal"
    )  # JSON Feed needs nothing


async def test_read_and_merge(feed_server: LocalServer) -> None:
    t = tools()
    entries = await t["read_feed"].function(f"{feed_server.url}/rss", since="2025-01-01")
    assert [e["title"] for e in entries] == ["Python 3.14 released"]
    merged = await t["merge_feeds"].function(
        [f"{feed_server.url}/{p}" for p in ("json-feed", "rss", "atom")], limit=10
    )
    assert [e["title"] for e in merged] == [
        "Hello JSON",
        "Release notes",
        "Python 3.14 released (mirror)",
        "Old news",
    ]
    found = await t["merge_feeds"].function(
        [f"{feed_server.url}/rss", f"{feed_server.url}/atom"], contains="RELEASE"
    )
    assert [e["feed"] for e in found] == ["Atom Log", "Py News"]


async def test_fetching_follows_the_http_rules(feed_server: LocalServer) -> None:
    with pytest.raises(Refused) as caught:
        await tools(allow_networks=[])["read_feed"].function(f"{feed_server.url}/rss")
    assert caught.value.rule == "private_address"
    with pytest.raises(Refused) as caught:
        await tools()["read_feed"].function(f"{feed_server.url}/to-evil-feed")
    assert caught.value.rule == "allow_hosts"
    with pytest.raises(Refused) as caught:
        await tools()["read_feed"].function("http://evil.example/rss")
    assert caught.value.rule == "allow_hosts"
    with pytest.raises(Refused) as caught:
        await tools(max_bytes=100)["read_feed"].function(f"{feed_server.url}/rss")
    assert caught.value.rule == "max_bytes"
    with pytest.raises(Refused) as caught:
        await tools(max_feeds=1)["merge_feeds"].function([f"{feed_server.url}/rss"] * 2)
    assert caught.value.rule == "max_feeds"
    with pytest.raises(ToolError, match="since="):
        await tools()["read_feed"].function(f"{feed_server.url}/rss", since="last week")


def many_items(n: int) -> dict[str, Any]:
    items = [{"id": f"i{k}", "title": f"Item {k}", "content_text": "x"} for k in range(n)]
    return {**JSON_FEED, "items": items}


def test_a_time_limit_stops_reading_the_entries_of_a_large_feed_part_way() -> None:
    clock = TickingClock()
    with pytest.raises(TimeoutError), call_limit(20, clock=clock):
        parse_feed(json.dumps(many_items(5000)).encode())
    assert clock.now < 40


def test_a_time_limit_stops_reading_rss_entries_part_way() -> None:
    item = b"<item><title>T</title><link>https://r.example/x</link></item>"
    rss = b"<rss version='2.0'><channel><title>R</title>" + item * 2000 + b"</channel></rss>"
    clock = TickingClock()
    with pytest.raises(TimeoutError), call_limit(20, clock=clock):
        parse_feed(rss)
    assert clock.now < 40


def test_a_time_limit_stops_merging_entries_part_way() -> None:
    entries = parse_feed(json.dumps(many_items(5000)).encode())[1]
    clock = TickingClock()
    with pytest.raises(TimeoutError), call_limit(20, clock=clock):
        merge_entries([entries, entries])
    assert clock.now < 40


async def test_read_feed_stops_when_its_time_is_up(feed_server: LocalServer) -> None:
    # The feed is parsed in a worker thread (the event loop stays free); the call's
    # limit reaches it there.
    big = json.dumps(many_items(5000)).encode()
    feed_server.routes["/big"] = lambda h, b: (200, {"content-type": "application/feed+json"}, big)
    clock = TickingClock()
    with pytest.raises(TimeoutError), call_limit(20, clock=clock):
        await tools()["read_feed"].function(f"{feed_server.url}/big")
    assert clock.now < 40
