"""The page's static files, shipped in the wheel under ``llmkit/ui/static/``.

Guarantees: only the files that ship are served, by exact name (no path is
joined from the request, so ``..`` and other tricks find nothing); each is read
once and kept; the files hold no secret and no server state, so they are served
without a token, with the security headers of :mod:`llmkit.ui._asgi`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from llmkit.serve._http import error_body
from llmkit.ui._asgi import send_bytes, send_json

if TYPE_CHECKING:
    from starlette.types import Send

__all__ = ["Assets"]

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


class Assets:
    """The files of ``llmkit/ui/static``, served under a prefix (``/ui/``)."""

    __slots__ = ("_cache", "_names")

    def __init__(self) -> None:
        folder = Path(__file__).parent / "static"
        self._names = {
            entry.name: entry
            for entry in folder.iterdir()
            if entry.is_file() and any(entry.name.endswith(suffix) for suffix in _TYPES)
        }
        self._cache: dict[str, bytes] = {}

    @property
    def names(self) -> list[str]:
        """The names of the files served, sorted."""
        return sorted(self._names)

    def read(self, name: str) -> bytes | None:
        """The bytes of the file ``name`` (``index.html`` for ``""``), or None when none ships."""
        name = name or "index.html"
        cached = self._cache.get(name)
        if cached is None:
            entry = self._names.get(name)
            if entry is None:
                return None
            cached = self._cache[name] = entry.read_bytes()
        return cached

    async def answer(self, name: str, send: Send) -> None:
        """Send the file ``name``, or a 404 that says where the page is."""
        body = self.read(name)
        if body is None:
            message = f"No file {name!r} in the UI; the page is at /ui/."
            await send_json(send, error_body(404, message, code="not_found"), status=404)
            return
        suffix = name[name.rfind(".") :] if name else ".html"
        await send_bytes(send, body, content_type=_TYPES.get(suffix, _TYPES[".html"]))
