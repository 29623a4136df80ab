"""Checks, on import, that the ``testing`` extra (starlette, uvicorn) is installed.

Imported first by every module of the fake server, so a missing extra gives
one clear message instead of a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

from llmkit._optional import require

__all__: list[str] = []

for _module in ("starlette", "uvicorn"):
    require(_module, extra="testing", feature="The fake provider server")
