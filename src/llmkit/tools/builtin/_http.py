"""The HTTP family: requests and readable pages from allowed hosts only.

::

    from llmkit.tools.builtin import http

    tools = http(allow_hosts=["docs.python.org", "*.wikipedia.org"])   # GET and HEAD only
    tools = http(allow_hosts=["api.example.com"], methods=["GET", "POST"], max_bytes=500_000)

``http_request`` returns the status, the main headers and the body;
``fetch_text`` returns a page as readable text (HTML reduced to its words
with the standard library's parser). The rules of
:class:`~llmkit.tools.builtin.NetPolicy` apply to every request and every
redirect. Reducing a page to text is work for the CPU (most of a second for
2 MB of HTML): it runs in a worker thread, so the event loop stays free and
the call's time limit fires on time, and it calls
:func:`~llmkit.tools.checkpoint` as it goes, so the thread then stops too.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from typing import Annotated, Any

from pydantic import Field

from llmkit._jsondata import MACHINE_MAX_DEPTH, loads
from llmkit.errors import ToolError, UsageError
from llmkit.tools._deadline import checkpoint
from llmkit.tools._tool import Tool
from llmkit.tools.builtin._net import Fetched, NetPolicy, Resolver
from llmkit.tools.builtin._policy import Refused

__all__ = ["html_to_text", "http", "readable"]

_SKIP = frozenset(("script", "style", "noscript", "template", "svg", "head", "iframe", "object"))
_BLOCK = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
_SHOWN_HEADERS = ("content-type", "content-length", "last-modified", "etag", "location")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False
        self._pre = 0
        self._steps = 0

    def _step(self) -> None:
        # The parser's loop is not ours: its callbacks are where the work can stop.
        self._steps += 1
        if not self._steps % 256:
            checkpoint()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._step()
        if tag == "title":
            self._in_title = True
        elif tag in _SKIP:
            self._skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n- " if tag == "li" else "\n")
            self._pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")
            self._pre -= tag == "pre" and self._pre > 0

    def handle_data(self, data: str) -> None:
        self._step()
        if self._in_title:
            self.title += data
        elif self._pre and not self._skip:
            self.parts.append(data)
        elif not self._skip and (words := " ".join(data.split())):
            self.parts.append(f" {words} ")


def html_to_text(html: str) -> tuple[str, str]:
    """``(title, text)`` of an HTML page: scripts, styles and markup removed, blocks on their own lines."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(line for line in lines if line and line != "-")
    return " ".join(parser.title.split()), text


def readable(fetched: Fetched) -> str:
    """What a page says, as text: HTML reduced to words, JSON indented, text as is."""
    kind = fetched.content_type
    if kind in ("text/html", "application/xhtml+xml") or (
        not kind
        and fetched.content[:100].lstrip().lower().startswith((b"<!doctype html", b"<html"))
    ):
        title, text = html_to_text(fetched.text)
        return f"# {title}\n\n{text}" if title else text
    if kind == "application/json" or kind.endswith("+json"):
        try:
            document = loads(fetched.content, max_depth=MACHINE_MAX_DEPTH)
        except ValueError:  # not JSON after all, or nested too deeply to indent
            return fetched.text
        return json.dumps(document, indent=1, ensure_ascii=False)
    if kind.startswith("text/") or kind.endswith(("+xml", "/xml")) or not kind:
        return fetched.text
    raise Refused(
        "content_type",
        f"{fetched.url} is {kind} ({len(fetched.content):,} bytes), not text; fetch_text reads "
        "HTML, JSON, XML and plain text only.",
    )


def _clip(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    return text[:max_chars] + f"\n[… {len(text) - max_chars:,} more characters not shown]"


def http(
    *,
    allow_hosts: Iterable[str],
    allow_networks: Iterable[str] = (),
    methods: Iterable[str] = ("GET", "HEAD"),
    max_bytes: int = 2_000_000,
    max_chars: int = 50_000,
    timeout: float = 20.0,
    max_redirects: int = 5,
    headers: Mapping[str, str] | None = None,
    resolver: Resolver | None = None,
) -> list[Tool[..., Any]]:
    """The ``http_request`` and ``fetch_text`` tools, limited to ``allow_hosts``.

    - ``allow_hosts``: ``"example.com"``, ``"*.example.com"`` (subdomains), ``"*"``
      (any public host); required, so reach is always a decision;
    - ``allow_networks``: private networks that may be reached anyway
      (``["127.0.0.1/32"]`` for a local service);
    - ``methods``: the HTTP methods ``http_request`` may use (default: read-only);
    - ``max_bytes``: the largest body read; ``max_chars``: the longest text returned
      (longer text is cut, and says so);
    - ``timeout``: seconds for a whole request, redirects included;
    - ``headers``: sent with every request (e.g. a User-Agent or an API key the
      model never sees), and dropped when a redirect leads to another origin.
    """
    policy = NetPolicy.build(
        allow_hosts=allow_hosts,
        allow_networks=allow_networks,
        max_bytes=max_bytes,
        timeout=timeout,
        max_redirects=max_redirects,
        headers=headers,
        resolver=resolver,
    )
    allowed_methods = tuple(m.upper() for m in methods)
    if not allowed_methods or isinstance(methods, str):
        raise UsageError("methods= takes a list of HTTP methods, e.g. ['GET', 'HEAD'].")
    secret_headers = {k.lower() for k in policy.headers}

    async def http_request(
        url: _URL,
        method: Annotated[str, Field(description="The HTTP method.")] = "GET",
        headers: Annotated[
            dict[str, str] | None, Field(description="Extra request headers.")
        ] = None,
        body: Annotated[str | None, Field(description="The request body, as text.")] = None,
        json_body: Annotated[
            Any, Field(description="A JSON request body (instead of body).")
        ] = None,
    ) -> dict[str, Any]:
        """Send an HTTP request and return the status, main headers and body text."""
        verb = method.upper()
        if verb not in allowed_methods:
            raise Refused(
                "allow_methods",
                f"{verb} is not allowed; allowed methods: {', '.join(allowed_methods)}.",
            )
        sent = {k: v for k, v in (headers or {}).items() if k.lower() not in secret_headers}
        content: bytes | None = body.encode() if body is not None else None
        if json_body is not None:
            content = json.dumps(json_body).encode()
            sent.setdefault("Content-Type", "application/json")
        fetched = await policy.fetch(verb, url, headers=sent, content=content)
        shown = {k: fetched.headers[k] for k in _SHOWN_HEADERS if k in fetched.headers}
        kind = fetched.content_type
        textual = not kind or kind.startswith("text/") or "json" in kind or "xml" in kind
        body_text = (
            _clip(fetched.text, max_chars)
            if textual
            else f"[{len(fetched.content):,} bytes of {kind}]"
        )
        result: dict[str, Any] = {"status": fetched.status, "url": fetched.url, "headers": shown}
        if fetched.redirects:
            result["redirects"] = fetched.redirects
        result["body"] = body_text
        return result

    async def fetch_text(url: _URL) -> str:
        """Fetch a web page or document and return it as readable text."""
        fetched = await policy.fetch("GET", url)
        if fetched.status >= 400:
            raise ToolError(f"{fetched.url} answered HTTP {fetched.status}; check the address.")
        return _clip(await asyncio.to_thread(readable, fetched), max_chars)

    description = f" Allowed hosts: {', '.join(policy.allow_hosts)}."
    return [
        Tool(
            http_request,
            description=f"Send an HTTP request ({', '.join(allowed_methods)}) and return the "
            "status, main headers and body." + description,
            category="http",
        ),
        Tool(
            fetch_text,
            description="Fetch a web page (HTML, JSON, XML or text) and return it as readable "
            "text." + description,
            category="http",
        ),
    ]


_URL = Annotated[str, Field(description="An absolute http or https URL.")]
