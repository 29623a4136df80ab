"""Base URLs: checked once, never carrying credentials, joined with paths before their query.

What always holds: a base URL that passes :func:`check_base_url` is an http(s)
URL with a host, a port from 1 to 65535 if it names one, and no ``@`` at all,
so nothing in it can be a user name or password; an error about a base URL
never shows what comes before its last ``@``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from llmkit.errors import UsageError

__all__ = ["check_base_url", "join_url", "origin", "shown_url", "split_base_url"]

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def check_base_url(url: str, provider: str) -> str:
    """Validate a base URL and strip its trailing slash; a bad one raises :class:`UsageError`.

    A user name or password in the URL is refused: it would replace the API
    key with Basic auth and be printed wherever the URL is logged. Any ``@``
    counts: a password holding ``/``, ``?`` or ``#`` ends the host early, so
    the rest of it would pass for a port, a path or a query.
    """
    if not isinstance(url, str):
        raise UsageError(
            f"The base URL for {provider} must be a string such as 'https://api.openai.com/v1', "
            f"not {type(url).__name__}."
        )
    if "@" in url:
        raise UsageError(
            f"The base URL for {provider} holds an '@' ({shown_url(url)!r}): a user name or "
            "password before the host is not accepted. Do not put credentials in base_url: pass "
            "the key as api_key=... (or its environment variable), and other credentials as "
            "headers={...}. An '@' that belongs in the path or query is written %40."
        )
    problem = _problem(url)
    if problem is not None:
        raise UsageError(
            f"Invalid base URL for {provider}: {url!r} ({problem}). It must be an http(s) URL "
            "such as 'https://api.openai.com/v1' or 'http://127.0.0.1:8080/v1'."
        )
    parts = urlsplit(url)
    root = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    return f"{root}?{parts.query}" if parts.query else root


def _problem(url: str) -> str | None:
    """What is wrong with ``url`` as a base URL (it holds no ``@``), or None."""
    try:
        parts = urlsplit(url)
        port = parts.port  # parsed here: a malformed or out-of-range port raises
    except ValueError as exc:
        if "port" in str(exc).lower():
            return "the port must be a number from 1 to 65535"
        return "the host is malformed"
    if parts.scheme not in ("http", "https"):
        return "the scheme must be http or https"
    if not parts.hostname:
        return "it names no host"
    if port == 0:
        return "the port must be a number from 1 to 65535"
    return None


def split_base_url(url: str, provider: str) -> tuple[str, str]:
    """``(root, query)`` of a base URL, validated: the address without its query, and the query.

    Providers that add to the path of an address (an API version, a suffix)
    add it to ``root``; the query goes back on after the path (:func:`join_url`).
    """
    checked = check_base_url(url, provider)
    root, _, query = checked.partition("?")
    return root, query


def join_url(root: str, path: str, query: str = "") -> str:
    """``root`` + ``path``, with ``query`` after the path's own query (never before the path)."""
    url = root + path
    if not query:
        return url
    return f"{url}&{query}" if "?" in path else f"{url}?{query}"


def shown_url(url: str) -> str:
    """``url`` as an error may show it: nothing before its last ``@`` (it may be a password).

    The scheme stays when there is one (``https://…@host/v1``).
    """
    if "@" not in url:
        return url
    scheme = _SCHEME.match(url)
    return f"{scheme.group() if scheme else ''}…@{url.rpartition('@')[2]}"


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a checked base URL, for messages about connecting to it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
