"""The feed family: read RSS, Atom and JSON Feed, filter and merge entries.

::

    from llmkit.tools.builtin import feeds

    tools = feeds(allow_hosts=["*.python.org", "hnrss.org"])    # read_feed, merge_feeds

Fetching follows the HTTP family's rules (allow-list, no private addresses,
size and time limits). JSON Feed is read here; RSS and Atom need
``feedparser`` (``pip install 'llmkit[feed]'``), imported the first time a
non-JSON feed is read. Parsing a feed is work for the CPU (seconds for a few
MB of RSS): it runs in a worker thread, so the event loop stays free and the
call's time limit fires on time. Reading entries and merging them call
:func:`~llmkit.tools.checkpoint` for each entry, so the work stops then too;
only feedparser's own parse of one document runs to its end.
"""

from __future__ import annotations

import asyncio
import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field

from llmkit._jsondata import MACHINE_MAX_DEPTH, JSONTooDeep, loads
from llmkit._optional import require
from llmkit.errors import ToolError
from llmkit.tools._deadline import checkpoint
from llmkit.tools._tool import Tool
from llmkit.tools.builtin._http import html_to_text
from llmkit.tools.builtin._net import NetPolicy, Resolver
from llmkit.tools.builtin._policy import Refused

__all__ = ["Entry", "feeds", "merge_entries", "parse_feed"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of a feed, the same for RSS, Atom and JSON Feed."""

    title: str
    link: str
    id: str
    published: datetime | None
    summary: str
    feed: str
    """The title of the feed it came from."""

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready data (dates in ISO 8601)."""
        return {
            "title": self.title,
            "link": self.link,
            "published": self.published.isoformat() if self.published else None,
            "summary": self.summary,
            "feed": self.feed,
        }


def _clean(text: str, limit: int = 500) -> str:
    if "<" in text:
        text = html_to_text(text)[1]
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _date(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _json_feed(data: dict[str, Any]) -> tuple[str, list[Entry]]:
    title = str(data.get("title") or "")
    entries = []
    for item in data.get("items") or []:
        checkpoint()
        if not isinstance(item, dict):
            continue
        body = item.get("summary") or item.get("content_text") or item.get("content_html") or ""
        link = str(item.get("url") or item.get("external_url") or "")
        entries.append(
            Entry(
                title=str(item.get("title") or ""),
                link=link,
                id=str(item.get("id") or link),
                published=_date(item.get("date_published") or item.get("date_modified")),
                summary=_clean(str(body)),
                feed=title,
            )
        )
    return title, entries


def _feedparser() -> Any:
    return require("feedparser", extra="feed", feature="Reading RSS and Atom feeds")


def parse_feed(content: bytes, *, content_type: str = "") -> tuple[str, list[Entry]]:
    """``(feed title, entries)`` of an RSS, Atom or JSON Feed document."""
    head = content.lstrip()[:1]
    if "json" in content_type or head == b"{":
        try:
            data = loads(content, max_depth=MACHINE_MAX_DEPTH)
        except JSONTooDeep as exc:
            raise ToolError(f"The feed is refused: {exc}.") from None
        except ValueError:
            raise ToolError("The feed is not valid JSON.") from None
        if not isinstance(data, dict) or "jsonfeed.org" not in str(data.get("version", "")):
            raise ToolError("This JSON is not a JSON Feed (no jsonfeed.org version).")
        return _json_feed(data)
    parsed = _feedparser().parse(content)  # bytes: parsed, never fetched
    if not parsed.entries and parsed.get("bozo"):
        raise ToolError(f"This is not an RSS or Atom feed ({parsed.get('bozo_exception')}).")
    title = str(parsed.feed.get("title", ""))
    entries = []
    for item in parsed.entries:
        checkpoint()
        stamp = item.get("published_parsed") or item.get("updated_parsed")
        link = str(item.get("link", ""))
        entries.append(
            Entry(
                title=str(item.get("title", "")),
                link=link,
                id=str(item.get("id") or link),
                published=datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else None,
                summary=_clean(str(item.get("summary", ""))),
                feed=title,
            )
        )
    return title, entries


def merge_entries(
    groups: Iterable[list[Entry]],
    *,
    contains: str | None = None,
    since: datetime | None = None,
    limit: int = 20,
) -> list[Entry]:
    """Entries of several feeds: duplicates (same id or link) once, newest first, filtered."""
    seen: set[str] = set()
    merged: list[Entry] = []
    needle = contains.lower() if contains else None
    for entries in groups:
        for entry in entries:
            checkpoint()
            key = entry.id or entry.link or entry.title
            if key in seen:
                continue
            seen.add(key)
            if needle and needle not in f"{entry.title} {entry.summary}".lower():
                continue
            if since and (entry.published is None or entry.published < since):
                continue
            merged.append(entry)
    oldest = datetime.min.replace(tzinfo=UTC)
    merged.sort(key=lambda e: e.published or oldest, reverse=True)
    return merged[:limit]


def feeds(
    *,
    allow_hosts: Iterable[str],
    allow_networks: Iterable[str] = (),
    max_bytes: int = 5_000_000,
    timeout: float = 20.0,
    max_feeds: int = 10,
    resolver: Resolver | None = None,
) -> list[Tool[..., Any]]:
    """The ``read_feed`` and ``merge_feeds`` tools, fetching from ``allow_hosts`` only.

    The network options are those of :func:`~llmkit.tools.builtin.http`;
    ``max_feeds`` bounds how many feeds one ``merge_feeds`` call reads.
    """
    policy = NetPolicy.build(
        allow_hosts=allow_hosts,
        allow_networks=allow_networks,
        max_bytes=max_bytes,
        timeout=timeout,
        resolver=resolver,
    )

    async def load(url: str) -> list[Entry]:
        fetched = await policy.fetch("GET", url, headers={"Accept": _ACCEPT})
        if fetched.status >= 400:
            raise ToolError(f"{fetched.url} answered HTTP {fetched.status}.")
        parsed = await asyncio.to_thread(
            parse_feed, fetched.content, content_type=fetched.content_type
        )
        return parsed[1]

    def since_of(since: str | None) -> datetime | None:
        if since is None:
            return None
        value = _date(since)
        if value is None:
            raise ToolError(f"Cannot read since={since!r}; use ISO 8601 such as '2025-01-31'.")
        return value

    async def read_feed(
        url: _FeedURL, limit: _Limit = 20, contains: _Contains = None, since: _Since = None
    ) -> list[dict[str, Any]]:
        """Read an RSS, Atom or JSON feed: its entries, newest first."""
        chosen = merge_entries(
            [await load(url)], contains=contains, since=since_of(since), limit=limit
        )
        return [e.to_dict() for e in chosen]

    async def merge_feeds(
        urls: Annotated[list[str], Field(description="Feed URLs.")],
        limit: _Limit = 20,
        contains: _Contains = None,
        since: _Since = None,
    ) -> list[dict[str, Any]]:
        """Read several feeds and merge their entries, newest first, without duplicates."""
        if len(urls) > max_feeds:
            raise Refused("max_feeds", f"one call reads at most {max_feeds} feeds.")
        groups = await asyncio.gather(*(load(u) for u in urls))
        chosen = merge_entries(groups, contains=contains, since=since_of(since), limit=limit)
        return [e.to_dict() for e in chosen]

    return [Tool(read_feed, category="feed"), Tool(merge_feeds, category="feed")]


_ACCEPT = "application/feed+json, application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.5"
_FeedURL = Annotated[str, Field(description="The feed's http or https URL.")]
_Limit = Annotated[int, Field(ge=1, le=200, description="Most entries returned.")]
_Contains = Annotated[str | None, Field(description="Only entries mentioning this text.")]
_Since = Annotated[str | None, Field(description="Only entries published since (ISO 8601).")]
