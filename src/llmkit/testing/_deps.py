"""Checks, on import, that the ``testing`` extra (starlette, uvicorn) is installed.

Imported first by every module of the fake server, so a missing extra gives
one clear message instead of a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

from llmkit.errors import ConfigurationError

__all__: list[str] = []

try:
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as exc:
    raise ConfigurationError(
        "The fake provider server needs the 'testing' extra (starlette and uvicorn): "
        "pip install 'llmkit[testing]'"
    ) from exc
